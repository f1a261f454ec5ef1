"""Sessions only in Redis, through Django's built-in RedisCache.

Redis is shared by every process and server that points at it, unlike the
local-memory cache. Still a cache: a flush, an eviction or a restart without
persistence loses every session. Start Redis first (see README); ``make run``
says how when it is not running (myapp/checks.py).
"""

import os

from .base import *  # noqa: F403
from .base import LOGGING

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

# https://docs.djangoproject.com/en/5.2/topics/cache/#redis
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Passed to redis-py: a Redis that stops answering costs a request one
        # second, instead of holding the worker until the kernel gives up.
        # Then the breaker skips it (SESSION_CACHE_SKIP_SECONDS, below).
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

# Django's cache engine, except that an unreachable Redis answers 503 instead
# of an empty session that logs the visitor out (see the module, lesson 15).
# https://docs.djangoproject.com/en/5.2/topics/http/sessions/#using-cached-sessions
SESSION_ENGINE = "myapp.session_backends.cache"

# After a Redis failure (down, hung, full, read-only) the project's engines
# skip Redis for this many seconds: the next request then tries it again.
SESSION_CACHE_SKIP_SECONDS = float(os.environ.get("SESSION_CACHE_SKIP_SECONDS", 5))

# Cache failures the session engines log, once per incident: on the console.
# django.request drops its per-request record of a 503 that one caused.
# https://docs.djangoproject.com/en/5.2/ref/logging/
LOGGING = {
    **LOGGING,
    "filters": {
        **LOGGING.get("filters", {}),
        "cache_failure_logged_once": {
            "()": "myapp.store_errors.CacheFailureLoggedOnce"
        },
    },
    "loggers": {
        **LOGGING["loggers"],
        "django.contrib.sessions": {"handlers": ["console"], "level": "WARNING"},
        "django.request": {
            **LOGGING["loggers"].get("django.request", {}),
            "filters": [
                *LOGGING["loggers"].get("django.request", {}).get("filters", []),
                "cache_failure_logged_once",
            ],
        },
    },
}
