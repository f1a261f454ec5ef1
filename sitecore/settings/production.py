r"""Production: DEBUG off, secrets and hosts from the environment, HTTPS only.

    export DJANGO_SECRET_KEY=$(python -c \
        "import secrets; print(secrets.token_urlsafe(50))")
    export DJANGO_ALLOWED_HOSTS=example.com
    python manage.py check --deploy --settings=sitecore.settings.production

The check prints no warning. Sessions use base's engine (the database).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, LOGGING, MIDDLEWARE, VAR_DIR


def comma_separated(value):
    return [item.strip() for item in value.split(",") if item.strip()]


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

# collectstatic copies static/ here, for the web server in front to serve.
# https://docs.djangoproject.com/en/5.2/ref/settings/#static-root
STATIC_ROOT = VAR_DIR / "static"

# With DEBUG off, Django's own console handler stays silent and mail_admins
# has no ADMINS: the traceback of a 500 would go nowhere. Send it to stderr,
# which the process manager keeps; the visitor sees only the error page.
# https://docs.djangoproject.com/en/5.2/ref/logging/#django-request
LOGGING = {
    **LOGGING,
    "loggers": {
        **LOGGING["loggers"],
        "django.request": {"handlers": ["console"], "level": "ERROR"},
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

# HSTS: browsers that saw the header use https for this host, and (include
# subdomains) every subdomain, for a year, without trying http first. Every
# subdomain must serve https before you deploy this. Preload makes the domain
# eligible for the list built into browsers: anyone may then submit it at
# hstspreload.org, and leaving the list takes months.
# https://docs.djangoproject.com/en/5.2/ref/middleware/#http-strict-transport-security
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# Behind a proxy that terminates TLS, Django sees plain http and would
# redirect forever. Set DJANGO_BEHIND_HTTPS_PROXY=1 only if the proxy sets
# X-Forwarded-Proto itself and drops any value a client sent: otherwise a
# client could claim https.
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-proxy-ssl-header
if os.environ.get("DJANGO_BEHIND_HTTPS_PROXY") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
