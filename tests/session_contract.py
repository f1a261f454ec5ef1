"""The contract every session engine keeps, written once.

Django's own tests do this with one mixin (SessionTestsMixin in
tests/sessions_tests/tests.py) run against every backend. Here it is three
pytest classes with no engine of their own; a test module subclasses one
per engine and names the engine's settings module, so "passes the same
tests as Django's engines" is literally true. pytest does not collect this
module itself (its name does not start with ``test_``), only the subclasses:
tests/test_active_sessions.py (Django's engines and lesson 19's) and
tests/test_session_backends.py (the project's Redis engines, and Django's
signed_cookies).

SessionContract is what every engine does, signed cookies included: the
flags SessionMiddleware acts on, saving and loading by key, keys, expiry,
corrupted data. SessionStoreContract adds what a store on the server does
(Django's SessionTestsMixin overrides exactly these for signed cookies,
whose data travels in the cookie): a record that exists, is created, deleted,
expires and is never brought back. DatabaseSessionContract adds what Django's
DatabaseSessionTests check of a session model (the row, its manager,
clearsessions), for the engines that keep one: Django's db engine and the
course's.

The async methods (aget, aset, aload, asave, aexists, adelete, acreate,
acycle_key, aflush, aclear_expired ...) exist in Django 5.2 and 6.1; each
async test runs its scenario through ``async_to_sync``, which sends the ORM
work back to the test thread and so into the test's transaction. An engine
that overrides a method overrides its async twin too, so both are tested.
"""

import inspect
import logging
from datetime import timedelta
from importlib import import_module

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.core import signing
from django.core.management import call_command


async def _wait_for(coroutine):
    return await coroutine


def run(step, session):
    """Apply one step to the session; an async step (one that returns a
    coroutine) runs through async_to_sync, as an async view's would."""
    result = step(session)
    if inspect.iscoroutine(result):
        result = async_to_sync(_wait_for)(result)
    return result


# What views do to a loaded session ({"x": 1}), in both APIs. A read marks it
# accessed (SessionMiddleware adds Vary: Cookie); a write also marks it
# modified, which is what makes the middleware save it and send the cookie.
READS = {
    "get": lambda s: s.get("x"),
    "aget": lambda s: s.aget("x"),
    "getitem": lambda s: s["x"],
    "in": lambda s: "x" in s,
    "ahas_key": lambda s: s.ahas_key("x"),
    "keys": lambda s: list(s.keys()),
    "akeys": lambda s: s.akeys(),
    "values": lambda s: list(s.values()),
    "avalues": lambda s: s.avalues(),
    "items": lambda s: list(s.items()),
    "aitems": lambda s: s.aitems(),
    "pop a missing key": lambda s: s.pop("missing", None),
    "apop a missing key": lambda s: s.apop("missing", None),
    "setdefault a present key": lambda s: s.setdefault("x", 2),
    "asetdefault a present key": lambda s: s.asetdefault("x", 2),
}
WRITES = {
    "setitem": (lambda s: s.__setitem__("y", 2), {"x": 1, "y": 2}),
    "aset": (lambda s: s.aset("y", 2), {"x": 1, "y": 2}),
    "delitem": (lambda s: s.__delitem__("x"), {}),
    "pop": (lambda s: s.pop("x"), {}),
    "apop": (lambda s: s.apop("x"), {}),
    "setdefault a new key": (lambda s: s.setdefault("y", 2), {"x": 1, "y": 2}),
    "asetdefault a new key": (lambda s: s.asetdefault("y", 2), {"x": 1, "y": 2}),
    "update": (lambda s: s.update({"y": 2}), {"x": 1, "y": 2}),
    "aupdate": (lambda s: s.aupdate({"y": 2}), {"x": 1, "y": 2}),
    "clear": (lambda s: s.clear(), {}),
}


