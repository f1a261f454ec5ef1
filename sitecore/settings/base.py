"""Settings every engine shares; the engine files override only what differs."""

import os
import secrets
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# Runtime state (the secret key file, session files) lives here, git-ignored.
VAR_DIR = BASE_DIR / "var"


# ---------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------

# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"

# pytest sets PYTEST_VERSION; the debug toolbar stays out of test runs.
TESTING = "PYTEST_VERSION" in os.environ or "test" in sys.argv[1:2]


def development_secret_key():
    """Return the key kept in var/.secret_key, creating it on first use.

    A key made afresh at every start would sign sessions that the next start
    cannot read: every restart would log everybody out.
    """
    key_file = VAR_DIR / ".secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Outside development the key must "
            "come from the environment, e.g. "
            "export DJANGO_SECRET_KEY=\"$(python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))')\""
        )
    SECRET_KEY = development_secret_key()

# https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    # The sessions app provides the Session model (the django_session table)
    # and the clearsessions command.
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "myapp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above SessionMiddleware: shows a page its own final response headers.
    "myapp.middleware.ShowResponseHeadersMiddleware",
    # SessionMiddleware must come before anything that reads request.session:
    # it attaches the session on the way in and saves it on the way out.
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # AuthenticationMiddleware reads the user id from the session.
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records lesson progress in the session before SessionMiddleware saves it.
    "myapp.middleware.CourseProgressMiddleware",
]

ROOT_URLCONF = "sitecore.urls"

# A 403 page in the site's layout that says why the form was refused.
# https://docs.djangoproject.com/en/5.2/ref/settings/#csrf-failure-view
CSRF_FAILURE_VIEW = "myapp.views.csrf_failure"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "myapp.context_processors.course",
            ],
        },
    },
]

WSGI_APPLICATION = "sitecore.wsgi.application"
ASGI_APPLICATION = "sitecore.asgi.application"

# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # Tests that start real servers point this at a throwaway file.
        "NAME": os.environ.get("DJANGO_DB_PATH", BASE_DIR / "db.sqlite3"),
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Errors go to stderr, which runserver, gunicorn and any process manager keep.
# Django's own "console" handler prints only while DEBUG is on; "debug_off"
# prints only while it is off: every line appears once, whatever DEBUG says.
# The levels sit on the handler, so DEBUG's own output (404s) stays as it was.
# https://docs.djangoproject.com/en/5.2/ref/logging/#default-logging-configuration
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "debug_off": {
            "class": "logging.StreamHandler",
            "filters": ["require_debug_false"],
        },
        "debug_off_errors": {
            "class": "logging.StreamHandler",
            "filters": ["require_debug_false"],
            "level": "ERROR",
        },
    },
    "loggers": {
        # Every 500, with its traceback; the visitor sees only the error page.
        # https://docs.djangoproject.com/en/5.2/ref/logging/#django-request
        "django.request": {"handlers": ["debug_off_errors"]},
        # "Session data corrupted" and other tampering reports land here.
        "django.security.SuspiciousSession": {
            "handlers": ["debug_off"],
            "level": "WARNING",
        },
    },
}


# ---------------------------------------------------------------------------
# Sessions
#
# Every SESSION_* setting, spelled out even where it keeps Django's default,
# because this project is a course: the default is part of the lesson.
# Reference: https://docs.djangoproject.com/en/5.2/ref/settings/#sessions
# ---------------------------------------------------------------------------

# Where session data lives; the engine files override this.
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-engine
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Name of the cookie that carries the session key.
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-cookie-name
SESSION_COOKIE_NAME = "sessionid"

# Lifetime in seconds: two weeks, counted from the last modification.
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-cookie-age
SESSION_COOKIE_AGE = 60 * 60 * 24 * 7 * 2

# False: the cookie is persistent (has Max-Age), it survives a browser restart.
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-expire-at-browser-close
SESSION_EXPIRE_AT_BROWSER_CLOSE = False

# False: save (and refresh the cookie) only when the session was modified.
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-save-every-request
SESSION_SAVE_EVERY_REQUEST = False

# None: the cookie goes back only to the host that set it, no subdomains.
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-cookie-domain
SESSION_COOKIE_DOMAIN = None

# The cookie is sent for every path of the site.
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-cookie-path
SESSION_COOKIE_PATH = "/"

# True: page JavaScript cannot read the cookie (document.cookie lacks it).
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-cookie-httponly
SESSION_COOKIE_HTTPONLY = True

# False here because development runs over plain http; production.py sets it.
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-cookie-secure
SESSION_COOKIE_SECURE = False

# "Lax": not sent on cross-site POSTs, sent on top-level cross-site links.
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-cookie-samesite
SESSION_COOKIE_SAMESITE = "Lax"

# How session data becomes bytes: JSON (pickle support was removed in 5.0).
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-serializer
SESSION_SERIALIZER = "django.contrib.sessions.serializers.JSONSerializer"

# Only the file engine reads this; None means the system temp directory.
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-file-path
SESSION_FILE_PATH = None

# Only the cache engines read this: which CACHES entry holds the sessions.
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-cache-alias
SESSION_CACHE_ALIAS = "default"


# ---------------------------------------------------------------------------
# Development tools
# ---------------------------------------------------------------------------

# The debug toolbar's Request panel shows the session of every request.
# https://django-debug-toolbar.readthedocs.io/en/latest/installation.html
DEBUG_TOOLBAR = DEBUG and not TESTING
if DEBUG_TOOLBAR:
    INSTALLED_APPS += ["debug_toolbar"]
    MIDDLEWARE.insert(0, "debug_toolbar.middleware.DebugToolbarMiddleware")
    INTERNAL_IPS = ["127.0.0.1", "::1"]
    # Folded to its handle until the learner opens it: open, it would cover
    # the lesson's text (a quarter of a desktop, most of a phone). The handle
    # keeps a gutter of its own on narrow screens (static/css/course.css).
    # https://django-debug-toolbar.readthedocs.io/en/latest/configuration.html#show-collapsed
    DEBUG_TOOLBAR_CONFIG = {"SHOW_COLLAPSED": True}


# ---------------------------------------------------------------------------
# Authentication
#
# django.contrib.auth keeps the logged-in user in the session (lesson 18).
# Reference: https://docs.djangoproject.com/en/5.2/topics/auth/passwords/
# ---------------------------------------------------------------------------

# Django's four standard checks, run by every form that sets a password.
# https://docs.djangoproject.com/en/5.2/ref/settings/#auth-password-validators
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",  # not like the username, names, email
        "MinimumLengthValidator",  # at least 8 characters
        "CommonPasswordValidator",  # not in Django's ~20,000 common passwords
        "NumericPasswordValidator",  # not digits only
    )
]
