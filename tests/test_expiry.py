"""Lesson 10: expiry from the last change, set_expiry() and clearsessions."""

import importlib
import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import global_settings, settings
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.backends.signed_cookies import (
    SessionStore as SignedCookieStore,
)
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from myapp.lessons.expiry import SAVED_AT_KEY
from tests.conftest import forget_file_storage_path
from tests.html import parse

PAGE = reverse("myapp:expiry")
SET = reverse("myapp:expiry-set")
TWO_WEEKS = 60 * 60 * 24 * 14
EXPIRY_KEY = "_session_expiry"  # Django's reserved key for set_expiry()

# A fixed "now" for the datetime button, and the midnight that follows it:
# 8 h 50 min 34 s, or 31834 seconds, later.
FROZEN_NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
NEXT_MIDNIGHT = datetime(2026, 3, 15, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """Move time forward for everything that decides expiry, without sleeping.

    timezone.now() serves the db engine's expire_date, the file engine's age
    check and set_expiry(timedelta); time.time() serves the local-memory
    cache's timeouts and the signed cookie's timestamp. Both move together.
    """

    class Clock:
        offset = 0.0

        def advance(self, seconds):
            self.offset += seconds

    moved = Clock()
    real_time, real_now = time.time, timezone.now
    monkeypatch.setattr(time, "time", lambda: real_time() + moved.offset)
    monkeypatch.setattr(
        timezone, "now", lambda: real_now() + timedelta(seconds=moved.offset)
    )
    return moved


@pytest.fixture
def frozen_now(monkeypatch):
    """timezone.now() answers FROZEN_NOW, so the expiry can be written down."""
    monkeypatch.setattr(timezone, "now", lambda: FROZEN_NOW)


def session_cookie(response):
    return response.cookies.get(settings.SESSION_COOKIE_NAME)


def choose(client, choice):
    """Open the page as a learner would, then press a button.

    Twice: a first view stores nothing and sets only the CSRF cookie; the
    second brings it back, so the course records the page and starts the
    session. Later views of the page then only read it.
    """
    assert session_cookie(client.get(PAGE)) is None
    assert session_cookie(client.get(PAGE)) is not None
    response = client.post(SET, {"choice": choice})
    assert response.status_code == 302
    assert response["Location"] == PAGE + "#demo"
    return response


def still_there(client):
    """Whether the demo's session survived: the page finds its value."""
    items = parse(client.get(PAGE)).inspector_items()
    return SAVED_AT_KEY in items


class TestDefaults:
    def test_the_project_states_djangos_defaults(self):
        """Two weeks, persistent, saved only on change: Django's own defaults."""
        assert settings.SESSION_COOKIE_AGE == global_settings.SESSION_COOKIE_AGE
        assert settings.SESSION_COOKIE_AGE == TWO_WEEKS
        assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is False
        assert global_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is False
        assert settings.SESSION_SAVE_EVERY_REQUEST is False

    def test_a_save_sends_a_persistent_two_week_cookie(self, client, engine):
        """Max-Age and Expires: the cookie outlives the browser."""
        cookie = session_cookie(choose(client, "default"))
        assert cookie["max-age"] == TWO_WEEKS
        assert cookie["expires"]
        page = parse(client.get(PAGE))
        assert page.text("expiry-custom").startswith("not set")
        assert page.text("expiry-browser-close") == "False"

    def test_expire_at_browser_close_drops_max_age(self, client, engine, settings):
        settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
        cookie = session_cookie(choose(client, "default"))
        assert cookie["max-age"] == ""
        assert cookie["expires"] == ""


class TestSetExpiry:
    def test_an_integer_becomes_max_age(self, client, engine):
        cookie = session_cookie(choose(client, "seconds"))
        assert cookie["max-age"] == 15
        assert client.session[EXPIRY_KEY] == 15

    def test_zero_makes_a_browser_session_cookie(self, client, engine):
        cookie = session_cookie(choose(client, "browser-close"))
        assert cookie["max-age"] == ""
        assert cookie["expires"] == ""
        session = client.session
        assert session[EXPIRY_KEY] == 0
        assert session.get_expire_at_browser_close() is True
        # The stored record still lasts SESSION_COOKIE_AGE.
        assert session.get_expiry_age() == TWO_WEEKS

    def test_a_timedelta_is_stored_as_a_fixed_moment(self, client, engine):
        """now + 10 minutes, as an ISO string; Max-Age is the seconds left."""
        before = timezone.now()
        cookie = session_cookie(choose(client, "timedelta"))
        stored = client.session[EXPIRY_KEY]
        assert isinstance(stored, str)
        moment = datetime.fromisoformat(stored)
        assert before + timedelta(minutes=10) <= moment
        assert moment <= timezone.now() + timedelta(minutes=10)
        assert 595 <= cookie["max-age"] <= 600

    def test_a_datetime_is_stored_as_that_moment(self, client, engine, frozen_now):
        """Pressed at 15:09:26 UTC: the coming midnight, stored as an ISO
        string, and a Max-Age of the 31834 seconds left until then."""
        cookie = session_cookie(choose(client, "datetime"))
        assert client.session[EXPIRY_KEY] == "2026-03-15T00:00:00+00:00"
        assert cookie["max-age"] == 31834

    def test_none_goes_back_to_the_settings(self, client, engine):
        choose(client, "seconds")
        cookie = session_cookie(client.post(SET, {"choice": "default"}))
        assert cookie["max-age"] == TWO_WEEKS
        assert EXPIRY_KEY not in client.session

    @pytest.mark.parametrize("choice", ["", "forever", "-1", "15", "x" * 300])
    def test_an_unknown_choice_is_a_form_error(self, client, engine, choice):
        """200 with the error, no Set-Cookie: the stored session is unchanged."""
        choose(client, "timedelta")
        before = dict(client.session.items())
        response = client.post(SET, {"choice": choice})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert session_cookie(response) is None
        assert dict(client.session.items()) == before

    def test_set_is_post_only(self, client, db):
        """A GET of set_expiry(0) changes neither the session nor its cookie."""
        choose(client, "seconds")
        before = dict(client.session.items())
        assert before[EXPIRY_KEY] == 15
        response = client.get(SET, {"choice": "browser-close"})
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert session_cookie(response) is None
        assert dict(client.session.items()) == before


class TestExpiryMethods:
    """get_expiry_age() and get_expiry_date() with their keyword arguments."""

    def test_an_integer_age_ignores_modification(self):
        """The age is the integer itself; the date counts it from modification."""
        session = SessionStore()
        session.set_expiry(300)
        saved = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
        assert session.get_expiry_age(modification=saved) == 300
        assert session.get_expiry_date(modification=saved) == datetime(
            2026, 3, 14, 12, 5, tzinfo=UTC
        )

    def test_a_fixed_moment_is_counted_from_modification(self):
        """100 seconds from the save to the fixed moment."""
        session = SessionStore()
        session.set_expiry(NEXT_MIDNIGHT)
        saved = datetime(2026, 3, 14, 23, 58, 20, tzinfo=UTC)
        assert session.get_expiry_date(modification=saved) == NEXT_MIDNIGHT
        assert session.get_expiry_age(modification=saved) == 100

    def test_the_expiry_keyword_does_not_load_the_session(self):
        """An unknown key, and no database: the session is never read."""
        session = SessionStore("k" * 32)
        assert session.get_expiry_age(expiry=60) == 60
        assert session.get_expiry_date(expiry=0) > timezone.now()
        assert session.accessed is False

    def test_none_without_a_custom_expiry_is_no_change(self):
        """Nothing to remove: the session is not marked modified."""
        session = SessionStore()
        session.set_expiry(None)
        assert session.modified is False
        session.set_expiry(60)
        session.modified = False
        session.set_expiry(None)
        assert session.modified is True
        assert EXPIRY_KEY not in session


class TestWhichEnginesPassExpiry:
    """Lesson 10 says only the file and cached_db engines pass expiry=."""

    @pytest.mark.parametrize(
        ("engine_name", "passes_expiry"),
        [
            ("db", False),
            ("file", True),
            ("cache", False),
            ("cached_db", True),
            ("signed_cookies", False),
        ],
    )
    def test_only_file_and_cached_db_pass_expiry(
        self, engine_name, passes_expiry, monkeypatch, settings, tmp_path, db
    ):
        """A save, then a load by a fresh store (cached_db from its row, the
        cache emptied): does the engine ever pass expiry=?"""
        settings.SESSION_FILE_PATH = str(tmp_path)
        forget_file_storage_path()
        keywords = []
        for method in ("get_expiry_age", "get_expiry_date"):
            real = getattr(SessionBase, method)

            def spy(self, _real=real, **kwargs):
                keywords.append(set(kwargs))
                return _real(self, **kwargs)

            monkeypatch.setattr(SessionBase, method, spy)
        module = f"django.contrib.sessions.backends.{engine_name}"
        store = importlib.import_module(module).SessionStore
        session = store()
        session["kept"] = True
        session.save()
        if engine_name == "cached_db":
            caches[settings.SESSION_CACHE_ALIAS].clear()  # read the row, not the copy
        assert store(session.session_key).load() == {"kept": True}
        forget_file_storage_path()
        assert any("expiry" in used for used in keywords) is passes_expiry

    def test_the_page_names_the_two_engines(self, client, db):
        text = parse(client.get(PAGE)).text("deeper-expiry-methods")
        assert "only two pass expiry=" in text
        assert "The db, cache and signed_cookies engines never pass it" in text


class TestCountdown:
    def test_the_page_counts_down_without_javascript(self, client, engine, clock):
        """The remaining seconds and the absolute deadline are in the HTML."""
        choose(client, "seconds")
        saved_at = datetime.fromisoformat(client.session[SAVED_AT_KEY])
        clock.advance(10)
        page = parse(client.get(PAGE))
        assert int(page.text("expiry-remaining")) in (4, 5)
        deadline = page.by_id("expiry-deadline")["datetime"]
        assert datetime.fromisoformat(deadline) == saved_at + timedelta(seconds=15)

    def test_a_fixed_moment_is_shown_as_such(self, client, engine):
        choose(client, "timedelta")
        page = parse(client.get(PAGE))
        assert "fixed moment" in page.text("expiry-date")
        assert "if saved now" not in page.text("expiry-date")


# The engines that refuse an expired integer expiry on the server.
ENFORCING = ("db", "cache", "cached_db")


class TestExpiresAfterTheLastChange:
    @pytest.fixture(params=ENFORCING)
    def enforcing_engine(self, request, use_settings, db):
        return use_settings(request.param)

    def test_an_expired_session_is_gone(self, client, enforcing_engine, clock):
        """16 seconds after set_expiry(15): the old key loads nothing, and the
        page says the cookie named a session the server no longer has."""
        choose(client, "seconds")
        clock.advance(16)
        response = client.get(PAGE)
        page = parse(response)
        assert SAVED_AT_KEY not in page.inspector_items()
        assert "no longer has that session" in page.text("expiry-arrival")

    def test_before_the_deadline_it_is_still_there(
        self, client, enforcing_engine, clock
    ):
        choose(client, "seconds")
        clock.advance(10)
        assert still_there(client)

    def test_reading_does_not_extend_it(self, client, enforcing_engine, clock):
        """A read 10 s in sends no cookie and moves nothing: gone at 16 s."""
        choose(client, "seconds")
        clock.advance(10)
        assert session_cookie(client.get(PAGE)) is None
        clock.advance(6)
        assert not still_there(client)

    def test_a_change_restarts_it(self, client, enforcing_engine, clock):
        """Saved again at 10 s: alive at 20 s, 10 s after the last change."""
        choose(client, "seconds")
        clock.advance(10)
        assert session_cookie(client.get("/ssession"))["max-age"] == 15
        clock.advance(10)
        assert still_there(client)

    def test_save_every_request_makes_reads_extend_it(
        self, client, enforcing_engine, clock, settings
    ):
        settings.SESSION_SAVE_EVERY_REQUEST = True
        choose(client, "seconds")
        clock.advance(10)
        assert session_cookie(client.get(PAGE))["max-age"] == 15
        clock.advance(10)
        assert still_there(client)

    @pytest.mark.parametrize(
        ("choice", "expire_at_browser_close"),
        [("browser-close", False), ("default", True)],
    )
    def test_a_browser_session_still_expires_on_the_server(
        self, client, engine, clock, settings, choice, expire_at_browser_close
    ):
        """set_expiry(0), or SESSION_EXPIRE_AT_BROWSER_CLOSE: no Max-Age, yet
        the server drops the session SESSION_COOKIE_AGE after the last save."""
        settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = expire_at_browser_close
        assert session_cookie(choose(client, choice))["max-age"] == ""
        clock.advance(TWO_WEEKS - 60)
        assert still_there(client)
        clock.advance(120)
        assert not still_there(client)

    def test_an_integer_is_not_renewed_by_reading(
        self, client, enforcing_engine, clock
    ):
        """set_expiry(15), then a read every 10 seconds: no save, so no renewal.
        Not an inactivity timeout unless every request saves."""
        choose(client, "seconds")
        clock.advance(10)
        assert still_there(client)  # a read: the page does not save
        clock.advance(10)
        assert not still_there(client)

    def test_a_timedelta_does_not_slide(self, client, enforcing_engine, clock):
        """A change at 9 minutes does not move a 10-minute timedelta."""
        choose(client, "timedelta")
        clock.advance(9 * 60)
        client.get("/ssession")
        clock.advance(2 * 60)
        assert not still_there(client)

    def test_the_file_engine_ignores_an_integer_on_the_server(
        self, client, use_settings, db, clock
    ):
        """Its age check treats set_expiry(15) as "15 seconds from now", so
        the file never expires: only the cookie's Max-Age ends that session."""
        use_settings("file")
        choose(client, "seconds")
        clock.advance(60 * 60)
        assert still_there(client)

    def test_the_file_engine_enforces_a_fixed_moment(
        self, client, use_settings, db, clock
    ):
        use_settings("file")
        choose(client, "timedelta")
        clock.advance(11 * 60)
        assert not still_there(client)

    def test_a_signed_cookie_outlives_a_shorter_expiry(
        self, client, use_settings, db, clock
    ):
        """The server checks only SESSION_COOKIE_AGE since signing: a cookie
        replayed after its Max-Age still loads, until two weeks pass."""
        use_settings("cookies")
        choose(client, "seconds")
        clock.advance(60 * 60)
        assert still_there(client)
        clock.advance(TWO_WEEKS)
        assert not still_there(client)

    def test_a_signed_cookie_cuts_a_longer_expiry_short(self, use_settings, clock):
        """set_expiry(30 days) gives a 30-day Max-Age, but the server refuses
        the cookie SESSION_COOKIE_AGE after it was signed."""
        use_settings("cookies")
        session = SignedCookieStore()
        session["kept"] = True
        session.set_expiry(timedelta(days=30))
        session.save()
        assert session.get_expiry_age() > TWO_WEEKS
        cookie = session.session_key
        clock.advance(TWO_WEEKS - 60)
        assert SignedCookieStore(cookie).load()["kept"] is True
        clock.advance(120)
        assert SignedCookieStore(cookie).load() == {}


class TestClearsessions:
    def expired_and_live_keys(self, clock):
        """One session with set_expiry(timedelta(minutes=10)), one with the
        default two weeks; then 11 minutes pass."""
        expiring, live = Client(), Client()
        choose(expiring, "timedelta")
        choose(live, "default")
        clock.advance(11 * 60)
        cookie = settings.SESSION_COOKIE_NAME
        return expiring.cookies[cookie].value, live.cookies[cookie].value

    @pytest.mark.parametrize("engine_name", ["db", "cached_db"])
    def test_removes_expired_rows_only(self, use_settings, db, clock, engine_name):
        use_settings(engine_name)
        from django.contrib.sessions.models import Session

        expired, live = self.expired_and_live_keys(clock)
        # Ignored when loaded, but still in the table until clearsessions.
        assert Session.objects.filter(pk=expired).exists()
        call_command("clearsessions")
        assert not Session.objects.filter(pk=expired).exists()
        assert Session.objects.filter(pk=live).exists()

    def test_removes_expired_files_only(self, use_settings, db, clock):
        use_settings("file")
        expired, live = self.expired_and_live_keys(clock)
        path = settings.SESSION_FILE_PATH
        prefix = settings.SESSION_COOKIE_NAME
        assert os.path.exists(os.path.join(path, prefix + expired))
        call_command("clearsessions")
        assert not os.path.exists(os.path.join(path, prefix + expired))
        assert os.path.exists(os.path.join(path, prefix + live))

    def test_leaves_a_file_with_an_integer_expiry(
        self, client, use_settings, db, clock
    ):
        """The same age check: set_expiry(15) files are never cleared."""
        use_settings("file")
        choose(client, "seconds")
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        clock.advance(60 * 60)
        call_command("clearsessions")
        path = os.path.join(
            settings.SESSION_FILE_PATH, settings.SESSION_COOKIE_NAME + key
        )
        assert os.path.exists(path)

    @pytest.mark.parametrize("engine_name", ["cache", "cookies"])
    def test_does_nothing_for_cache_and_signed_cookies(
        self, client, use_settings, db, engine_name
    ):
        """No error and no change: the cache expires its own entries, and a
        signed cookie keeps nothing on the server."""
        use_settings(engine_name)
        client.get("/ssession")
        call_command("clearsessions")
        assert client.session["sname"] == "irfan"


class TestLessonPage:
    def test_the_form_lands_on_the_demo(self, client, db):
        """Pressed or refused, the answer comes back to #demo."""
        forms = parse(client.get(PAGE)).forms()
        assert [form["action"] for form in forms] == [SET + "#demo"]

    def test_the_page_names_no_seed_tutorial(self, client, db):
        """The shown settings file and the text say "a popular tutorial"."""
        text = parse(client.get(PAGE)).text()
        assert "seed" not in text.lower()
        assert "a popular tutorial" in text
