"""The cache engine, except that a cache that fails is an error, and skipped.

Django's ``load()`` reads every cache error as "no such session" (ticket
#17810: memcached refuses some keys). With Redis down, every visitor then gets
an empty session, and SessionMiddleware deletes the session cookie of anyone
who sent one: they stay logged out after Redis is back. Here a Redis that is
unreachable or refuses writes raises, the visitor gets a 503 page
(myapp/store_errors.py) and keeps the cookie. After a failure the breaker
(breaker.py) skips Redis for a few seconds: a hung Redis costs one request its
socket timeout, not every request.
"""

from django.conf import settings
from django.contrib.sessions.backends import cache
from django.core.cache import caches

from myapp.session_backends.breaker import GuardedCache, breaker_for
from myapp.store_errors import CACHE_FAILURES

# What the engine does when a call fails, for the log line.
FALLBACKS = dict.fromkeys(("read", "exists", "write", "delete"), "answer 503")


class SessionStore(cache.SessionStore):
    """Sessions only in the cache; an outage is a 503, not a logout."""

    def __init__(self, session_key=None):
        super().__init__(session_key)
        alias = settings.SESSION_CACHE_ALIAS
        self._cache = GuardedCache(caches[alias], breaker_for(alias), FALLBACKS)

    def load(self):
        try:
            session_data = self._cache.get(self.cache_key)
        except CACHE_FAILURES:
            raise
        except Exception:
            session_data = None  # A key the cache refuses: a fresh session.
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}

    async def aload(self):
        try:
            session_data = await self._cache.aget(await self.acache_key())
        except CACHE_FAILURES:
            raise
        except Exception:
            session_data = None
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}
