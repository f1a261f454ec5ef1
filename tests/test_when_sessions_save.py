"""Lesson 9: when SessionMiddleware saves, sends Set-Cookie, deletes it, adds Vary."""

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.contrib.sessions.backends.signed_cookies import (
    SessionStore as SignedCookieStore,
)
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from myapp.lessons.when_sessions_save import LOST_KEY, WRITTEN_KEY
from myapp.progress import PROGRESS_KEY
from tests.html import parse
from tests.sessions import stored

PAGE = reverse("myapp:when-sessions-save")
READ = reverse("myapp:when-sessions-save-read")
WRITE = reverse("myapp:when-sessions-save-write")
FAIL = reverse("myapp:when-sessions-save-write-then-fail")
EMPTY = reverse("myapp:when-sessions-save-empty")
UNTOUCHED = reverse("myapp:when-sessions-save-untouched")
TWO_WEEKS = 1209600
CONFIRMED = {"understood": "on"}


def session_cookie(response):
    return response.cookies.get(settings.SESSION_COOKIE_NAME)


def varies_on_cookie(response):
    return "Cookie" in response.get("Vary", "")


def shown_headers(response):
    """The headers the result page itself shows, as text."""
    return parse(response).text("response-headers")


def readable_payload(cookie_value):
    """A signed cookie's data, decoded by Django's own signed_cookies engine."""
    return SignedCookieStore(cookie_value).load()


def why(response):
    return parse(response).text("result-why")


def start_session(client):
    """Open the lesson page, as a learner does, then write the demo value.

    A first page view changes no session, so it sends no session cookie: the
    write is what starts the session, and its response sets the cookie.
    """
    assert session_cookie(client.get(PAGE)) is None
    assert session_cookie(client.post(WRITE)) is not None
    return client.cookies[settings.SESSION_COOKIE_NAME].value


class TestRead:
    def test_a_read_sends_vary_and_no_cookie(self, client, engine):
        """accessed, not modified: Vary: Cookie, no Set-Cookie, and the page
        shows exactly that."""
        start_session(client)
        response = client.get(READ)
        assert response.status_code == 200
        assert session_cookie(response) is None
        assert varies_on_cookie(response)
        headers = shown_headers(response)
        assert "Set-Cookie (none: this response sets no cookie)" in headers
        assert "Vary Cookie" in headers
        page = parse(response)
        assert page.text("read-value") == client.session[WRITTEN_KEY]
        assert page.text("flag-accessed") == "True"
        assert page.text("flag-modified") == "False"

    def test_a_read_does_not_move_the_stored_expiry(self, client, use_settings, db):
        """Nothing is written: the row keeps the data and expire_date of the
        last write (a save would set a later expire_date)."""
        use_settings("db")
        key = start_session(client)
        rows = client.session.get_model_class().objects
        before = rows.values_list("session_data", "expire_date").get(pk=key)
        client.get(READ)
        assert rows.values_list("session_data", "expire_date").get(pk=key) == before

    def test_save_every_request_saves_a_read(self, client, engine, settings):
        """With SESSION_SAVE_EVERY_REQUEST a read-only request is saved too."""
        settings.SESSION_SAVE_EVERY_REQUEST = True
        start_session(client)
        response = client.get(READ)
        assert session_cookie(response)["max-age"] == TWO_WEEKS
        assert varies_on_cookie(response)
        assert "SESSION_SAVE_EVERY_REQUEST is True" in why(response)
        assert "Max-Age=1209600" in why(response)

    def test_save_every_request_saves_no_read_without_a_key(self, engine, settings):
        """A new visitor's read: no key and no data, so nothing to save."""
        settings.SESSION_SAVE_EVERY_REQUEST = True
        response = Client().get(READ)
        assert session_cookie(response) is None
        assert "this request brought none" in why(response)
        assert "sent no Set-Cookie" in why(response)

    def test_a_read_with_a_stale_cookie_deletes_it(self, client, server_engine):
        """The cookie names no stored session: loading drops the key, the
        session is empty, and the middleware deletes the cookie."""
        client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
        response = client.get(READ)
        assert session_cookie(response)["max-age"] == 0
        assert "Django dropped the key" in why(response)

    def test_signed_cookies_replace_a_cookie_they_cannot_verify(
        self, client, use_settings, db
    ):
        """A cookie that fails the signature check: load() calls create(),
        which marks the session modified, so even a read sets a new cookie:
        a new session, where the course records its progress.
        SESSION_SAVE_EVERY_REQUEST is off."""
        use_settings("cookies")
        assert settings.SESSION_SAVE_EVERY_REQUEST is False
        client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
        response = client.get(READ)
        cookie = session_cookie(response)
        assert cookie.value not in ("", "x" * 32)
        assert cookie["max-age"] == TWO_WEEKS
        assert set(readable_payload(cookie.value)) <= {PROGRESS_KEY}
        assert parse(response).text("flag-modified") == "True"
        assert "could not use the cookie" in why(response)
        assert "SESSION_SAVE_EVERY_REQUEST is True" not in why(response)

    def test_the_file_engine_replaces_an_expired_file_on_a_read(
        self, client, use_settings, db, settings
    ):
        """A file past its expiry that clearsessions has not removed: loading
        deletes it and starts a new session, with a new key and file, so the
        read sets a new cookie."""
        use_settings("file")
        key = start_session(client)
        old_file = (
            Path(settings.SESSION_FILE_PATH) / f"{settings.SESSION_COOKIE_NAME}{key}"
        )
        long_ago = time.time() - 2 * TWO_WEEKS
        os.utime(old_file, (long_ago, long_ago))
        response = client.get(READ)
        new_key = session_cookie(response).value
        assert new_key not in ("", key)
        assert not old_file.exists()
        assert (old_file.parent / f"{settings.SESSION_COOKIE_NAME}{new_key}").exists()
        assert "could not use the cookie" in why(response)


