"""sitecore/settings/production.py: secrets from the environment, HTTPS only,
and a clean ``check --deploy``."""

import importlib
import sys

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from tests.processes import fresh_python

MODULE = "sitecore.settings.production"
STRONG_KEY = "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ"
ENVIRONMENT = {"DJANGO_SECRET_KEY": STRONG_KEY, "DJANGO_ALLOWED_HOSTS": "example.com"}
# What production.py changes about cookies and HTTPS, applied to one test.
HTTPS_SETTINGS = (
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_NAME",
    "CSRF_COOKIE_NAME",
)


def production_value(code, **env):
    """The repr of a tuple of expressions over the production settings ``s``."""
    program = f"import {MODULE} as s; print(repr(({code},)))"
    result = fresh_python(["-c", program], **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def production(monkeypatch):
    """The production settings module, imported here with a test environment."""
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    module = importlib.import_module(MODULE)
    monkeypatch.delitem(sys.modules, MODULE)
    return module


class TestCheckDeploy:
    def test_check_deploy_prints_no_warning(self):
        result = fresh_python(
            [
                "manage.py",
                "check",
                "--deploy",
                "--fail-level",
                "WARNING",
                f"--settings={MODULE}",
            ],
            **ENVIRONMENT,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues" in result.stdout
        assert "WARNING" not in result.stdout + result.stderr

    def test_a_weak_key_is_reported(self):
        """The check is real: a development-style key fails it."""
        result = fresh_python(
            ["manage.py", "check", "--deploy", f"--settings={MODULE}"],
            DJANGO_SECRET_KEY="django-insecure-short",
            DJANGO_ALLOWED_HOSTS="example.com",
        )
        assert "security.W009" in result.stdout + result.stderr


class TestEnvironment:
    @pytest.mark.parametrize("debug", [None, "1", "0"], ids=["unset", "on", "off"])
    def test_missing_secret_key_is_a_clear_error(self, debug):
        """Never the development key file, whatever DJANGO_DEBUG says."""
        env = {"DJANGO_ALLOWED_HOSTS": "example.com"}
        if debug is not None:
            env["DJANGO_DEBUG"] = debug
        result = fresh_python(["-c", f"import {MODULE}"], **env)
        assert result.returncode != 0
        assert "ImproperlyConfigured: DJANGO_SECRET_KEY is not set" in result.stderr

    @pytest.mark.parametrize(
        "hosts", [None, "", " , ,"], ids=["unset", "empty", "commas"]
    )
    def test_missing_allowed_hosts_is_a_clear_error(self, hosts):
        env = {"DJANGO_SECRET_KEY": STRONG_KEY}
        if hosts is not None:
            env["DJANGO_ALLOWED_HOSTS"] = hosts
        result = fresh_python(["-c", f"import {MODULE}"], **env)
        assert result.returncode != 0
        assert "DJANGO_ALLOWED_HOSTS is not set" in result.stderr

    def test_key_hosts_and_fallbacks_come_from_the_environment(self):
        code = "s.SECRET_KEY, s.ALLOWED_HOSTS, s.SECRET_KEY_FALLBACKS"
        printed = production_value(
            code,
            DJANGO_SECRET_KEY=STRONG_KEY,
            DJANGO_ALLOWED_HOSTS=" example.com, www.example.com ,",
            DJANGO_SECRET_KEY_FALLBACKS="old-one,older-one",
        )
        assert printed == repr(
            (STRONG_KEY, ["example.com", "www.example.com"], ["old-one", "older-one"])
        )

    def test_debug_and_toolbar_stay_off_even_with_django_debug_on(self):
        code = (
            "s.DEBUG, s.DEBUG_TOOLBAR, 'debug_toolbar' in s.INSTALLED_APPS, "
            "any(m.startswith('debug_toolbar') for m in s.MIDDLEWARE)"
        )
        printed = production_value(code, DJANGO_DEBUG="1", **ENVIRONMENT)
        assert printed == "(False, False, False, False)"

    def test_server_errors_are_logged_to_stderr(self):
        """DEBUG off silences Django's console handler: production logs 500s
        itself, so a traceback kept off the page is not lost."""
        code = (
            "import django; django.setup(); import logging; "
            "logging.getLogger('django.request').error('Internal Server Error: /x')"
        )
        result = fresh_python(
            ["-c", code], DJANGO_SETTINGS_MODULE=MODULE, **ENVIRONMENT
        )
        assert result.returncode == 0, result.stderr
        assert "Internal Server Error: /x" in result.stderr

    def test_proxy_header_only_when_asked(self):
        code = "getattr(s, 'SECURE_PROXY_SSL_HEADER', None)"
        assert production_value(code, **ENVIRONMENT) == "(None,)"
        printed = production_value(code, DJANGO_BEHIND_HTTPS_PROXY="1", **ENVIRONMENT)
        assert printed == "(('HTTP_X_FORWARDED_PROTO', 'https'),)"


class TestHttps:
    def test_cookies_are_secure_and_hsts_is_sent(self, client, db, production):
        """The real Set-Cookie lines of a page under production's HTTPS settings.

        The first view sets only the CSRF cookie; the second brings it back,
        so the course records the page and that response sets the session.
        """
        https = {name: getattr(production, name) for name in HTTPS_SETTINGS}
        with override_settings(**https):
            first = client.get(reverse("myapp:security"), secure=True)
            response = client.get(reverse("myapp:security"), secure=True)
        assert first.status_code == response.status_code == 200
        assert "__Host-sessionid" not in first.cookies
        csrf = first.cookies["__Host-csrftoken"].output(header="")
        session = response.cookies["__Host-sessionid"].output(header="")
        for header in (session, csrf):
            attributes = {part.strip().split("=")[0] for part in header.split(";")}
            assert "Secure" in attributes
        assert "HttpOnly" in session
        assert "SameSite=Lax" in session
        # An hour, no subdomains, no preload: the short default a teacher can undo.
        assert response["Strict-Transport-Security"] == "max-age=3600"

    def test_plain_http_is_redirected(self, client, db, production):
        https = {name: getattr(production, name) for name in HTTPS_SETTINGS}
        with override_settings(**https):
            response = client.get(reverse("myapp:security"))
        assert response.status_code == 301
        assert response["Location"].startswith("https://")
        assert settings.SESSION_COOKIE_NAME not in response.cookies
