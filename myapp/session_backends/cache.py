"""The cache engine, except that a cache that does not answer is an error.

Django's ``load()`` reads every cache error as "no such session" (ticket
#17810: memcached refuses some keys). With Redis down, every visitor then gets
an empty session, and SessionMiddleware deletes the session cookie of anyone
who sent one: they stay logged out after Redis is back. Here an unreachable
cache raises, the visitor gets a 503 page (myapp/store_errors.py) and keeps the
cookie.
"""

from django.contrib.sessions.backends import cache

from myapp.store_errors import CACHE_UNREACHABLE


class SessionStore(cache.SessionStore):
    """Sessions only in the cache; an outage is a 503, not a logout."""

    def load(self):
        try:
            session_data = self._cache.get(self.cache_key)
        except CACHE_UNREACHABLE:
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
        except CACHE_UNREACHABLE:
            raise
        except Exception:
            session_data = None
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}