class TestWrite:
    def test_a_write_is_saved_and_sends_the_cookie(self, client, engine):
        """modified: saved, Set-Cookie with a fresh Max-Age, Vary: Cookie."""
        client.get(PAGE)
        response = client.post(WRITE)
        assert response.status_code == 200
        cookie = session_cookie(response)
        assert cookie["max-age"] == TWO_WEEKS
        assert varies_on_cookie(response)
        assert "with Max-Age=1209600" in why(response)
        written = parse(response).text("written-value")
        assert client.session[WRITTEN_KEY] == written
        shown = shown_headers(response)
        assert f"Set-Cookie {settings.SESSION_COOKIE_NAME}={cookie.value[:8]}…" in shown
        assert cookie.value not in response.content.decode()

    def test_a_write_under_browser_close_sends_no_max_age(
        self, client, use_settings, db
    ):
        """sitecore/settings/browser_close.py: a cookie without Max-Age, and
        the page says so instead of claiming a fresh Max-Age."""
        use_settings("browser_close")
        client.get(PAGE)
        response = client.post(WRITE)
        assert session_cookie(response)["max-age"] == ""
        assert session_cookie(response)["expires"] == ""
        assert "without Max-Age or Expires" in why(response)
        assert "Max-Age=" not in why(response)

    def test_a_write_leaves_a_fixed_expiry_date_alone(self, client, use_settings, db):
        """set_expiry() with a date: a later write keeps the row's expire_date,
        as the result page says."""
        use_settings("db")
        key = start_session(client)
        session = client.session
        session.set_expiry(timezone.now() + timedelta(days=3))
        session.save()
        rows = session.get_model_class().objects
        fixed = rows.get(pk=key).expire_date
        client.post(WRITE)
        assert rows.get(pk=key).expire_date == fixed
        assert "unless set_expiry() gave this session a fixed date" in why(
            client.post(WRITE)
        )

    def test_every_write_sends_the_same_key_again(self, client, server_engine):
        """The cookie is refreshed on each write; the key stays the same."""
        client.get(PAGE)
        first = session_cookie(client.post(WRITE)).value
        second = session_cookie(client.post(WRITE))
        assert second is not None
        assert second.value == first

    def test_with_signed_cookies_the_cookie_is_the_data(self, client, use_settings):
        """signed_cookies: Set-Cookie carries the value itself, readable."""
        use_settings("cookies")
        client.get(PAGE)
        response = client.post(WRITE)
        written = parse(response).text("written-value")
        payload = readable_payload(session_cookie(response).value)
        assert payload[WRITTEN_KEY] == written

    def test_the_first_write_completes_the_lesson(self, client, engine):
        client.get(PAGE)
        client.post(WRITE)
        assert "when-sessions-save" in client.session[PROGRESS_KEY]["done"]

    def test_write_is_post_only(self, client, db):
        """A GET writes nothing: no Set-Cookie, the stored session unchanged."""
        start_session(client)
        before = stored(client)
        response = client.get(WRITE)
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert session_cookie(response) is None
        assert stored(client) == before


class TestWriteThenFail:
    def test_a_500_response_is_not_saved(self, client, engine):
        """Status 500: no Set-Cookie, and the value is missing afterwards."""
        key = start_session(client)
        response = client.post(FAIL)
        assert response.status_code == 500
        assert session_cookie(response) is None
        assert varies_on_cookie(response)
        assert "Status 500" in shown_headers(response)
        assert parse(response).text("flag-modified") == "True"
        assert client.cookies[settings.SESSION_COOKIE_NAME].value == key
        assert LOST_KEY not in client.session
        assert WRITTEN_KEY in client.session  # earlier, saved writes are kept

    def test_the_lesson_page_reports_the_value_missing(self, client, engine):
        start_session(client)
        client.post(FAIL)
        page = parse(client.get(PAGE))
        assert page.text("state-lost").startswith("not in the session")
        assert page.text("state-written") == client.session[WRITTEN_KEY]

    def test_save_every_request_does_not_save_a_500(self, client, engine, settings):
        settings.SESSION_SAVE_EVERY_REQUEST = True
        start_session(client)
        response = client.post(FAIL)
        assert session_cookie(response) is None
        assert LOST_KEY not in client.session


