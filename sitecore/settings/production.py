r"""Production: DEBUG off, secrets and hosts from the environment, HTTPS only.

    export DJANGO_SECRET_KEY=$(python -c \
        "import secrets; print(secrets.token_urlsafe(50))")
    export DJANGO_ALLOWED_HOSTS=example.com
    python manage.py check --deploy --settings=sitecore.settings.production
    make production

The check prints no warning. ``make production`` migrates, collects the static
files and serves the site with gunicorn on 127.0.0.1:8000, for an HTTPS proxy
in front (README, "Running in production"). Sessions live in the database:
SQLite by default, PostgreSQL when DATABASE_URL is set, with Redis in front
(the redis_cached_db engine) when REDIS_URL is set.
"""

import logging
import os
from copy import copy

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, LOGGING, MIDDLEWARE, VAR_DIR


def comma_separated(value):
    return [item.strip() for item in value.split(",") if item.strip()]


def flag(name, default=False):
    """An on/off environment variable: 1 or 0 (true/false, yes/no, on/off)."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {value!r}")


def seconds(name, default):
    value = os.environ.get(name, "").strip() or str(default)
    if not value.isdigit():
        raise ImproperlyConfigured(f"{name} must be a number of seconds, not {value!r}")
    return int(value)


def required(name, example, parse=str.strip):
    """An environment variable that must be set, or an error saying how to set it."""
    value = parse(os.environ.get(name, ""))
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. The production settings read it from the "
            f"environment, e.g. export {name}={example}"
        )
    return value


# ---------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------

# Whatever DJANGO_DEBUG says: a debug page shows settings and tracebacks.
# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
DEBUG = False

# base falls back to a key kept in var/ when DJANGO_DEBUG is not "0"; here the
# environment is the only source, so every server process signs with one key.
# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key
SECRET_KEY = required(
    "DJANGO_SECRET_KEY",
    "\"$(python -c 'import secrets; print(secrets.token_urlsafe(50))')\"",
)

# During a key rotation: the old keys, comma-separated. Sessions signed with
# them still load; remove them once SESSION_COOKIE_AGE has passed.
# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key-fallbacks
SECRET_KEY_FALLBACKS = comma_separated(
    os.environ.get("DJANGO_SECRET_KEY_FALLBACKS", "")
)

# https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts
ALLOWED_HOSTS = required(
    "DJANGO_ALLOWED_HOSTS", "example.com,www.example.com", parse=comma_separated
)

# base adds the debug toolbar when DEBUG was on there; it never runs here.
DEBUG_TOOLBAR = False
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "debug_toolbar"]
MIDDLEWARE = [name for name in MIDDLEWARE if not name.startswith("debug_toolbar.")]

# ---------------------------------------------------------------------------
# Static files
#
# With DEBUG off, Django serves no static file: without this the stylesheet,
# and so every page and every error page, would be unstyled. WhiteNoise serves
# them from the application itself, with long cache headers on the hashed
# names that collectstatic writes (course.<hash>.css), and compressed.
# Reference: https://whitenoise.readthedocs.io/en/stable/django.html
# ---------------------------------------------------------------------------

# collectstatic copies static/ here (make production runs it).
# https://docs.djangoproject.com/en/5.2/ref/settings/#static-root
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT") or VAR_DIR / "static"

# Right after SecurityMiddleware: the HTTPS redirect comes first, and a static
# file costs no session, no CSRF check and no template.
_after_security = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1
MIDDLEWARE = [
    *MIDDLEWARE[:_after_security],
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[_after_security:],
]

# {% static %} writes the hashed names, so a changed file is a new URL.
# https://docs.djangoproject.com/en/5.2/ref/settings/#storages
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}


# ---------------------------------------------------------------------------
# Database and Redis, when the environment names them
# ---------------------------------------------------------------------------

# DATABASE_URL=postgres://user:password@host:5432/name: PostgreSQL, set up as
# sitecore/settings/postgres.py does. Unset: SQLite in db.sqlite3.
if os.environ.get("DATABASE_URL"):
    from .postgres import DATABASES  # noqa: F401

# REDIS_URL=redis://host:6379/0: sessions read from Redis and written through
# to the database, which keeps serving them while Redis fails (lesson 15).
if os.environ.get("REDIS_URL"):
    from .redis import CACHES  # noqa: F401

    SESSION_ENGINE = "myapp.session_backends.cached_db"


# ---------------------------------------------------------------------------
# Logging
#
# What goes wrong, on stderr, which gunicorn and any process manager keep:
# every 5xx with its traceback, every 4xx (404, CSRF failures) and every
# security event (a bad Host header, a forged session) on one line each.
# Reference: https://docs.djangoproject.com/en/5.2/ref/logging/#django-request
# ---------------------------------------------------------------------------


class OneLineFormatter(logging.Formatter):
    """The level, the logger and the message; a traceback only for a 5xx.

    Django attaches the exception to a 400 for a bad Host header and to a 403:
    its traceback says only where Django raised it, and would turn one event
    into twenty lines.
    """

    def format(self, record):
        status = getattr(record, "status_code", None)
        server_error = status >= 500 if status else record.levelno >= logging.ERROR
        if record.exc_info and not server_error:
            record = copy(record)
            record.exc_info = record.exc_text = None
        return super().format(record)


LOGGING = {
    **LOGGING,
    "formatters": {
        "one_line": {
            "()": OneLineFormatter,
            "format": "{levelname} {name}: {message}",
            "style": "{",
        },
    },
    "handlers": {
        **LOGGING["handlers"],
        "stderr": {"class": "logging.StreamHandler", "formatter": "one_line"},
    },
    "loggers": {
        # base's django.security.* entries would print each event a second
        # time: everything under django.security reaches the logger below.
        **{
            name: logger
            for name, logger in LOGGING["loggers"].items()
            if not name.startswith(("django.request", "django.security"))
        },
        # 5xx at ERROR, 4xx at WARNING; a session deleted mid-request too
        # (SessionInterrupted, a 400).
        "django.request": {"handlers": ["stderr"], "level": "WARNING"},
        # CSRF failures, bad Host headers, forged sessions.
        "django.security": {"handlers": ["stderr"], "level": "WARNING"},
        # The session engines' own reports (a Redis that fails, lesson 15).
        "django.contrib.sessions": {"handlers": ["stderr"], "level": "WARNING"},
    },
}


# ---------------------------------------------------------------------------
# HTTPS
#
# The session cookie is the user's login: it must never travel over plain
# http, where anyone on the network can read it and replay it.
# Reference: https://docs.djangoproject.com/en/5.2/topics/security/#ssl-https
# ---------------------------------------------------------------------------

# Browsers send these cookies over https only.
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-cookie-secure
SESSION_COOKIE_SECURE = True
# https://docs.djangoproject.com/en/5.2/ref/settings/#csrf-cookie-secure
CSRF_COOKIE_SECURE = True

# Answer every http request with a redirect to https.
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-ssl-redirect
SECURE_SSL_REDIRECT = True

# __Host- names: a browser keeps such a cookie only if it is Secure, has
# Path=/ and no Domain. So no subdomain, and no page over plain http, can set
# or overwrite it (lesson 17). base keeps both paths at "/", both domains None.
# https://developer.mozilla.org/en-US/docs/Web/HTTP/Reference/Headers/Set-Cookie#cookie_prefixes
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"

# HSTS: a browser that saw the header uses https for this host, without trying
# http first, for SECURE_HSTS_SECONDS. Short by default (an hour), so a trial
# on a real domain can be undone within the hour; raise it once https works.
# Include subdomains: every subdomain too, so every one must serve https.
# Preload: a request to be built into browsers (hstspreload.org). It needs a
# year and subdomains, and leaving the list takes months: only on purpose.
# https://docs.djangoproject.com/en/5.2/ref/middleware/#http-strict-transport-security
SECURE_HSTS_SECONDS = seconds("DJANGO_HSTS_SECONDS", 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = flag("DJANGO_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = flag("DJANGO_HSTS_PRELOAD")
ONE_YEAR = 60 * 60 * 24 * 365
if SECURE_HSTS_PRELOAD and not (
    SECURE_HSTS_SECONDS >= ONE_YEAR and SECURE_HSTS_INCLUDE_SUBDOMAINS
):
    raise ImproperlyConfigured(
        "DJANGO_HSTS_PRELOAD=1 needs DJANGO_HSTS_SECONDS=31536000 (a year) or "
        "more and DJANGO_HSTS_INCLUDE_SUBDOMAINS=1: hstspreload.org accepts "
        "nothing less."
    )

# check --deploy warns (security.W005, security.W021) whenever HSTS leaves
# out subdomains or preload. Here both are off on purpose, until the
# variables above turn them on: each warning is silenced only while its
# choice stands. A short SECURE_HSTS_SECONDS draws no warning; 0 does (W004).
# https://docs.djangoproject.com/en/5.2/ref/checks/#security
SILENCED_SYSTEM_CHECKS = [
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]

# Behind a proxy that terminates TLS, Django sees plain http and would
# redirect forever. Set DJANGO_BEHIND_HTTPS_PROXY=1 only if the proxy sets
# X-Forwarded-Proto itself and drops any value a client sent: otherwise a
# client could claim https.
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-proxy-ssl-header
if os.environ.get("DJANGO_BEHIND_HTTPS_PROXY") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
