"""Lesson 11: the engines side by side, and where a stored note lands.

(tests/test_engines.py is the shared engine contract; this file is the lesson's.)
"""

import base64
import os
import subprocess
import sys
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
from tests import services
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

    def test_demo_forms_return_to_the_demo(self, client, db):
        client.post(STORE, {"note": "kept"})
        page = parse(client.get(PAGE))
        actions = [form["action"] for form in page.by_id("demo").find_all("form")]
        assert actions == [STORE + "#demo", FORGET + "#demo"]
        assert page.has_id("engines-landed")

    def test_names_the_projects_own_engines_for_redis(self, client, db):
        """redis.py and redis_cached_db.py run myapp/session_backends/, and
        those stores are Django's with a few methods overridden."""
        from django.contrib.sessions.backends import cache, cached_db

        from myapp.session_backends import cache as own_cache
        from myapp.session_backends import cached_db as own_cached_db
        from sitecore.settings import redis, redis_cached_db

        assert redis.SESSION_ENGINE == "myapp.session_backends.cache"
        assert redis_cached_db.SESSION_ENGINE == "myapp.session_backends.cached_db"
        assert issubclass(own_cache.SessionStore, cache.SessionStore)
        assert issubclass(own_cached_db.SessionStore, cached_db.SessionStore)
        text = parse(client.get(PAGE)).text("engines-own-subclasses")
        assert "myapp.session_backends.cache" in text
        assert "myapp.session_backends.cached_db" in text

    def test_a_new_visitor_has_no_note(self, client, engine):
        text = parse(client.get(PAGE)).text("engines-landed")
        assert text.startswith("No note yet")


class TestStoreNote:
    def test_note_is_kept_and_shown_where_it_landed(self, client, engine):
        response = client.post(STORE, {"note": "  hello engines  "})
        assert response.status_code == 302
        assert response["Location"] == PAGE + "#engines-landed"
        assert client.session[NOTE_KEY] == "hello engines"
        landed = parse(client.get(PAGE)).text("engines-landed")
        assert '"engines_note": "hello engines"' in landed.replace('":"', '": "')
        for place in WHERE[engine]:
            assert place in landed

    def test_an_engine_the_page_does_not_know_is_named_not_read(
        self, client, settings, db
    ):
        """A package's engine, or your own, keeps the note where this page
        cannot look: it names the engine instead of claiming nothing is there."""
        settings.SESSION_ENGINE = "tests.unknown_engine"
        client.post(STORE, {"note": "elsewhere"})
        landed = parse(client.get(PAGE)).text("engines-landed")
        assert landed.startswith("Your note elsewhere is in the session.")
        assert (
            "Kind engine Where the store of tests.unknown_engine Content not shown:"
            " this page reads only the stores of the engines this course ships"
        ) in landed

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
        assert response["Location"] == PAGE + "#engines-landed"
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


def client_with(cookie):
    """A new browser tab that sends this session cookie: the next request
    after a restart."""
    browser = Client()
    browser.cookies[settings.SESSION_COOKIE_NAME] = cookie
    return browser


def landed_after(client):
    return parse(client.get(PAGE)).text("engines-landed")


# The engine of redis_cached_db.py, on a local cache: what matters for a
# switch is its store class, which reads the django_session table.
OWN_CACHED_DB = "myapp.session_backends.cached_db"


