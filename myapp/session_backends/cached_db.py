"""cached_db that keeps working from the database while its cache is down.

Since Django 5.1, cached_db's ``save()`` logs a failed cache write and carries
on. But ``load()`` writes the row it read back into the cache unguarded, and
``exists()`` (asked for every new session key) asks the cache first: with
Redis down, Django's own cached_db raises for every visitor with a session
(Django 5.2 and 6.1 alike). Here those two fall back to the database and log
the failure; ``delete()`` stays strict, see below.
"""

import logging

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore

from myapp.store_errors import CACHE_UNREACHABLE

# Django's own cached_db logs its cache failures here too.
logger = logging.getLogger("django.contrib.sessions")


class SessionStore(cached_db.SessionStore):
    """Read from the cache when it answers, from the database when it does not."""

    def load(self):
        try:
            return super().load()
        except CACHE_UNREACHABLE as error:
            logger.warning("Session cache unreachable, read the database: %s", error)
            return DBStore.load(self)

    async def aload(self):
        try:
            return await super().aload()
        except CACHE_UNREACHABLE as error:
            logger.warning("Session cache unreachable, read the database: %s", error)
            return await DBStore.aload(self)

    def exists(self, session_key):
        try:
            return super().exists(session_key)
        except CACHE_UNREACHABLE as error:
            logger.warning("Session cache unreachable, ask the database: %s", error)
            return DBStore.exists(self, session_key)

    async def aexists(self, session_key):
        try:
            return await super().aexists(session_key)
        except CACHE_UNREACHABLE as error:
            logger.warning("Session cache unreachable, ask the database: %s", error)
            return await DBStore.aexists(self, session_key)

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