class SessionContract:
    """What every SessionStore does. Subclasses set ``settings_module``."""

    settings_module = None  # a module of sitecore/settings/, e.g. "db"

    @pytest.fixture
    def backend(self, use_settings, db):
        """The SessionStore class of the engine under test."""
        use_settings(self.settings_module)
        return import_module(settings.SESSION_ENGINE).SessionStore

    @pytest.fixture
    def session(self, backend):
        session = backend()
        yield session
        session.delete()  # leave no record behind (files, cache entries)

    @pytest.fixture
    def loaded(self, backend, session):
        """A stored session {"x": 1} as the next request's store finds it."""
        session["x"] = 1
        session.save()
        return backend(session.session_key)

    # --- Reading and writing: the flags SessionMiddleware acts on -------------

    @pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
    def test_a_read_marks_the_session_accessed_not_modified(self, loaded, read):
        run(read, loaded)
        assert loaded.accessed is True
        assert loaded.modified is False

    @pytest.mark.parametrize(("write", "stored"), WRITES.values(), ids=WRITES.keys())
    def test_a_write_marks_the_session_modified_and_is_saved(
        self, backend, loaded, write, stored
    ):
        run(write, loaded)
        assert loaded.accessed is True
        assert loaded.modified is True
        loaded.save()
        assert backend(loaded.session_key).load() == stored

    def test_pop_without_a_default_raises_keyerror(self, loaded):
        with pytest.raises(KeyError):
            loaded.pop("missing")
        assert loaded.modified is False

    # --- Saving and loading -------------------------------------------------

    def test_a_new_session_is_neither_accessed_nor_modified(self, session):
        assert session.accessed is False
        assert session.modified is False
        assert session.session_key is None

    def test_a_missing_key_reads_as_none(self, session):
        assert session.get("cat") is None
        assert async_to_sync(session.aget)("cat") is None

    def test_saved_data_loads_in_another_store(self, backend, session):
        """What one request saves, the next request's store loads by key."""
        session["cart"] = {"apples": 3}
        session.save()
        assert backend(session.session_key).load() == {"cart": {"apples": 3}}

    def test_saved_data_loads_in_another_store_async(self, backend, session):
        async def scenario():
            await session.aset("cart", {"apples": 3})
            await session.asave()
            return await backend(session.session_key).aload()

        assert async_to_sync(scenario)() == {"cart": {"apples": 3}}

    def test_save_keeps_the_data_in_memory(self, session):
        session["a"] = "b"
        session.save()
        assert session["a"] == "b"

    # --- Deleting, flushing, cycling ------------------------------------------

    def test_delete_without_a_key_does_nothing(self, session):
        session.delete()  # no key yet: nothing to delete, no error
        assert session.session_key is None

    def test_delete_without_a_key_does_nothing_async(self, session):
        async_to_sync(session.adelete)()
        assert session.session_key is None

    def test_flush_empties_the_session_and_forgets_the_key(self, session):
        """What logout() calls: the next save starts a new session."""
        session["foo"] = "bar"
        session.save()
        session.flush()
        assert session.session_key is None
        assert session.modified is True
        assert session.accessed is True
        assert "foo" not in session

    def test_flush_empties_the_session_and_forgets_the_key_async(self, session):
        async def scenario():
            await session.aset("foo", "bar")
            await session.asave()
            await session.aflush()
            return await session.ahas_key("foo")

        assert async_to_sync(scenario)() is False
        assert session.session_key is None
        assert session.modified is True

    def test_cycle_key_of_a_session_not_loaded_yet(self, backend, session):
        """As login() does on a request that has not read its session."""
        session["a"] = "c"
        session.save()
        fresh = backend(session.session_key)
        fresh.cycle_key()
        assert dict(fresh.items()) == {"a": "c"}
        fresh.save()
        assert backend(fresh.session_key).load() == {"a": "c"}
        fresh.delete()

    def test_cycle_key_of_a_session_not_loaded_yet_async(self, backend, session):
        session["a"] = "c"
        session.save()
        fresh = backend(session.session_key)

        async def scenario():
            await fresh.acycle_key()
            await fresh.asave()
            loaded = await backend(fresh.session_key).aload()
            await fresh.adelete()
            return loaded

        assert async_to_sync(scenario)() == {"a": "c"}

    # --- Keys ---------------------------------------------------------------------

    def test_an_unknown_key_is_never_adopted(self, backend):
        """Saving under a key nobody issued stores under a fresh key."""
        session = backend("unknownkeythatnobodyissued012345")
        session["cat"] = "dog"
        session.save()
        assert session.session_key != "unknownkeythatnobodyissued012345"
        assert session.exists("unknownkeythatnobodyissued012345") is False
        session.delete()

    @pytest.mark.parametrize("key", ["", "1234567"])
    def test_short_keys_are_refused(self, session, key):
        session._session_key = key
        assert session.session_key is None

    def test_a_key_of_eight_characters_is_accepted(self, session):
        session._session_key = "12345678"
        assert session.session_key == "12345678"

    def test_session_key_is_read_only(self, session):
        with pytest.raises(AttributeError):
            session.session_key = "12345678"

    # --- Expiry -------------------------------------------------------------------

    def test_default_expiry_is_session_cookie_age(self, session):
        assert session.get_expiry_age() == settings.SESSION_COOKIE_AGE

    def test_a_custom_expiry_is_stored_with_the_session(self, backend, session):
        session["x"] = 1
        session.set_expiry(timedelta(seconds=60))
        session.save()
        assert 50 < backend(session.session_key).get_expiry_age() <= 60

    def test_expiry_zero_ends_at_browser_close_and_is_stored(self, backend, session):
        """set_expiry(0): a cookie without Max-Age; the store keeps the
        default age meanwhile."""
        session["x"] = 1
        session.set_expiry(0)
        session.save()
        later = backend(session.session_key)
        assert later.get_expire_at_browser_close() is True
        assert later.get_expiry_age() == settings.SESSION_COOKIE_AGE

    # --- Corrupted data -----------------------------------------------------------

    def test_decode_reverses_encode(self, session):
        data = {"a test key": "a test value", "cart": [1, 2]}
        assert session.decode(session.encode(data)) == data

    def test_signed_data_that_is_not_json_decodes_to_an_empty_session(self, session):
        """A valid signature over bytes the serializer cannot read."""
        signed = signing.TimestampSigner(salt=session.key_salt).sign("not json")
        assert session.decode(signed) == {}

    @pytest.mark.parametrize(
        "garbage", ["Zmxhc2tkajphbGtkamY=", "bad:encoded:value", "not base64 !"]
    )
    def test_corrupted_data_decodes_to_an_empty_session(self, session, garbage):
        assert session.decode(garbage) == {}

    def test_tampered_data_is_logged_as_suspicious(self, session, caplog):
        signed = session.encode({"user": "alice"})
        with caplog.at_level(logging.WARNING, "django.security.SuspiciousSession"):
            assert session.decode(signed[:-1] + "x") == {}
        assert "Session data corrupted" in caplog.text


