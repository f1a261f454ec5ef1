"""Lesson 11: the engines side by side, and where a stored note lands.

(tests/test_engines.py is the shared engine contract; this file is the lesson's.)
"""

import base64
import os
import zlib
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.backends.cache import SessionStore as CacheStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from myapp.lessons.engines import NOTE_KEY, built_on
from tests.html import parse

PAGE = reverse("myapp:engines")
STORE = reverse("myapp:engines-store")
FORGET = reverse("myapp:engines-forget")

# What the page names as the place of the data, per engine settings file.
WHERE = {
    "db": ["django_session row"],
    "file": ["sessionid"],
    "cache": ["django.contrib.sessions.cache"],
    "cached_db": ["django.contrib.sessions.cached_db", "django_session row"],
    "cookies": ["cookie sessionid"],
    "active": ["myapp_activesession row"],
}
# The engine each settings file runs, as the page names it (built-in ones only).
LABELS = {
    "db": "db",
    "file": "file",
    "cache": "cache",
    "cached_db": "cached_db",
    "cookies": "signed_cookies",
}


class SessionStore(CacheStore):
    """A custom engine for one test below: this module is its SESSION_ENGINE."""


def session_cookie(client):
    return client.cookies.get(settings.SESSION_COOKIE_NAME)


def cookie_payload(value):
    """Decode a signed cookie's payload without the key, as anyone can."""
    payload = value.split(":", 1)[0]
    compressed, payload = payload.startswith("."), payload.lstrip(".")
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(data) if compressed else data).decode()


class TestPage:
    @pytest.mark.parametrize("engine_name", LABELS)
    def test_marks_the_running_engine(self, client, use_settings, db, engine_name):
        use_settings(engine_name)
        page = parse(client.get(PAGE))
        label = LABELS[engine_name]
        assert page.text("engines-running-engine").startswith(label)
        assert "running" in page.text(f"engines-row-{label}")
        others = [other for other in LABELS.values() if other != label]
        for other in others:
            assert "running" not in page.by_id(f"engines-row-{other}").get("class", [])
        assert not page.has_id("engines-running-base")

    def test_a_custom_engine_is_named_with_the_engine_it_extends(
        self, client, use_settings, db
    ):
        """Lesson 19's engine is none of the five: no row is marked, and the
        page says which built-in engine its SessionStore extends."""
        use_settings("active")
        page = parse(client.get(PAGE))
        assert page.text("engines-running-engine").startswith("myapp.active_sessions")
        for label in LABELS.values():
            assert "running" not in page.by_id(f"engines-row-{label}").get("class", [])
        assert "extends the db engine's" in page.text("engines-running-base")

    def test_a_custom_cache_engine_shows_its_cache(self, client, settings, db):
        """Described by what it extends: here a cache store, so the cache shows."""
        settings.SESSION_ENGINE = __name__
        page = parse(client.get(PAGE))
        assert "extends the cache engine's" in page.text("engines-running-base")
        assert "LocMemCache" in page.text("engines-running-cache")

    def test_built_on_names_the_most_specific_engine(self):
        """cached_db's store is also a db store: the closer base is named."""
        prefix = "django.contrib.sessions.backends."
        assert built_on(prefix + "cached_db") == "cached_db"
        assert built_on("myapp.active_sessions") == "db"
        assert built_on(prefix + "signed_cookies") == "signed_cookies"

    def test_shows_every_engines_settings_file(self, client, db):
        page = parse(client.get(PAGE))
        for name in ("db", "file", "cache", "cached_db", "cookies"):
            path = f"sitecore/settings/{name}.py"
            shown = page.raw_text(f"source-sitecore-settings-{name}-py")
            assert (settings.BASE_DIR / path).read_text().strip() in shown

    @pytest.mark.parametrize("engine_name", ["cache", "cached_db"])
    def test_says_the_local_memory_cache_is_per_process(
        self, client, use_settings, db, engine_name
    ):
        use_settings(engine_name)
        text = parse(client.get(PAGE)).text("engines-running-cache")
        assert "LocMemCache" in text
        assert "inside this process only" in text

    def test_a_cache_outside_the_process_is_called_shared(
        self, client, use_settings, settings, tmp_path, db
    ):
        use_settings("cache")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path / "cache"),
            }
        }
        text = parse(client.get(PAGE)).text("engines-running-cache")
        assert "FileBasedCache" in text
        assert "every process that points at it sees the same sessions" in text

    def test_cookie_engine_shows_the_cookie_size(self, client, use_settings, db):
        use_settings("cookies")
        client.post(STORE, {"note": "hello"})
        size = len(session_cookie(client).value)
        text = parse(client.get(PAGE)).text("engines-running-cookie")
        assert text == f"{size} of about 4096 bytes"

    def test_a_new_visitor_has_no_note(self, client, engine):
        text = parse(client.get(PAGE)).text("engines-landed")
        assert text.startswith("No note yet")


