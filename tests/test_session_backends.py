"""The project's own session engines (myapp/session_backends/) under the
contract Django's engines pass, with Redis answering and with Redis down;
and Django's signed_cookies under the part of the contract that applies to it.

The engines with Redis answering use the shared Redis of REDIS_URL (what
``make run ENGINE=redis`` uses), under a key prefix of this test process's
own (tests/conftest.py). With Redis down they point at a port where nothing
listens: there the project's engines differ from Django's on purpose.
"""

import logging
from datetime import timedelta

import pytest
import redis
from asgiref.sync import async_to_sync
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.core.cache import InvalidCacheKey, caches

from myapp.session_backends import cache as cache_engine
from myapp.session_backends import cached_db as cached_db_engine
from myapp.session_backends import redis_direct as redis_direct_engine
from sitecore.settings import redis as redis_settings
from tests.services import free_port
from tests.session_contract import SessionContract, SessionStoreContract

UNREACHABLE_READ = "Session cache unreachable, read the database"
UNREACHABLE_EXISTS = "Session cache unreachable, ask the database"


# --- With Redis answering: the same contract as Django's engines -------------


class TestRedisCacheEngineContract(SessionStoreContract):
    """sitecore/settings/redis.py: sessions only in Redis."""

    settings_module = "redis"

    def test_the_engine_under_test_is_the_projects(self, backend):
        assert backend is cache_engine.SessionStore

    def test_the_session_lives_in_redis(self, session):
        """Under the key Django's cache engine uses, so its sessions stay readable."""
        session["x"] = 1
        session.save()
        key = f"django.contrib.sessions.cache{session.session_key}"
        assert caches["default"].get(key) == {"x": 1}


class TestRedisCachedDbEngineContract(SessionStoreContract):
    """sitecore/settings/redis_cached_db.py: the database, read through Redis."""

    settings_module = "redis_cached_db"

    def test_the_engine_under_test_is_the_projects(self, backend):
        assert backend is cached_db_engine.SessionStore

    def test_a_saved_session_is_read_from_the_cache(self, backend, session):
        """With the row gone behind its back, the store still answers from
        Redis: reads do not touch the database."""
        session["x"] = 1
        session.save()
        DBStore().delete(session.session_key)  # the row only
        assert backend(session.session_key).load() == {"x": 1}
        assert async_to_sync(backend(session.session_key).aload)() == {"x": 1}

    @pytest.mark.parametrize("api", ["sync", "async"])
    def test_a_session_missing_from_the_cache_is_read_from_the_row(
        self, backend, session, api
    ):
        """An evicted (or flushed) cache entry: the row answers, and the cache
        holds it again for the next read."""
        session["x"] = 1
        session.save()
        cache_key = f"django.contrib.sessions.cached_db{session.session_key}"
        caches["default"].delete(cache_key)
        later = backend(session.session_key)
        loaded = later.load() if api == "sync" else async_to_sync(later.aload)()
        assert loaded == {"x": 1}
        assert caches["default"].get(cache_key) == {"x": 1}


class TestRedisDirectEngineContract(SessionStoreContract):
    """sitecore/settings/redis_direct.py: lesson 27's engine, straight on
    redis-py (tests/test_own_engine.py counts its commands)."""

    settings_module = "redis_direct"

    def test_the_engine_under_test_is_the_projects(self, backend):
        assert backend is redis_direct_engine.SessionStore


class TestSignedCookiesEngineContract(SessionContract):
    """sitecore/settings/cookies.py: the data is the cookie. The store part of
    the contract does not apply; this does instead."""

    settings_module = "cookies"

    def test_a_deleted_session_still_loads_from_its_cookie(self, backend, session):
        """Nothing on the server to delete: an old copy of the cookie stays
        valid until it expires (why logout cannot revoke it)."""
        session["user"] = "ada"
        session.save()
        cookie = session.session_key
        session.delete()
        assert backend(cookie).load() == {"user": "ada"}
        assert async_to_sync(backend(cookie).aload)() == {"user": "ada"}


# --- With Redis down ---------------------------------------------------------


@pytest.fixture
def redis_down(settings, db):
    """The redis settings' cache, pointed at a port where nothing listens."""
    location = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {
        "default": {**redis_settings.CACHES["default"], "LOCATION": location}
    }
    return settings


def row_of(**data):
    """A session row, as saved while Redis still answered."""
    session = DBStore()
    session.update(data)
    session.save()
    return session.session_key


