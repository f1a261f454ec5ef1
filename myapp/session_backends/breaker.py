"""A circuit breaker for the session cache: after a failure, skip Redis a while.

A Redis that hangs costs each call its socket timeout; one that refuses writes
fails each write. So after a failure the engines skip Redis for
``SESSION_CACHE_SKIP_SECONDS`` (the breaker is "open"); cached_db uses the
database meanwhile, the cache engine answers 503 at once. The next call after
that interval tries Redis again. The first failure of an incident is logged
once, with its cause; the incident ends when Redis does again what failed.

A session saved to the database while Redis is skipped leaves an older copy
in Redis. The breaker remembers its key and deletes it at the next contact,
before anything else. That memory belongs to this process.
"""

import logging
import threading
import time

import redis
from django.conf import settings

from myapp.store_errors import CACHE_FAILURES, CACHE_REFUSES_WRITES

# Django's own cached_db logs its cache failures here too.
logger = logging.getLogger("django.contrib.sessions")

# The clock the breaker reads (tests move it forward).
clock = time.monotonic


class CacheSkipped(redis.ConnectionError):
    """Redis failed a moment ago: not asked again until the interval ends."""


# (exception, word for the store, the cause): the first match names the failure.
CAUSES = (
    (redis.TimeoutError, "unreachable", "Redis hung: no answer within socket_timeout"),
    (redis.ConnectionError, "unreachable", "Redis is down"),
    (redis.OutOfMemoryError, "refuses writes", "Redis is full (maxmemory)"),
    (redis.ReadOnlyError, "refuses writes", "Redis is a read-only replica"),
)


def describe(error):
    for kind, state, cause in CAUSES:
        if isinstance(error, kind):
            return state, cause
    return "failed", "Redis error"


class Breaker:
    """The state of one Redis, shared by every thread of this process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.open_until = None  # while clock() is below it, skip Redis
        self.incident = None  # the exception class of the failure, until it ends
        self.started = None
        self.stale = set()  # cache keys whose copy in Redis is older than the row

    def before(self):
        if self.open_until is not None and clock() < self.open_until:
            raise CacheSkipped(f"skipped for {self.interval()} s after a failure")

    def interval(self):
        return getattr(settings, "SESSION_CACHE_SKIP_SECONDS", 5)

    def failed(self, error, fallback):
        with self.lock:
            self.open_until = clock() + self.interval()
            if self.incident is not None and isinstance(error, self.incident):
                return  # the same incident: logged already
            self.incident, self.started = type(error), clock()
        state, cause = describe(error)
        logger.warning(
            "Session cache %s, %s: %s (%s: %s). Redis is skipped for %s s "
            "after each failure.",
            *(state, fallback, cause, type(error).__name__, error, self.interval()),
        )

    def answered(self, kind):
        """Redis did what was asked: the incident ends if it was that kind."""
        with self.lock:
            self.open_until = None
            ended = self.incident is not None and (
                kind == "write" or not self.refusing_writes()
            )
            if not ended:
                return
            seconds, self.incident = clock() - self.started, None
        logger.info("Session cache answers again after %.1f s.", seconds)

    def refusing_writes(self):
        incident = self.incident
        return incident is not None and issubclass(incident, CACHE_REFUSES_WRITES)

    def call(self, cache, kind, fallback, method, *args):
        self.before()
        try:
            if self.stale:
                keys = list(self.stale)
                cache.delete_many(keys)
                self.stale.difference_update(keys)
            result = method(*args)
        except CACHE_FAILURES as error:
            self.failed(error, fallback)
            raise
        self.answered(kind)
        return result

    async def acall(self, cache, kind, fallback, method, *args):
        self.before()
        try:
            if self.stale:
                keys = list(self.stale)
                await cache.adelete_many(keys)
                self.stale.difference_update(keys)
            result = await method(*args)
        except CACHE_FAILURES as error:
            self.failed(error, fallback)
            raise
        self.answered(kind)
        return result

    def forget(self, cache, key):
        """The row changed but Redis kept its copy: delete it now if Redis
        still takes a delete (a full Redis does), else at the next contact."""
        if self.refusing_writes():
            try:
                cache.delete(key)
                return
            except CACHE_FAILURES:
                pass
        self.stale.add(key)


# One breaker per cache (alias and location) in this process.
_breakers = {}


def breaker_for(alias):
    key = (alias, str(settings.CACHES[alias].get("LOCATION")))
    return _breakers.setdefault(key, Breaker())


def is_open(alias):
    """Whether the session cache is skipped right now (for pages that peek at it)."""
    try:
        breaker_for(alias).before()
    except CacheSkipped:
        return True
    return False


class GuardedCache:
    """The session cache with every call through the breaker. ``fallbacks``
    says, per kind of call, what the engine does when it fails (for the log)."""

    def __init__(self, cache, breaker, fallbacks):
        self.cache, self.breaker, self.fallbacks = cache, breaker, fallbacks

    def _call(self, kind, name, *args):
        method = getattr(self.cache, name)
        return self.breaker.call(self.cache, kind, self.fallbacks[kind], method, *args)

    async def _acall(self, kind, name, *args):
        method = getattr(self.cache, name)
        fallback = self.fallbacks[kind]
        return await self.breaker.acall(self.cache, kind, fallback, method, *args)

    def get(self, key, default=None):
        return self._call("read", "get", key, default)

    async def aget(self, key, default=None):
        return await self._acall("read", "aget", key, default)

    def has_key(self, key):
        return self._call("exists", "has_key", key)

    __contains__ = has_key

    async def ahas_key(self, key):
        return await self._acall("exists", "ahas_key", key)

    def set(self, key, value, timeout):
        return self._call("write", "set", key, value, timeout)

    async def aset(self, key, value, timeout):
        return await self._acall("write", "aset", key, value, timeout)

    def add(self, key, value, timeout):
        return self._call("write", "add", key, value, timeout)

    async def aadd(self, key, value, timeout):
        return await self._acall("write", "aadd", key, value, timeout)

    def delete(self, key):
        return self._call("delete", "delete", key)

    async def adelete(self, key):
        return await self._acall("delete", "adelete", key)

    def forget(self, key):
        self.breaker.forget(self.cache, key)

    def __repr__(self):
        return f"<GuardedCache {self.cache!r}>"