class SessionStoreContract(SessionContract):
    """What a store that keeps the data on the server does on top: a record
    per session key, which exists, is created, deleted and expires."""

    # --- A record per key ---------------------------------------------------

    def test_saved_session_exists(self, session):
        session.save()
        assert session.session_key is not None
        assert session.exists(session.session_key) is True

    def test_saved_session_exists_async(self, session):
        async def scenario():
            await session.asave()
            return await session.aexists(session.session_key)

        assert async_to_sync(scenario)() is True

    def test_create_makes_a_new_empty_record(self, backend, session):
        session.create()
        assert session.session_key is not None
        assert session.exists(session.session_key) is True
        assert backend(session.session_key).load() == {}
        assert session.modified is True  # so the middleware sends the cookie

    def test_create_makes_a_new_empty_record_async(self, backend, session):
        async def scenario():
            await session.acreate()
            exists = await session.aexists(session.session_key)
            return exists, await backend(session.session_key).aload()

        assert async_to_sync(scenario)() == (True, {})
        assert session.modified is True

    def test_must_create_refuses_a_key_already_stored(self, backend, session):
        """create() retries on CreateError: that is how two new sessions can
        never share a key."""
        session.save()
        other = backend(session.session_key)
        other["x"] = 1
        with pytest.raises(CreateError):
            other.save(must_create=True)

    def test_must_create_refuses_a_key_already_stored_async(self, backend, session):
        async def scenario():
            await session.asave()
            other = backend(session.session_key)
            await other.aset("x", 1)
            with pytest.raises(CreateError):
                await other.asave(must_create=True)

        async_to_sync(scenario)()

    # --- Deleting, flushing, cycling ------------------------------------------

    def test_delete_removes_the_record(self, session):
        session.save()
        session.delete(session.session_key)
        assert session.exists(session.session_key) is False

    def test_delete_removes_the_record_async(self, session):
        async def scenario():
            await session.asave()
            await session.adelete(session.session_key)
            return await session.aexists(session.session_key)

        assert async_to_sync(scenario)() is False

    def test_flush_deletes_the_record(self, session):
        session["foo"] = "bar"
        session.save()
        old_key = session.session_key
        session.flush()
        assert session.exists(old_key) is False

    def test_flush_deletes_the_record_async(self, session):
        async def scenario():
            await session.aset("foo", "bar")
            await session.asave()
            old_key = session.session_key
            await session.aflush()
            return await session.aexists(old_key)

        assert async_to_sync(scenario)() is False

    def test_cycle_key_moves_the_data_to_a_new_key(self, session):
        session["a"], session["b"] = "c", "d"
        session.save()
        old_key = session.session_key
        session.cycle_key()
        assert session.session_key != old_key
        assert session.exists(old_key) is False
        assert dict(session.items()) == {"a": "c", "b": "d"}

    def test_cycle_key_moves_the_data_to_a_new_key_async(self, session):
        async def scenario():
            await session.aset("a", "c")
            await session.asave()
            old_key = session.session_key
            await session.acycle_key()
            return old_key, await session.aexists(old_key), await session.aitems()

        old_key, old_exists, items = async_to_sync(scenario)()
        assert session.session_key != old_key
        assert old_exists is False
        assert dict(items) == {"a": "c"}

    # --- Keys ---------------------------------------------------------------------

    def test_loading_an_unknown_key_stores_nothing(self, backend):
        """Creating records on load would let anyone fill the store."""
        session = backend("someunknownkey")
        assert session.load() == {}
        assert session.session_key is None
        assert session.exists("someunknownkey") is False

    def test_loading_an_unknown_key_stores_nothing_async(self, backend):
        session = backend("someunknownkey")

        async def scenario():
            return await session.aload(), await session.aexists("someunknownkey")

        assert async_to_sync(scenario)() == ({}, False)
        assert session.session_key is None

    def test_a_session_with_a_key_is_not_empty_even_without_data(self, session):
        """is_empty(), not truthiness, is what SessionMiddleware asks (an
        empty session is falsy on Django 6.1 and truthy on 5.2)."""
        assert session.is_empty() is True
        session.create()
        assert session.is_empty() is False

    # --- Expiry -------------------------------------------------------------------

    def test_an_expired_session_loads_empty(self, backend, session):
        session["foo"] = "bar"
        session.set_expiry(-timedelta(seconds=10))
        session.save()
        later = backend(session.session_key)
        assert "foo" not in later
        later.delete()

    def test_an_expired_session_loads_empty_async(self, backend, session):
        async def scenario():
            await session.aset("foo", "bar")
            await session.aset_expiry(-timedelta(seconds=10))
            await session.asave()
            later = backend(session.session_key)
            found = await later.ahas_key("foo")
            await later.adelete()
            return found

        assert async_to_sync(scenario)() is False

    def test_clear_expired_keeps_live_sessions(self, backend, session):
        session["live"] = True
        session.save()
        expired = backend()
        expired["live"] = False
        expired.set_expiry(-3600)
        expired.save()
        backend.clear_expired()
        assert backend().exists(session.session_key) is True
        assert backend().exists(expired.session_key) is False

    def test_clear_expired_keeps_live_sessions_async(self, backend, session):
        async def scenario():
            await session.aset("live", True)
            await session.asave()
            expired = backend()
            await expired.aset("live", False)
            await expired.aset_expiry(-3600)
            await expired.asave()
            await backend.aclear_expired()
            return (
                await backend().aexists(session.session_key),
                await backend().aexists(expired.session_key),
            )

        assert async_to_sync(scenario)() == (True, False)

    # --- Concurrency --------------------------------------------------------------

    def test_save_never_resurrects_a_session_deleted_elsewhere(self, backend):
        """A slow request must not bring back a session a logout deleted:
        save() raises UpdateError, which SessionMiddleware turns into
        SessionInterrupted (a 400)."""
        first = backend()
        first["data"] = "value1"
        first.save(must_create=True)
        key = first.session_key
        backend(key).delete()  # a logout in another request

        first["data"] = "value2"
        with pytest.raises(UpdateError):
            first.save()
        assert backend().exists(key) is False
        assert backend(key).load() == {}

    def test_asave_never_resurrects_a_session_deleted_elsewhere(self, backend):
        first = backend()

        async def scenario():
            await first.aset("data", "value1")
            await first.asave(must_create=True)
            key = first.session_key
            await backend(key).adelete()
            await first.aset("data", "value2")
            with pytest.raises(UpdateError):
                await first.asave()
            return await backend().aexists(key), await backend(key).aload()

        assert async_to_sync(scenario)() == (False, {})