class TestSwitchingEngines:
    """A restart with another settings file, as make run ENGINE=... does."""

    def store_then_switch(self, use_settings, settings, first, second):
        use_settings(first)
        before = Client()
        before.post(STORE, {"note": "switched"})
        cookie = session_cookie(before).value
        use_settings(second.removesuffix("+own"))
        if second.endswith("+own"):
            settings.SESSION_ENGINE = OWN_CACHED_DB
        return cookie, client_with(cookie)

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            ("db", "cached_db"),
            ("cached_db", "db"),
            ("db", "expiry"),
            ("expiry", "browser_close"),
            ("browser_close", "db"),
            ("db", "cached_db+own"),
        ],
    )
    def test_engines_on_the_same_table_keep_the_session(
        self, use_settings, settings, db, first, second
    ):
        """One table, one signing salt: the note is still there."""
        _, after = self.store_then_switch(use_settings, settings, first, second)
        assert landed_after(after).startswith("Your note switched is in the session")

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            ("db", "file"),
            ("file", "db"),
            ("db", "cache"),
            ("cache", "cached_db"),
            ("db", "cookies"),
            ("cookies", "db"),
            ("db", "active"),
            ("active", "db"),
        ],
    )
    def test_any_other_switch_starts_an_empty_session(
        self, use_settings, settings, db, first, second
    ):
        _, after = self.store_then_switch(use_settings, settings, first, second)
        assert landed_after(after).startswith("No note yet")

    def test_switching_back_does_not_bring_the_old_session_back(
        self, use_settings, settings, db
    ):
        """The file engine drops the unknown key and sets a new cookie; back on
        db, that new key finds nothing, though the old row is still there."""
        old_key, on_file = self.store_then_switch(use_settings, settings, "db", "file")
        on_file.get(PAGE)
        new_key = session_cookie(on_file).value
        assert new_key != old_key
        use_settings("db")
        assert landed_after(client_with(new_key)).startswith("No note yet")
        assert Session.objects.filter(pk=old_key).exists()

    def test_a_cache_that_outlives_the_switch_serves_an_older_copy(
        self, use_settings, settings, db
    ):
        """cached_db, then db changes the row, then cached_db again with the
        same cache (Redis keeps it across restarts): the cache copy wins."""
        use_settings("cached_db")
        first = Client()
        first.post(STORE, {"note": "older"})
        key = session_cookie(first).value
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
        client_with(key).post(STORE, {"note": "newer"})
        assert Session.objects.get(pk=key).get_decoded()[NOTE_KEY] == "newer"
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
        assert landed_after(client_with(key)).startswith("Your note older is in")


def redis_server(port, directory, saves_to_disk):
    """A redis-server of the test's own, in its own directory."""
    command = [
        services.require_command("redis-server", "redis-server"),
        *("--bind", "127.0.0.1", "--port", str(port), "--dir", str(directory)),
        *("--save", "", "--appendonly", "yes" if saves_to_disk else "no"),
    ]
    return services.running(command, port)


def use_redis(settings, url):
    """redis.py's engine and cache, pointed at the test's own Redis."""
    settings.SESSION_ENGINE = "myapp.session_backends.cache"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
        }
    }


def note_in_a_new_process(settings_module, key, tmp_path, env=None):
    """Read the note with manage.py shell: a new process, as after a restart."""
    code = (
        "from importlib import import_module; from django.conf import settings; "
        "store = import_module(settings.SESSION_ENGINE).SessionStore; "
        f"print('note:', store({key!r}).get({NOTE_KEY!r}))"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DJANGO_SECRET_KEY": "engines-lesson-test-only",
        "DJANGO_DB_PATH": str(tmp_path / "db.sqlite3"),
        **(env or {}),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def store_a_note(note):
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[NOTE_KEY] = note
    store.save()
    return store.session_key


class TestRestarts:
    """The table's "Survives a restart" column for the cache engine."""

    def test_local_memory_sessions_end_with_the_process(
        self, use_settings, db, tmp_path
    ):
        use_settings("cache")
        key = store_a_note("in this process")
        assert note_in_a_new_process("sitecore.settings.cache", key, tmp_path) == (
            "note: None"
        )

    def test_redis_sessions_outlive_a_restart_of_django(self, settings, db, tmp_path):
        port = services.free_port()
        url = f"redis://127.0.0.1:{port}/0"
        use_redis(settings, url)
        with redis_server(port, tmp_path, saves_to_disk=False):
            key = store_a_note("in Redis")
            note = note_in_a_new_process(
                "sitecore.settings.redis", key, tmp_path, {"REDIS_URL": url}
            )
        assert note == "note: in Redis"

    @pytest.mark.parametrize(
        ("saves_to_disk", "kept"), [(True, "in Redis"), (False, None)]
    )
    def test_a_restart_of_redis_keeps_sessions_only_if_it_saves_to_disk(
        self, settings, db, tmp_path, saves_to_disk, kept
    ):
        port = services.free_port()
        url = f"redis://127.0.0.1:{port}/0"
        use_redis(settings, url)
        with redis_server(port, tmp_path, saves_to_disk=saves_to_disk):
            key = store_a_note("in Redis")
        with redis_server(port, tmp_path, saves_to_disk=saves_to_disk):
            caches["default"].close()
            store = import_module(settings.SESSION_ENGINE).SessionStore(key)
            assert store.get(NOTE_KEY) == kept
