"""The settings files: expiry policies, the secret key and the toolbar."""

import importlib
import subprocess

import pytest
from django.conf import settings

from myapp.context_processors import readable_seconds
from tests.html import parse
from tests.processes import fresh_python


def session_cookie(response):
    return response.cookies[settings.SESSION_COOKIE_NAME]


class TestExpirySettings:
    def test_expiry_file_sends_max_age_3600(self, client, use_settings, db):
        use_settings("expiry")
        cookie = session_cookie(client.get("/ssession"))
        assert cookie["max-age"] == 3600
        assert cookie["expires"]

    def test_default_cookie_is_persistent_for_two_weeks(self, client, engine):
        """Django's default is NOT browser-close expiry: the cookie has Max-Age."""
        cookie = session_cookie(client.get("/ssession"))
        assert cookie["max-age"] == 1209600

    def test_browser_close_expiry_sends_no_max_age(
        self, client, use_settings, settings, db
    ):
        use_settings("expiry")
        settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
        cookie = session_cookie(client.get("/ssession"))
        assert cookie["max-age"] == ""
        assert cookie["expires"] == ""

    def test_save_every_request_resends_the_cookie_on_a_read(
        self, client, use_settings, db
    ):
        """Sliding expiry: even a read-only page refreshes the cookie."""
        use_settings("expiry")
        assert settings.SESSION_SAVE_EVERY_REQUEST
        client.get("/ssession")
        response = client.get("/gsession")
        assert session_cookie(response)["max-age"] == 3600

    def test_without_save_every_request_a_read_sends_no_cookie(self, client, engine):
        client.get("/ssession")
        response = client.get("/gsession")
        assert settings.SESSION_COOKIE_NAME not in response.cookies

    def test_footer_shows_the_expiry_policy(self, client, use_settings, db):
        use_settings("expiry")
        text = parse(client.get("/")).text("footer-expiry")
        assert text == "expires 1 hour after the last change, renewed on every request"

    @pytest.mark.parametrize(
        ("seconds", "text"),
        [
            (1209600, "14 days"),
            (3600, "1 hour"),
            (90, "90 seconds"),
            (120, "2 minutes"),
        ],
    )
    def test_readable_seconds(self, seconds, text):
        assert readable_seconds(seconds) == text


class TestEngineFiles:
    @pytest.mark.parametrize(
        ("module", "engine"),
        [
            ("db", "django.contrib.sessions.backends.db"),
            ("file", "django.contrib.sessions.backends.file"),
            ("cache", "django.contrib.sessions.backends.cache"),
            ("cached_db", "django.contrib.sessions.backends.cached_db"),
            ("cookies", "django.contrib.sessions.backends.signed_cookies"),
        ],
    )
    def test_each_file_selects_its_engine(self, module, engine):
        loaded = importlib.import_module(f"sitecore.settings.{module}")
        assert loaded.SESSION_ENGINE == engine

    def test_file_engine_keeps_files_inside_the_project(self):
        loaded = importlib.import_module("sitecore.settings.file")
        assert loaded.SESSION_FILE_PATH.is_relative_to(settings.BASE_DIR)
        assert loaded.SESSION_FILE_PATH.is_dir()


def run_python(code, **env):
    """Run code in a fresh interpreter with only the given DJANGO_* variables."""
    return fresh_python(["-c", code], **env)


class TestSecretKey:
    def test_missing_key_outside_debug_is_a_clear_error(self):
        result = run_python(
            "import sitecore.settings.db",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY="",
        )
        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY is not set" in result.stderr

    def test_development_key_survives_a_restart(self):
        """Two starts read the same kept key, so sessions survive a restart."""
        code = "import sitecore.settings.db as s; print(s.SECRET_KEY)"
        first = run_python(code, DJANGO_DEBUG="1", DJANGO_SECRET_KEY="")
        second = run_python(code, DJANGO_DEBUG="1", DJANGO_SECRET_KEY="")
        assert first.returncode == 0, first.stderr
        assert first.stdout == second.stdout
        assert len(first.stdout.strip()) >= 50

    def test_key_from_the_environment_wins(self):
        code = "import sitecore.settings.db as s; print(s.SECRET_KEY)"
        result = run_python(code, DJANGO_SECRET_KEY="from-the-environment")
        assert result.stdout.strip() == "from-the-environment"

    def test_key_file_is_ignored_by_git(self):
        result = subprocess.run(
            ["git", "check-ignore", "var/.secret_key", "var/sessions/x", "db.sqlite3"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
        )
        assert result.stdout.split() == [
            "var/.secret_key",
            "var/sessions/x",
            "db.sqlite3",
        ]


class TestDebugToolbar:
    def test_toolbar_is_off_under_tests(self):
        assert "debug_toolbar" not in settings.INSTALLED_APPS

    def test_toolbar_is_on_in_development(self):
        code = (
            "import sitecore.settings.db as s; "
            "print('debug_toolbar' in s.INSTALLED_APPS, s.MIDDLEWARE[0])"
        )
        result = run_python(code, DJANGO_DEBUG="1")
        assert result.stdout.split() == [
            "True",
            "debug_toolbar.middleware.DebugToolbarMiddleware",
        ]