class TestEmpty:
    def test_without_the_confirmation_nothing_is_erased(self, client, engine):
        """Unticked box: a form error on the lesson page, the session intact."""
        start_session(client)
        before = stored(client)
        response = client.post(EMPTY, {"how": "flush"})
        assert response.status_code == 200
        page = parse(response)
        assert "Tick the box first: nothing was erased." in page.field_errors()
        assert page.text("demo-result") == "Nothing was erased."
        assert session_cookie(response) is None
        assert stored(client) == before

    @pytest.mark.parametrize("how", ["", "delete", "x" * 500])
    def test_an_unknown_method_is_a_form_error(self, client, engine, how):
        """A form error, no Set-Cookie, and the stored session unchanged."""
        start_session(client)
        before = stored(client)
        response = client.post(EMPTY, {"how": how, "understood": "on"})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert session_cookie(response) is None
        assert stored(client) == before

    def test_flush_deletes_the_cookie(self, client, engine):
        """flush() leaves is_empty() True: Set-Cookie with an empty value and
        Max-Age=0, plus Vary: Cookie."""
        start_session(client)
        response = client.post(EMPTY, {"how": "flush", "understood": "on"})
        cookie = session_cookie(response)
        assert cookie.value == ""
        assert cookie["max-age"] == 0
        assert varies_on_cookie(response)
        assert "Max-Age=0" in shown_headers(response)
        page = parse(response)
        assert page.text("flag-empty") == "True"
        assert (
            page.text("erased-keys") == "It held course_progress , save_demo_written ."
        )
        assert "SessionMiddleware deleted the cookie" in why(response)

    def test_flush_deletes_the_stored_record(self, client, server_engine):
        key = start_session(client)
        store = client.session.__class__
        assert store().exists(key)
        client.post(EMPTY, {"how": "flush", "understood": "on"})
        assert not store().exists(key)

    def test_flush_without_a_cookie_sends_no_cookie(self, engine):
        """The cookie is deleted only when the request carried one."""
        response = Client().post(EMPTY, {"how": "flush", "understood": "on"})
        assert session_cookie(response) is None
        assert "The request carried no session cookie" in why(response)
        assert parse(response).text("erased-keys") == "It held nothing."

    def test_clear_keeps_the_key_and_saves(self, client, server_engine):
        """clear() leaves the key, so the session is not empty: the data is
        saved empty under the same key and the same key is sent again."""
        key = start_session(client)
        response = client.post(EMPTY, {"how": "clear", "understood": "on"})
        cookie = session_cookie(response)
        assert cookie.value == key
        assert cookie["max-age"] == TWO_WEEKS
        assert parse(response).text("flag-empty") == "False"
        assert "under the same key" in why(response)
        assert "with Max-Age=1209600" in why(response)
        stored = client.session.__class__(key).load()
        assert WRITTEN_KEY not in stored
        # Not empty by Django's definition, so the course recorded the demo.
        assert stored == {PROGRESS_KEY: {"opened": [], "done": ["when-sessions-save"]}}

    def test_clear_without_a_cookie_saves_nothing_and_says_so(self, engine):
        """No cookie, so no key: clear() leaves the session empty, and the
        page claims neither a key nor a Set-Cookie."""
        response = Client().post(EMPTY, {"how": "clear", **CONFIRMED})
        assert response.status_code == 200
        assert session_cookie(response) is None
        assert parse(response).text("flag-empty") == "True"
        text = why(response)
        assert "saved nothing and sent no Set-Cookie" in text
        assert "same key" not in text
        assert "Set-Cookie (none: this response sets no cookie)" in shown_headers(
            response
        )

    def test_clear_after_a_flush_says_there_was_no_key(self, client, engine):
        """Flush in one tab; the browser drops the deleted cookie; clear() in
        another tab then has no key to keep."""
        start_session(client)
        client.post(EMPTY, {"how": "flush", **CONFIRMED})
        del client.cookies[settings.SESSION_COOKIE_NAME]  # as a browser does
        response = client.post(EMPTY, {"how": "clear", **CONFIRMED})
        assert session_cookie(response) is None
        assert "this session had no key" in why(response)

    def test_clear_with_a_stale_cookie_deletes_it(self, client, server_engine):
        """The view reads first, which drops a key the store does not have;
        clear() then leaves an empty session and the cookie is deleted."""
        client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
        response = client.post(EMPTY, {"how": "clear", **CONFIRMED})
        assert response.status_code == 200
        assert session_cookie(response)["max-age"] == 0
        assert "Django dropped the key" in why(response)

    def test_clear_alone_keeps_a_stale_key_and_cannot_save(self, db):
        """clear() does not load, so an unknown key stays and the save fails:
        the middleware turns this into SessionInterrupted, a 400."""
        session = DatabaseStore("x" * 32)
        session.clear()
        assert session.session_key == "x" * 32
        assert not session.is_empty()
        with pytest.raises(UpdateError):
            session.save()

    def test_clear_under_browser_close_sends_no_max_age(self, client, use_settings, db):
        use_settings("browser_close")
        start_session(client)
        response = client.post(EMPTY, {"how": "clear", **CONFIRMED})
        assert session_cookie(response)["max-age"] == ""
        assert "without Max-Age or Expires" in why(response)
        assert "Max-Age=" not in why(response)

    def test_clear_with_signed_cookies_sends_new_data(self, client, use_settings):
        use_settings("cookies")
        old = start_session(client)
        response = client.post(EMPTY, {"how": "clear", "understood": "on"})
        cookie = session_cookie(response)
        assert cookie.value not in ("", old)
        assert WRITTEN_KEY not in readable_payload(cookie.value)


