"""When a session store fails: a 503 page that says so, not a traceback.

Django calls ``handler500`` (see sitecore/urls.py) for an exception a request
raises when DEBUG is off, in a view, in a middleware, or while SessionMiddleware
saves the session after the view, unless Django maps it to a 4xx first (Http404,
PermissionDenied, BadRequest such as SessionInterrupted, SuspiciousOperation).
``server_error`` looks at
that exception: a Redis that is unreachable or refuses writes, or an
unreachable database, gets a 503 that names the store; anything else gets
Django's own 500 page. With DEBUG on, Django shows its debug page instead,
traceback and all: that page is for the developer.
"""

import logging
import sys

import redis
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.views import defaults

from myapp.context_processors import engine_label, expiry_policy

# "The cache server did not answer": refused, reset, or too slow. Not a bug,
# and not a missing session either.
CACHE_UNREACHABLE = (redis.ConnectionError, redis.TimeoutError)

# "The cache server answered, but refuses writes": full (maxmemory with the
# noeviction policy) or a read-only replica. Reads still work.
CACHE_REFUSES_WRITES = (redis.OutOfMemoryError, redis.ReadOnlyError)

# Every way the session cache fails that is not a bug: the 503 page's cases.
CACHE_FAILURES = CACHE_UNREACHABLE + CACHE_REFUSES_WRITES

# What Django raises when the database cannot be reached or cannot answer now.
DATABASE_UNREACHABLE = (OperationalError, InterfaceError)

# Seconds after which a client may try again (sent as Retry-After).
RETRY_AFTER = 10


def store_unavailable(error):
    """The 503 page, rendered without the request: its context processors read
    the session, and the session store is what just failed."""
    store = "cache (Redis)" if isinstance(error, CACHE_FAILURES) else "database"
    context = {
        "store": store,
        # The footer's facts come from the settings, not from the session.
        "session_engine": engine_label(),
        "session_settings_module": settings.SETTINGS_MODULE,
        "session_expiry_policy": expiry_policy(),
    }
    response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def server_error(request):
    """handler500: a store that did not answer gets a 503; any other error a 500.

    Django logs the exception either way (logger ``django.request``).
    """
    error = sys.exception()
    if isinstance(error, CACHE_FAILURES + DATABASE_UNREACHABLE):
        return store_unavailable(error)
    return defaults.server_error(request)


class CacheFailureLoggedOnce(logging.Filter):
    """For logger ``django.request``: drop the per-request record of a 503
    that a session cache failure caused. The session engines log each
    incident once, with its cause (myapp/session_backends/breaker.py)."""

    def filter(self, record):
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, CACHE_FAILURES)
