"""Sessions only in the cache: fast, but lost on eviction or restart.

The local-memory cache lives inside one process: two server processes (or two
workers of one server) do not see each other's sessions. Use a shared cache
(Redis, see redis.py) for more than one process.
"""

from .base import *  # noqa: F403

# https://docs.djangoproject.com/en/5.2/topics/http/sessions/#using-cached-sessions
SESSION_ENGINE = "django.contrib.sessions.backends.cache"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "sessions",
    }
}