class DatabaseSessionContract(SessionStoreContract):
    """What a database-backed store keeps on top: a model row per session."""

    @pytest.fixture
    def model(self, backend):
        return backend.get_model_class()

    def test_a_row_is_named_by_its_key(self, model, session):
        session["x"] = 1
        session.save()
        assert str(model.objects.get(pk=session.session_key)) == session.session_key

    def test_get_decoded_reads_the_row(self, model, session):
        session["x"] = 1
        session.save()
        assert model.objects.get(pk=session.session_key).get_decoded() == {"x": 1}

    def test_the_managers_save_writes_data_the_store_loads(self, model, session):
        session["y"] = 1
        session.save()
        row = model.objects.get(pk=session.session_key)
        model.objects.save(row.session_key, {"y": 2}, row.expire_date)
        del session._session_cache  # forget what is in memory: load again
        assert session["y"] == 2

    def test_clearsessions_deletes_only_expired_rows(self, backend, model, session):
        session["foo"] = "bar"
        session.set_expiry(3600)
        session.save()
        expired = backend()
        expired["foo"] = "bar"
        expired.set_expiry(-3600)
        expired.save()
        assert model.objects.count() == 2
        call_command("clearsessions")
        assert list(model.objects.values_list("pk", flat=True)) == [session.session_key]

    def test_a_row_with_corrupted_data_loads_as_an_empty_session(
        self, backend, model, session, caplog
    ):
        session["user"] = "ada"
        session.save()
        model.objects.filter(pk=session.session_key).update(
            session_data="not-what-django-wrote"
        )
        with caplog.at_level(logging.WARNING, "django.security.SuspiciousSession"):
            assert backend(session.session_key).load() == {}
        assert "Session data corrupted" in caplog.text
