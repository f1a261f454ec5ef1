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
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

# Django's cache engine, except that an unreachable Redis answers 503 instead
# of an empty session that logs the visitor out (see the module, lesson 15).
# https://docs.djangoproject.com/en/5.2/topics/http/sessions/#using-cached-sessions
SESSION_ENGINE = "myapp.session_backends.cache"

# Cache failures the session engines log: shown on the console.
# https://docs.djangoproject.com/en/5.2/ref/logging/
LOGGING = {
    **LOGGING,
    "loggers": {
        **LOGGING["loggers"],
        "django.contrib.sessions": {"handlers": ["console"], "level": "WARNING"},
    },
}