class TestCachedDbEngineWhileRedisIsDown:
    """Reads and new sessions come from the database and each fallback is
    logged; a delete waits for Redis. Django's own cached_db raises for the
    reads (tests/test_faults.py)."""

    @pytest.fixture
    def backend(self, redis_down):
        redis_down.SESSION_ENGINE = "myapp.session_backends.cached_db"
        return cached_db_engine.SessionStore

    def test_a_stored_session_loads_from_the_database(self, backend, caplog):
        key = row_of(sname="irfan")
        with caplog.at_level(logging.WARNING, "django.contrib.sessions"):
            assert backend(key).load() == {"sname": "irfan"}
        assert UNREACHABLE_READ in caplog.text

    def test_a_stored_session_loads_from_the_database_async(self, backend, caplog):
        key = row_of(sname="irfan")
        with caplog.at_level(logging.WARNING, "django.contrib.sessions"):
            assert async_to_sync(backend(key).aload)() == {"sname": "irfan"}
        assert UNREACHABLE_READ in caplog.text

    def test_an_expired_row_loads_empty(self, backend):
        session = DBStore()
        session["sname"] = "irfan"
        session.set_expiry(-timedelta(seconds=10))
        session.save()
        assert backend(session.session_key).load() == {}
        assert async_to_sync(backend(session.session_key).aload)() == {}

    def test_an_unknown_key_loads_empty_and_stores_nothing(self, backend):
        session = backend("someunknownkey")
        assert session.load() == {}
        assert session.session_key is None
        assert DBStore().exists("someunknownkey") is False

    def test_an_unknown_key_loads_empty_and_stores_nothing_async(self, backend):
        session = backend("someunknownkey")
        assert async_to_sync(session.aload)() == {}
        assert session.session_key is None
        assert DBStore().exists("someunknownkey") is False

    def test_exists_asks_the_database(self, backend, caplog):
        key = row_of(sname="irfan")
        with caplog.at_level(logging.WARNING, "django.contrib.sessions"):
            assert backend().exists(key) is True
            assert backend().exists("someunknownkey") is False
        assert UNREACHABLE_EXISTS in caplog.text

    def test_exists_asks_the_database_async(self, backend, caplog):
        key = row_of(sname="irfan")

        async def scenario():
            return (
                await backend().aexists(key),
                await backend().aexists("someunknownkey"),
            )

        with caplog.at_level(logging.WARNING, "django.contrib.sessions"):
            assert async_to_sync(scenario)() == (True, False)
        assert UNREACHABLE_EXISTS in caplog.text

    def test_a_new_session_is_saved_in_the_database(self, backend):
        session = backend()
        session["sname"] = "irfan"
        session.save()
        assert DBStore(session.session_key).load() == {"sname": "irfan"}

    def test_a_new_session_is_saved_in_the_database_async(self, backend):
        session = backend()

        async def scenario():
            await session.aset("sname", "irfan")
            await session.asave()

        async_to_sync(scenario)()
        assert DBStore(session.session_key).load() == {"sname": "irfan"}

    def test_delete_raises_and_keeps_the_row(self, backend):
        """The unreachable Redis may still hold the session: a delete of the
        row alone would let it come back with Redis."""
        key = row_of(username="Ada")
        with pytest.raises(redis.ConnectionError):
            backend(key).delete()
        assert DBStore().exists(key) is True

    def test_delete_raises_and_keeps_the_row_async(self, backend):
        key = row_of(username="Ada")
        with pytest.raises(redis.ConnectionError):
            async_to_sync(backend(key).adelete)()
        assert DBStore().exists(key) is True


class TestCacheEngineWhileRedisIsDown:
    """A Redis that does not answer raises (a 503 page, the cookie kept), where
    Django's cache engine reads it as "no session" (tests/test_faults.py)."""

    @pytest.fixture
    def backend(self, redis_down):
        redis_down.SESSION_ENGINE = "myapp.session_backends.cache"
        return cache_engine.SessionStore

    def test_load_raises_and_keeps_the_key(self, backend):
        session = backend("k" * 32)
        with pytest.raises(redis.ConnectionError):
            session.load()
        assert session.session_key == "k" * 32

    def test_load_raises_and_keeps_the_key_async(self, backend):
        session = backend("k" * 32)
        with pytest.raises(redis.ConnectionError):
            async_to_sync(session.aload)()
        assert session.session_key == "k" * 32


class RefusingCache:
    """A cache that refuses every key, as memcached refuses some (Django's
    ticket #17810): not an outage."""

    def get(self, key):
        raise InvalidCacheKey(key)

    async def aget(self, key):
        raise InvalidCacheKey(key)


class TestCacheEngineRefusedKey:
    @pytest.fixture
    def session(self):
        session = cache_engine.SessionStore("k" * 32)
        session._cache = RefusingCache()
        return session

    def test_a_refused_key_is_a_fresh_session(self, session):
        assert session.load() == {}
        assert session.session_key is None

    def test_a_refused_key_is_a_fresh_session_async(self, session):
        assert async_to_sync(session.aload)() == {}
        assert session.session_key is None
