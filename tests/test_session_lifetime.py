"""Lesson 24: remember me, an idle timeout and an absolute cap, as one policy.

The policy reads the time from the lesson's own now(); the clock fixture
replaces it, so each ending is reached without waiting. The engines' own
expiry (two weeks) is far away and keeps the real clock.
"""

import time
from datetime import UTC, datetime, timedelta
from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from myapp.lessons import session_lifetime
from tests.html import parse

PAGE = reverse("myapp:session-lifetime")
SIGN_IN = reverse("myapp:session-lifetime-sign-in")
STAY = reverse("myapp:session-lifetime-stay")
SIGN_OUT = reverse("myapp:session-lifetime-sign-out")
BACK_TO_DEMO = PAGE + "#demo"
TWO_WEEKS = 60 * 60 * 24 * 14

# The lesson's policy, written down: 60 s idle, a 3-minute cap, 10 s between writes.
START = datetime(2026, 3, 14, 15, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """The policy's clock, at START until a test moves it."""

    class Clock:
        moment = START

        def advance(self, seconds):
            self.moment += timedelta(seconds=seconds)

    fixed = Clock()
    monkeypatch.setattr(session_lifetime, "now", lambda: fixed.moment)
    return fixed


def sign_in(client, name="Ada", remember=False):
    data = {"name": name}
    if remember:
        data["remember"] = "on"
    response = client.post(SIGN_IN, data)
    assert response.status_code == 302
    assert response["Location"] == BACK_TO_DEMO
    return response


def session_cookie(response):
    return response.cookies.get(settings.SESSION_COOKIE_NAME)


def signed_in_as(client):
    """The name the page shows as signed in, or None."""
    page = parse(client.get(PAGE))
    return page.text("lifetime-user") if page.has_id("lifetime-user") else None


def ended_by(page):
    return page.text("lifetime-ended") if page.has_id("lifetime-ended") else None


def stored(session_key):
    """Whether the engine under test still has this session on the server."""
    return import_module(settings.SESSION_ENGINE).SessionStore().exists(session_key)


class TestSignIn:
    def test_unticked_remember_me_sends_a_browser_session_cookie(
        self, client, engine, clock
    ):
        """set_expiry(0): no Max-Age and no Expires, so the browser drops it."""
        cookie = session_cookie(sign_in(client, remember=False))
        assert cookie.value
        assert cookie["max-age"] == ""
        assert cookie["expires"] == ""
        assert client.session.get_expire_at_browser_close() is True

    def test_ticked_remember_me_sends_a_two_week_cookie(self, client, engine, clock):
        """set_expiry(1209600): the cookie outlives the browser, two weeks."""
        cookie = session_cookie(sign_in(client, remember=True))
        assert cookie["max-age"] == TWO_WEEKS
        assert cookie["expires"]
        assert client.session.get_expire_at_browser_close() is False

    def test_the_page_shows_who_signed_in_and_both_deadlines(
        self, client, engine, clock
    ):
        """Signed in at 15:00:00: idle timeout at 15:01:00, cap at 15:03:00."""
        sign_in(client, name="Ada")
        page = parse(client.get(PAGE))
        assert page.text("lifetime-user") == "Ada"
        assert page.text("lifetime-signed-in-at") == "15:00:00 UTC"
        assert page.text("lifetime-last-seen").startswith("15:00:00 UTC")
        assert page.text("lifetime-idle-at") == "15:01:00 UTC"
        assert page.text("lifetime-cap-at") == "15:03:00 UTC"
        assert page.by_id("lifetime-remaining")["data-remaining"] == "60"
        assert page.text("lifetime-limit") == "idle timeout"

    def test_signing_in_gives_the_session_a_new_key(self, client, server_engine, clock):
        """cycle_key() at sign-in, as login() does: a key known before is gone."""
        sign_in(client, name="Ada")
        before = client.cookies[settings.SESSION_COOKIE_NAME].value
        sign_in(client, name="Grace")
        after = client.cookies[settings.SESSION_COOKIE_NAME].value
        assert after != before
        assert not stored(before)
        assert signed_in_as(client) == "Grace"

    def test_an_empty_name_shows_an_error_and_signs_no_one_in(self, client, db):
        response = client.post(SIGN_IN, {"name": "   "})
        page = parse(response)
        assert response.status_code == 200
        assert page.field_errors() == ["This field is required."]
        assert signed_in_as(client) is None


class TestIdleTimeout:
    def test_sixty_seconds_without_a_request_end_the_session(
        self, client, engine, clock
    ):
        """The next request finds the idle deadline passed: flush(), and the
        page says the idle timeout ended it."""
        sign_in(client)
        clock.advance(60)
        page = parse(client.get(PAGE))
        assert ended_by(page).startswith("The idle timeout ended your session.")
        assert not page.has_id("lifetime-user")
        assert page.has_id("lifetime-sign-in-form")

    def test_fifty_nine_seconds_are_not_enough(self, client, engine, clock):
        sign_in(client)
        clock.advance(59)
        assert signed_in_as(client) == "Ada"

    def test_ending_flushes_the_stored_session(self, client, server_engine, clock):
        """flush() deletes the record: the old key is gone from the store."""
        sign_in(client)
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        assert stored(key)
        clock.advance(60)
        client.get(PAGE)
        assert not stored(key)
        assert client.cookies[settings.SESSION_COOKIE_NAME].value != key

    def test_ending_deletes_course_progress_too(self, client, engine, clock):
        """The whole session goes: a lesson opened while signed in is forgotten."""
        sign_in(client)
        client.get(reverse("myapp:expiry"))
        assert "expiry" in client.session["course_progress"]["opened"]
        clock.advance(60)
        client.get(PAGE)
        assert "expiry" not in client.session.get("course_progress", {}).get(
            "opened", []
        )

    def test_a_request_every_thirty_seconds_keeps_it_alive(self, client, engine, clock):
        """Each request is activity: at 150 s, well past 60, still signed in."""
        sign_in(client)
        for _ in range(5):
            clock.advance(30)
            assert signed_in_as(client) == "Ada"

    def test_the_ended_message_shows_once(self, client, engine, clock):
        sign_in(client)
        clock.advance(60)
        assert ended_by(parse(client.get(PAGE)))
        assert ended_by(parse(client.get(PAGE))) is None

    def test_other_lessons_are_not_activity_here(self, client, engine, clock):
        """Only this lesson's views run the check: a lesson read at 30 s does
        not move the idle timeout, which ends the session at 60 s."""
        sign_in(client)
        clock.advance(30)
        client.get(reverse("myapp:expiry"))
        clock.advance(30)
        assert ended_by(parse(client.get(PAGE))).startswith(
            "The idle timeout ended your session."
        )

    def test_a_browser_close_session_keeps_the_site_wide_age_on_the_server(
        self, client, engine, clock
    ):
        """set_expiry(0): the server's own limit is SESSION_COOKIE_AGE, two weeks
        here, not the idle timeout: that is why the policy checks its own times."""
        sign_in(client, remember=False)
        assert client.session.get_expiry_age() == TWO_WEEKS


class TestActivityWrites:
    def test_a_request_within_ten_seconds_writes_nothing(self, client, engine, clock):
        """The stored time is under 10 s old: no save, so no Set-Cookie."""
        sign_in(client)
        client.get(PAGE)  # the first visit records the lesson as opened
        clock.advance(9)
        response = client.get(PAGE)
        assert session_cookie(response) is None
        assert parse(response).text("lifetime-last-seen").startswith("15:00:00 UTC")

    def test_a_request_ten_seconds_later_writes_the_time(self, client, engine, clock):
        """The stored time is 10 s old: this request is recorded, and saved."""
        sign_in(client)
        client.get(PAGE)
        clock.advance(10)
        response = client.get(PAGE)
        assert session_cookie(response) is not None
        page = parse(response)
        assert page.text("lifetime-last-seen").startswith("15:00:10 UTC")
        assert page.text("lifetime-idle-at") == "15:01:10 UTC"

    def test_an_unrecorded_request_does_not_move_the_idle_deadline(
        self, client, engine, clock
    ):
        """The price of writing less: a request at 9 s was not recorded, so
        the session ends at 60 s, only 51 s after the user's last request."""
        sign_in(client)
        clock.advance(9)
        client.get(PAGE)
        clock.advance(51)
        assert ended_by(parse(client.get(PAGE))).startswith(
            "The idle timeout ended your session."
        )


class TestAbsoluteCap:
    def test_three_minutes_after_sign_in_the_cap_ends_it_however_active(
        self, client, engine, clock
    ):
        """A request every 20 s keeps the idle timeout away; at 180 s the cap
        ends the session anyway."""
        sign_in(client)
        for _ in range(8):
            clock.advance(20)
            assert signed_in_as(client) == "Ada"  # up to 160 s
        clock.advance(20)
        page = parse(client.get(PAGE))
        assert ended_by(page).startswith("The absolute cap ended your session.")
        assert not page.has_id("lifetime-user")

    def test_the_page_names_the_cap_when_it_comes_first(self, client, engine, clock):
        """Active at 150 s: the idle timeout would be at 210 s, the cap at 180 s."""
        sign_in(client)
        for _ in range(5):
            clock.advance(30)
            page = parse(client.get(PAGE))
        assert page.text("lifetime-idle-at") == "15:03:30 UTC"
        assert page.text("lifetime-limit") == "absolute cap"
        assert page.by_id("lifetime-remaining")["data-remaining"] == "30"

    def test_stay_signed_in_cannot_pass_the_cap(self, client, engine, clock):
        """Active until 150 s, the button at 170 s: the cap still ends it at 180 s."""
        sign_in(client)
        for _ in range(5):
            clock.advance(30)
            client.get(PAGE)
        clock.advance(20)
        client.post(STAY)
        assert signed_in_as(client) == "Ada"
        clock.advance(10)
        assert ended_by(parse(client.get(PAGE))).startswith(
            "The absolute cap ended your session."
        )


class TestStaySignedIn:
    def test_stay_records_activity_even_within_ten_seconds(self, client, engine, clock):
        """The button always writes: idle timeout moves to 61 s after 15:00:05."""
        sign_in(client)
        clock.advance(5)
        response = client.post(STAY)
        assert response.status_code == 302
        assert response["Location"] == BACK_TO_DEMO
        page = parse(client.get(PAGE))
        assert page.text("lifetime-idle-at") == "15:01:05 UTC"
        clock.advance(59)  # 64 s after sign-in, 59 s after the button
        assert signed_in_as(client) == "Ada"

    def test_stay_after_the_deadline_is_too_late(self, client, engine, clock):
        sign_in(client)
        clock.advance(60)
        client.post(STAY)
        page = parse(client.get(PAGE))
        assert ended_by(page).startswith("The idle timeout ended your session.")

    def test_the_warning_works_without_javascript(self, client, engine, clock):
        """The page prints the end and has a plain form to stay signed in."""
        sign_in(client)
        page = parse(client.get(PAGE))
        assert page.text("lifetime-ends").startswith(
            "Your session ends at 15:01:00 UTC by the idle timeout"
        )
        assert page.text("lifetime-remaining") == "60"
        form = page.by_id("lifetime-stay-form")
        assert form["method"] == "post"
        assert form["action"] == STAY + "#demo"


class TestSignOut:
    def test_sign_out_flushes_the_session(self, client, server_engine, clock):
        sign_in(client)
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        response = client.post(SIGN_OUT)
        assert response["Location"] == BACK_TO_DEMO
        assert not stored(key)
        assert signed_in_as(client) is None

    def test_only_posts_change_anything(self, client, server_engine, clock):
        """A GET of each action is refused: same key, still signed in as Ada."""
        sign_in(client, name="Ada")
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        for url in (SIGN_IN, STAY, SIGN_OUT):
            response = client.get(url, {"name": "Grace", "remember": "on"})
            assert response.status_code == 405
            assert response["Allow"] == "POST"
        assert client.cookies[settings.SESSION_COOKIE_NAME].value == key
        assert stored(key)
        assert signed_in_as(client) == "Ada"


class TestSignedCookies:
    """The times travel inside the cookie, signed: the check still works when
    the cookie comes back, but the server cannot end a copy early."""

    def copy_of(self, client):
        copy = Client()
        copy.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[
            settings.SESSION_COOKIE_NAME
        ].value
        return copy

    def test_a_copy_survives_sign_out_until_its_idle_deadline(
        self, client, use_settings, db, clock
    ):
        use_settings("cookies")
        sign_in(client)
        copy = self.copy_of(client)
        client.post(SIGN_OUT)
        assert signed_in_as(client) is None
        clock.advance(59)
        assert signed_in_as(copy) == "Ada"  # sign-out could not revoke it
        clock.advance(60)
        page = parse(copy.get(PAGE))
        assert ended_by(page).startswith("The idle timeout ended your session.")

    def test_an_active_copy_ends_at_the_cap(self, client, use_settings, db, clock):
        """Even used every 30 s, a copied cookie dies 3 minutes after sign-in."""
        use_settings("cookies")
        sign_in(client)
        copy = self.copy_of(client)
        client.post(SIGN_OUT)
        for _ in range(5):
            clock.advance(30)
            assert signed_in_as(copy) == "Ada"
        clock.advance(30)
        page = parse(copy.get(PAGE))
        assert ended_by(page).startswith("The absolute cap ended your session.")

    def test_on_a_server_engine_a_copy_dies_with_sign_out(
        self, client, server_engine, clock
    ):
        sign_in(client)
        copy = self.copy_of(client)
        client.post(SIGN_OUT)
        assert signed_in_as(copy) is None


# --- In a real browser ---------------------------------------------------------


def browser_session_cookie(context):
    return next(c for c in context.cookies() if c["name"] == "sessionid")


def sign_in_in_browser(browser, site, remember):
    context = browser.new_context()
    page = context.new_page()
    page.goto(site + PAGE)
    page.get_by_label("Your name").fill("Ada")
    if remember:
        page.get_by_label("Remember me").check()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(site + BACK_TO_DEMO)
    assert page.locator("#lifetime-user").inner_text() == "Ada"
    return context, page


@pytest.mark.browser
class TestRememberMeInChromium:
    def test_unticked_gives_a_cookie_that_ends_with_the_browser(self, site, browser):
        """Chromium stores it without an expiry (-1): a session cookie."""
        context, _ = sign_in_in_browser(browser, site, remember=False)
        assert browser_session_cookie(context)["expires"] == -1
        context.close()

    def test_ticked_gives_a_cookie_for_two_weeks(self, site, browser):
        context, _ = sign_in_in_browser(browser, site, remember=True)
        expires = browser_session_cookie(context)["expires"]
        assert abs(expires - (time.time() + TWO_WEEKS)) < 60
        context.close()


@pytest.mark.browser
class TestWarningScript:
    def test_the_script_warns_before_the_idle_timeout(self, site, browser):
        """With the page's clock moved 45 s on, the countdown shows 15 and
        the warning asks the user to stay signed in; at 0 it says time is up."""
        context = browser.new_context()
        page = context.new_page()
        page.clock.install()
        page.goto(site + PAGE)
        page.get_by_label("Your name").fill("Ada")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(site + BACK_TO_DEMO)
        warning = page.locator("#lifetime-warning")
        assert warning.is_hidden()
        page.clock.run_for(45_000)
        assert int(page.locator("#lifetime-remaining").inner_text()) <= 15
        assert "Stay signed in" in warning.inner_text()
        page.clock.run_for(20_000)
        assert page.locator("#lifetime-remaining").inner_text() == "0"
        assert "Time is up" in warning.inner_text()
        context.close()
