"""Sessions written through to the database and read from the cache.

Reads hit the cache first and fall back to the database, so a restart or an
eviction loses nothing. Since Django 5.1 a failed cache write is logged and
skipped; reads still need the cache to answer (lesson 15).
"""

from .base import *  # noqa: F403

# https://docs.djangoproject.com/en/5.2/topics/http/sessions/#using-cached-sessions
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "sessions",
    }
}
