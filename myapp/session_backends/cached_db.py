"""cached_db that keeps working from the database while its cache fails.

Since Django 5.1, cached_db's ``save()`` logs a failed cache write and carries
on, once per request. But ``load()`` writes the row it read back into the
cache unguarded, and ``exists()`` (asked for every new session key) asks the
cache first: with Redis down, Django's own cached_db raises for every visitor
with a session; with Redis full or read-only, for every visitor whose session
must be read back from the database (Django 5.2 and 6.1 alike). Here every cache
call goes through the breaker (breaker.py): a failure falls back to the
database, is logged once per incident, and Redis is skipped for a few seconds.
A save that could not reach Redis deletes the older copy there as soon as
Redis takes a delete. ``delete()`` stays strict, see below.
"""

import logging

from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.core.cache import caches

from myapp.session_backends.breaker import GuardedCache, breaker_for
from myapp.store_errors import CACHE_FAILURES

logger = logging.getLogger("django.contrib.sessions")

# What the engine does when a call fails, for the log line.
FALLBACKS = {
    "read": "read the database",
    "exists": "ask the database",
    "write": "saved to the database only",
    "delete": "the delete waits for Redis (503)",
}


class SessionStore(cached_db.SessionStore):
    """Read from the cache when it answers, from the database when it fails."""

    def __init__(self, session_key=None):
        super().__init__(session_key)
        alias = settings.SESSION_CACHE_ALIAS
        self._cache = GuardedCache(caches[alias], breaker_for(alias), FALLBACKS)

    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except CACHE_FAILURES:
            return DBStore.load(self)  # The row, and no refill of the cache.
        except Exception:
            data = None  # A key the cache refuses (#17810): read the row.
        if data is not None:
            return data
        row = self._get_session_from_db()
        if not row:
            return {}
        data = self.decode(row.session_data)
        try:
            expiry = self.get_expiry_age(expiry=row.expire_date)
            self._cache.set(self.cache_key, data, expiry)
        except CACHE_FAILURES:
            pass  # Logged by the breaker; the row is what counts.
        return data

    async def aload(self):
        try:
            data = await self._cache.aget(await self.acache_key())
        except CACHE_FAILURES:
            return await DBStore.aload(self)
        except Exception:
            data = None
        if data is not None:
            return data
        row = await self._aget_session_from_db()
        if not row:
            return {}
        data = self.decode(row.session_data)
        try:
            expiry = await self.aget_expiry_age(expiry=row.expire_date)
            await self._cache.aset(await self.acache_key(), data, expiry)
        except CACHE_FAILURES:
            pass
        return data

    def exists(self, session_key):
        try:
            if session_key and self._cache.has_key(self.cache_key_prefix + session_key):
                return True
        except CACHE_FAILURES:
            pass
        return DBStore.exists(self, session_key)

    async def aexists(self, session_key):
        try:
            key = self.cache_key_prefix + (session_key or "")
            if session_key and await self._cache.ahas_key(key):
                return True
        except CACHE_FAILURES:
            pass
        return await DBStore.aexists(self, session_key)

    def save(self, must_create=False):
        DBStore.save(self, must_create)
        try:
            self._cache.set(self.cache_key, self._session, self.get_expiry_age())
        except CACHE_FAILURES:
            self._cache.forget(self.cache_key)  # Redis may hold an older copy.
        except Exception:
            logger.exception("Error saving to cache (%s)", self._cache)
            self._cache.forget(self.cache_key)

    async def asave(self, must_create=False):
        await DBStore.asave(self, must_create)
        key = await self.acache_key()
        try:
            await self._cache.aset(key, self._session, await self.aget_expiry_age())
        except CACHE_FAILURES:
            self._cache.forget(key)
        except Exception:
            logger.exception("Error saving to cache (%s)", self._cache)
            self._cache.forget(key)

    def delete(self, session_key=None):
        """Delete from the cache first, and let a failure raise (a 503).

        A cache that is only unreachable still holds the session: deleting
        the row alone would let a logged-out session come back with the
        cache. So nothing is deleted until the cache has let go of it.
        """
        session_key = session_key or self.session_key
        if session_key is None:
            return
        self._cache.delete(self.cache_key_prefix + session_key)
        DBStore.delete(self, session_key)

    async def adelete(self, session_key=None):
        session_key = session_key or self.session_key
        if session_key is None:
            return
        await self._cache.adelete(self.cache_key_prefix + session_key)
        await DBStore.adelete(self, session_key)
