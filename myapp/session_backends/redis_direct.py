"""A session engine written from scratch on SessionBase: Redis through redis-py.

Lesson 27 reads this module. Django's cache engine reaches Redis through the
cache layer: a load is one GET, but a save is a GET (does the key still
exist?) and then a SET, with the data pickled. Here each load is one GET and
each save one SET, and Redis itself keeps Django's rules:

- ``SET key value NX EX ttl`` writes only a key that does not exist yet: a
  new session can never take over another one's key (``CreateError``);
- ``SET key value XX EX ttl`` writes only a key that still exists: a slow
  request cannot bring back a session that a logout deleted (``UpdateError``).

Where Redis is: the ``CACHES`` entry named by ``SESSION_CACHE_ALIAS``, the
one Django's cache engine would use. Only its ``LOCATION`` (the first server
of a list), its ``OPTIONS`` (socket timeouts, passed to redis-py; not the
serializer or pool class Django's cache client would take) and its
``KEY_PREFIX`` are read; nothing goes through the cache layer. Keys read
``session:<session key>``, after the cache's ``KEY_PREFIX`` and a colon when
it sets one. Values are the session serializer's output (JSON), unsigned,
like the pickles of Django's cache engine: whoever can write to this Redis
can write sessions.

A Redis that does not answer, or refuses writes (full, read-only), raises: a
503 page (myapp/store_errors.py), never an empty session that logs the
visitor out. The breaker (breaker.py) logs each incident once and skips Redis
for ``SESSION_CACHE_SKIP_SECONDS`` after a failure.

The async methods send the same single command from a worker thread
(``sync_to_async``), as Django's cache layer does. A redis.asyncio client
belongs to one event loop, and Django runs each async view under WSGI in a
loop of its own, so a per-process async client would not survive a request.
"""

import logging

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.sessions.backends.base import (
    VALID_KEY_CHARS,
    CreateError,
    SessionBase,
    UpdateError,
)
from django.utils.crypto import get_random_string

from myapp.session_backends.breaker import breaker_for
from myapp.store_errors import CACHE_FAILURES

# Every session key in Redis starts with this (after the cache's KEY_PREFIX).
KEY_PREFIX = "session:"

# Tries to find a free key before create() gives up. Two random 32-character
# keys colliding is not expected in the lifetime of the universe; a loop
# without an end would hide a bug that makes every SET NX fail.
CREATE_ATTEMPTS = 100

# OPTIONS of a RedisCache entry that Django's cache client uses itself
# (django/core/cache/backends/redis.py); the rest go to redis-py.
CACHE_ONLY_OPTIONS = {"serializer", "pool_class", "parser_class"}

# One client, and so one connection pool, per Redis per process: built at
# the first session that needs it, then shared by every thread. redis-py
# gives a forked process (a gunicorn worker) its own connections.
_clients = {}


def client_for(location, options):
    """The process's redis-py client for one Redis URL and its options."""
    key = (location, tuple(sorted(options.items())))
    client = _clients.get(key)
    if client is None:
        client = _clients.setdefault(key, redis.Redis.from_url(location, **options))
    return client


def sessions_redis():
    """(client, breaker, key prefix) for the Redis of CACHES[SESSION_CACHE_ALIAS]."""
    alias = settings.SESSION_CACHE_ALIAS
    cache = settings.CACHES[alias]
    location = cache["LOCATION"]
    if isinstance(location, str):
        location = location.replace(";", ",").split(",")
    # What Django's RedisCache takes for itself is not redis-py's to see.
    options = {
        name: value
        for name, value in cache.get("OPTIONS", {}).items()
        if name not in CACHE_ONLY_OPTIONS
    }
    client = client_for(location[0].strip(), options)
    prefix = f"{cache['KEY_PREFIX']}:" if cache.get("KEY_PREFIX") else ""
    return client, breaker_for(alias), prefix + KEY_PREFIX


