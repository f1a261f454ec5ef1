"""Sessions only in Redis, through Django's built-in RedisCache.

Redis is shared by every process and server that points at it, unlike the
local-memory cache. Still a cache: a flush, an eviction or a restart without
persistence loses every session. Start Redis first (see README).
"""

import os

from .base import *  # noqa: F403

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

# https://docs.djangoproject.com/en/5.2/topics/cache/#redis
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    }
}

# https://docs.djangoproject.com/en/5.2/topics/http/sessions/#using-cached-sessions
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