class TestUntouched:
    def test_no_vary_and_no_cookie(self, client, engine):
        start_session(client)
        response = client.get(UNTOUCHED)
        assert response.status_code == 200
        assert not response.has_header("Vary")
        assert session_cookie(response) is None
        headers = shown_headers(response)
        assert "Vary (none)" in headers
        assert "Set-Cookie (none: this response sets no cookie)" in headers
        assert parse(response).text("flag-accessed") == "False"

    def test_a_cookie_too_short_for_a_key_is_deleted(self, client, engine):
        """No key under 8 characters: the session is empty without a load, so
        the cookie is deleted with Vary: Cookie, and the page says why."""
        client.cookies[settings.SESSION_COOKIE_NAME] = "short"
        response = client.get(UNTOUCHED)
        assert session_cookie(response)["max-age"] == 0
        assert varies_on_cookie(response)
        assert parse(response).text("flag-accessed") == "False"
        assert "too short to be a session key" in why(response)

    def test_save_every_request_saves_even_untouched(self, client, engine, settings):
        """Any session with a key is saved: Set-Cookie and Vary on a page that
        never used the session."""
        settings.SESSION_SAVE_EVERY_REQUEST = True
        start_session(client)
        response = client.get(UNTOUCHED)
        assert session_cookie(response)["max-age"] == TWO_WEEKS
        assert "loaded and saved the session anyway" in why(response)
        assert varies_on_cookie(response)
        # A key and nothing loaded: not empty, so the middleware saved it.
        assert parse(response).text("flag-empty") == "False"
        assert parse(response).text("flag-accessed") == "False"

    def test_save_every_request_without_a_cookie_saves_nothing(self, engine, settings):
        settings.SESSION_SAVE_EVERY_REQUEST = True
        response = Client().get(UNTOUCHED)
        assert session_cookie(response) is None
        assert not response.has_header("Vary")
        assert "there was none to save" in why(response)


class TestLessonPage:
    def test_every_demo_is_a_form_that_lands_on_its_result(self, client, db):
        """Each form goes to a result page whose result has id demo-result."""
        page = parse(client.get(PAGE))
        actions = {form["action"]: form["method"] for form in page.forms()}
        assert actions == {
            READ + "#demo-result": "get",
            WRITE + "#demo-result": "post",
            FAIL + "#demo-result": "post",
            UNTOUCHED + "#demo-result": "get",
            EMPTY + "#demo-result": "post",
        }

    @pytest.mark.parametrize(
        ("method", "url", "data"),
        [
            ("get", READ, {}),
            ("post", WRITE, {}),
            ("post", FAIL, {}),
            ("get", UNTOUCHED, {}),
            ("post", EMPTY, {"how": "flush", "understood": "on"}),
            ("post", EMPTY, {"how": "clear", "understood": "on"}),
        ],
    )
    def test_every_result_page_links_back_to_the_demo(
        self, client, db, method, url, data
    ):
        page = parse(getattr(client, method)(url, data))
        assert page.has_id("demo-result")
        assert page.by_id("back-to-lesson")["href"] == PAGE + "#demo"

    def test_shows_the_written_value(self, client, engine):
        start_session(client)
        page = parse(client.get(PAGE))
        assert page.text("state-written") == client.session[WRITTEN_KEY]

    def test_the_empty_button_says_what_it_erases(self, client, db):
        text = parse(client.get(PAGE)).text("demo-empty")
        assert "course progress" in text