class TestStoreNote:
    def test_note_is_kept_and_shown_where_it_landed(self, client, engine):
        response = client.post(STORE, {"note": "  hello engines  "})
        assert response.status_code == 302
        assert response["Location"] == PAGE
        assert client.session[NOTE_KEY] == "hello engines"
        landed = parse(client.get(PAGE)).text("engines-landed")
        assert '"engines_note": "hello engines"' in landed.replace('":"', '": "')
        for place in WHERE[engine]:
            assert place in landed

    def test_the_session_key_is_never_shown_whole(self, client, server_engine):
        client.post(STORE, {"note": "hello"})
        key = session_cookie(client).value
        landed = parse(client.get(PAGE)).raw_text("engines-landed")
        assert key not in landed
        if server_engine in ("file", "cache", "cached_db"):  # named after the key
            assert key[:8] + "…" in landed

    def test_db_keeps_a_row_and_no_cache_entry(self, client, use_settings, db):
        use_settings("db")
        client.post(STORE, {"note": "row"})
        key = session_cookie(client).value
        assert Session.objects.get(pk=key).get_decoded()[NOTE_KEY] == "row"
        assert caches["default"].get("django.contrib.sessions.cache" + key) is None

    def test_file_keeps_one_file_named_after_the_key(self, client, use_settings, db):
        use_settings("file")
        client.post(STORE, {"note": "file"})
        key = session_cookie(client).value
        path = os.path.join(settings.SESSION_FILE_PATH, "sessionid" + key)
        with open(path) as session_file:
            stored = session_file.read()
        assert client.session.decode(stored)[NOTE_KEY] == "file"
        assert not Session.objects.filter(pk=key).exists()

    def test_cache_keeps_a_cache_entry_and_no_row(self, client, use_settings, db):
        use_settings("cache")
        client.post(STORE, {"note": "cached"})
        key = session_cookie(client).value
        entry = caches["default"].get("django.contrib.sessions.cache" + key)
        assert entry[NOTE_KEY] == "cached"
        assert not Session.objects.filter(pk=key).exists()

    def test_cache_engine_loses_sessions_when_the_cache_goes(
        self, client, use_settings, db
    ):
        """A flush or restart of the cache: the visitor has an empty session."""
        use_settings("cache")
        client.post(STORE, {"note": "gone soon"})
        caches["default"].clear()
        assert NOTE_KEY not in client.session

    def test_cached_db_keeps_both_and_survives_a_cache_loss(
        self, client, use_settings, db
    ):
        use_settings("cached_db")
        client.post(STORE, {"note": "both"})
        key = session_cookie(client).value
        entry = caches["default"].get("django.contrib.sessions.cached_db" + key)
        assert entry[NOTE_KEY] == "both"
        assert Session.objects.get(pk=key).get_decoded()[NOTE_KEY] == "both"
        caches["default"].clear()
        assert client.session[NOTE_KEY] == "both"

    def test_cached_db_logs_a_failed_cache_write_and_keeps_the_row(
        self, use_settings, db, monkeypatch, caplog
    ):
        """Since 5.1 a cache that fails in save() is logged, not raised."""
        use_settings("cached_db")

        def unreachable(*args, **kwargs):
            raise ConnectionError("the cache did not answer")

        monkeypatch.setattr(caches["default"], "set", unreachable)
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store[NOTE_KEY] = "row only"
        store.save()
        row = Session.objects.get(pk=store.session_key)
        assert row.get_decoded()[NOTE_KEY] == "row only"
        assert "Error saving to cache" in caplog.text

    def test_signed_cookie_carries_the_data_readable(self, client, use_settings, db):
        """Signed, not encrypted: the note is readable without the secret key."""
        use_settings("cookies")
        client.post(STORE, {"note": "readable by anyone"})
        value = session_cookie(client).value
        assert '"engines_note":"readable by anyone"' in cookie_payload(value)
        assert not Session.objects.exists()

    def test_logout_cannot_revoke_a_copied_signed_cookie(
        self, client, use_settings, db
    ):
        """The server keeps no record to delete: an old copy still loads."""
        use_settings("cookies")
        client.post(STORE, {"note": "still here"})
        copy = session_cookie(client).value
        client.post(reverse("myapp:logout"))
        assert session_cookie(client).value == ""
        replay = Client()
        replay.cookies[settings.SESSION_COOKIE_NAME] = copy
        assert replay.session[NOTE_KEY] == "still here"

    def test_logout_revokes_a_server_side_session(self, client, server_engine):
        client.post(STORE, {"note": "revoked"})
        copy = session_cookie(client).value
        client.post(reverse("myapp:logout"))
        replay = Client()
        replay.cookies[settings.SESSION_COOKIE_NAME] = copy
        assert NOTE_KEY not in replay.session

    @pytest.mark.parametrize(
        "note", ["", "   ", "x" * 101, "a\x00b"], ids=["empty", "spaces", "101", "nul"]
    )
    def test_bad_notes_get_a_form_error_and_change_nothing(self, client, engine, note):
        client.get("/ssession")
        before = dict(client.session.items())
        response = client.post(STORE, {"note": note})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        assert dict(client.session.items()) == before

    def test_store_is_post_only(self, client, engine):
        assert client.get(STORE).status_code == 405
        assert session_cookie(client) is None

    def test_post_without_csrf_token_is_refused(self, engine):
        client = Client(enforce_csrf_checks=True)
        assert client.post(STORE, {"note": "x"}).status_code == 403
        assert NOTE_KEY not in client.session


class TestForgetNote:
    def test_forgetting_removes_only_the_note(self, client, engine):
        client.get("/ssession")
        client.post(STORE, {"note": "bye"})
        response = client.post(FORGET)
        assert response.status_code == 302
        session = client.session
        assert NOTE_KEY not in session
        assert session["sname"] == "irfan"

    def test_forgetting_nothing_writes_nothing(self, client, engine):
        client.get("/ssession")
        response = client.post(FORGET)
        assert settings.SESSION_COOKIE_NAME not in response.cookies

    def test_forget_is_post_only(self, client, engine):
        client.post(STORE, {"note": "kept"})
        assert client.get(FORGET).status_code == 405
        assert client.session[NOTE_KEY] == "kept"