class SessionStore(SessionBase):
    """Sessions in Redis: one command per load, save, exists and delete."""

    # What a failed call means for the request, for the breaker's log line.
    on_failure = "answer 503"

    def __init__(self, session_key=None):
        super().__init__(session_key)
        self._redis, self._breaker, self.key_prefix = self.connect()

    def connect(self):
        """Where this store sends its commands: (client, breaker, key prefix)."""
        return sessions_redis()

    def _redis_key(self, session_key):
        return self.key_prefix + session_key

    # --- One command, through the breaker ------------------------------------

    def _send(self, kind, command, *args, **options):
        """Call one redis-py command; a Redis that fails opens the breaker,
        which logs the incident once, and the error goes on to the 503 page."""
        self._breaker.before()
        try:
            reply = getattr(self._redis, command)(*args, **options)
        except CACHE_FAILURES as error:
            self._breaker.failed(error, self.on_failure)
            raise
        self._breaker.answered(kind)
        return reply

    async def _asend(self, kind, command, *args, **options):
        send = sync_to_async(self._send, thread_sensitive=False)
        return await send(kind, command, *args, **options)

    # --- Load: one GET --------------------------------------------------------

    def load(self):
        if self.session_key is None:
            return {}
        key = self._redis_key(self.session_key)
        return self._decoded(self._send("read", "get", key))

    async def aload(self):
        if self.session_key is None:
            return {}
        key = self._redis_key(self.session_key)
        return self._decoded(await self._asend("read", "get", key))

    def _decoded(self, value):
        """The session a GET found. Nothing there (unknown, expired, deleted)
        or something the serializer cannot read: a new session, and the key is
        dropped, so an unknown key is never adopted."""
        if value is not None:
            try:
                data = self.serializer().loads(value)
            except ValueError:
                data = None
            if isinstance(data, dict):
                return data
            logging.getLogger("django.security.SuspiciousSession").warning(
                "Session data corrupted"
            )
        self._session_key = None
        return {}

    # --- Save: one SET, NX to create, XX to update ------------------------------

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        key, ttl = self._redis_key(self.session_key), self.get_expiry_age()
        if ttl > 0:
            # NX: only if the key does not exist. XX: only if it still does.
            value = self.serializer().dumps(data)
            reply = self._send(
                "write", "set", key, value, ex=ttl, nx=must_create, xx=not must_create
            )
        else:  # Saved already expired (set_expiry in the past): keep nothing.
            reply = must_create or self._send("delete", "delete", key) == 1
        self._written(must_create, reply)

    async def asave(self, must_create=False):
        if self.session_key is None:
            return await self.acreate()
        data = await self._aget_session(no_load=must_create)
        key, ttl = self._redis_key(self.session_key), await self.aget_expiry_age()
        if ttl > 0:
            value = self.serializer().dumps(data)
            reply = await self._asend(
                "write", "set", key, value, ex=ttl, nx=must_create, xx=not must_create
            )
        else:
            reply = must_create or await self._asend("delete", "delete", key) == 1
        self._written(must_create, reply)

    @staticmethod
    def _written(must_create, reply):
        """SET answers OK, or nil when NX found the key or XX did not (and an
        expired session's DEL, 0 when the key was gone already)."""
        if not reply:
            raise CreateError if must_create else UpdateError

    # --- Create: SET NX under a fresh key, retried on a collision ---------------

    def create(self):
        # No EXISTS first, as SessionBase._get_new_session_key() would send:
        # SET NX is the check, in the same round trip.
        for _attempt in range(CREATE_ATTEMPTS):
            self._session_key = get_random_string(32, VALID_KEY_CHARS)
            try:
                self.save(must_create=True)
            except CreateError:
                continue
            self.modified = True
            return
        raise RuntimeError(f"No free session key in {CREATE_ATTEMPTS} attempts.")

    async def acreate(self):
        for _attempt in range(CREATE_ATTEMPTS):
            self._session_key = get_random_string(32, VALID_KEY_CHARS)
            try:
                await self.asave(must_create=True)
            except CreateError:
                continue
            self.modified = True
            return
        raise RuntimeError(f"No free session key in {CREATE_ATTEMPTS} attempts.")

    # --- Exists and delete: one EXISTS, one DEL ----------------------------------

    def exists(self, session_key):
        if not session_key:
            return False
        return self._send("exists", "exists", self._redis_key(session_key)) == 1

    async def aexists(self, session_key):
        if not session_key:
            return False
        key = self._redis_key(session_key)
        return await self._asend("exists", "exists", key) == 1

    def delete(self, session_key=None):
        session_key = session_key or self.session_key
        if session_key is not None:
            self._send("delete", "delete", self._redis_key(session_key))

    async def adelete(self, session_key=None):
        session_key = session_key or self.session_key
        if session_key is not None:
            await self._asend("delete", "delete", self._redis_key(session_key))

    # --- Expired sessions: Redis deletes each key when its EX runs out ----------

    @classmethod
    def clear_expired(cls):
        """Nothing to do: every key was written with EX, so Redis deletes it
        when it expires. ``clearsessions`` does nothing for this engine."""

    @classmethod
    async def aclear_expired(cls):
        """Nothing to do, as for clear_expired()."""
