"""Lesson 21: async views using the async session API, under WSGI and ASGI.

pytest-django's ``async_client`` is Django's AsyncClient: requests go through
the ASGI handler. These tests are sync functions that drive it with
``async_to_sync``, as Django's own TestCase does for async tests, so no
asyncio plugin is needed and the ORM shares the test's transaction.
"""

import asyncio
import json
from importlib import import_module
from inspect import iscoroutinefunction

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.exceptions import SynchronousOnlyOperation
from django.db import connection, transaction
from django.test import AsyncClient
from django.urls import reverse

from myapp.lessons import async_views
from myapp.lessons.async_views import (
    FIRST_NOTE_AT_KEY,
    MAX_NOTES,
    NOTES_KEY,
    SYNC_TRAP_KEY,
)
from tests.html import parse
from tests.sessions import stored

PAGE = reverse("myapp:async-views")
DEMO = PAGE + "#demo"
ADD = reverse("myapp:async-views-add")
DELETE = reverse("myapp:async-views-delete")
CYCLE = reverse("myapp:async-views-cycle")
FLUSH = reverse("myapp:async-views-flush")
SNAPSHOT = reverse("myapp:async-views-snapshot")
SYNC_TRAP = reverse("myapp:async-views-sync-trap")
NAME = settings.SESSION_COOKIE_NAME


def send(method, client, url, data=None):
    """A request through the client's handler: ASGI for AsyncClient (awaited
    with async_to_sync), WSGI for the plain Client."""
    call = getattr(client, method)
    if isinstance(client, AsyncClient):
        call = async_to_sync(call)
    return call(url, data or {})


def post(client, url, data=None):
    return send("post", client, url, data)


def get(client, url):
    return send("get", client, url)


@pytest.fixture
def sync_checks_on(monkeypatch):
    """Django's async-safety check, even if something set the escape hatch."""
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)


class TestTheViewsAreAsync:
    @pytest.mark.parametrize(
        "view",
        ["add_note", "delete_notes", "cycle_key", "flush", "snapshot", "sync_trap"],
    )
    def test_decorated_views_stay_coroutine_functions(self, view):
        """require_POST and require_GET wrap async views in async wrappers."""
        assert iscoroutinefunction(getattr(async_views, view))

    def test_get_is_not_allowed_on_a_post_view(self, async_client, db):
        """The async wrapper of require_POST still answers 405: no note added."""
        post(async_client, ADD, {"note": "tea"})
        response = send("get", async_client, ADD, {"note": "cake"})
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert async_client.session[NOTES_KEY] == ["tea"]


class TestAddNote:
    def test_notes_are_kept_across_requests(self, async_client, engine):
        """aset() keeps the notes, asetdefault() only the first time; both shown."""
        response = post(async_client, ADD, {"note": " tea "})
        assert response.status_code == 302
        assert response["Location"] == DEMO
        first_at = async_client.session[FIRST_NOTE_AT_KEY]
        post(async_client, ADD, {"note": "cake"})
        session = async_client.session
        assert session[NOTES_KEY] == ["tea", "cake"]
        assert session[FIRST_NOTE_AT_KEY] == first_at  # asetdefault kept it

        page = parse(get(async_client, PAGE))
        assert page.text("async-notes").startswith("tea cake")
        assert page.inspector_items()[NOTES_KEY] == '["tea", "cake"]'

    def test_the_wsgi_client_runs_the_same_async_view(self, client, engine):
        """Under WSGI Django wraps the async view in async_to_sync: same result."""
        client.post(ADD, {"note": "tea"})
        assert client.session[NOTES_KEY] == ["tea"]

    @pytest.mark.parametrize(
        "note", ["", "   ", "n" * 101], ids=["empty", "spaces", "101-chars"]
    )
    def test_bad_notes_are_refused_and_change_nothing(self, async_client, engine, note):
        """The error page renders from the async view (in a thread, because the
        inspector reads the store) and nothing is saved."""
        post(async_client, ADD, {"note": "tea"})
        before = stored(async_client)
        response = post(async_client, ADD, {"note": note})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert NAME not in response.cookies
        assert stored(async_client) == before

    def test_at_most_20_notes(self, async_client, engine):
        """A 21st note is a form error, rendered from the async view; nothing saved."""
        session = async_client.session
        session[NOTES_KEY] = [f"note {n}" for n in range(MAX_NOTES)]
        session.save()
        async_client.cookies[NAME] = session.session_key  # signed_cookies: new key
        before = stored(async_client)
        response = post(async_client, ADD, {"note": "one more"})
        assert response.status_code == 200
        assert f"{MAX_NOTES} notes already" in " ".join(parse(response).field_errors())
        assert stored(async_client) == before

    def test_post_without_csrf_token_is_refused(self, engine):
        """403 through the ASGI handler too; no note stored."""
        client = AsyncClient(enforce_csrf_checks=True)
        assert post(client, ADD, {"note": "tea"}).status_code == 403
        assert NOTES_KEY not in client.session


class TestDeleteCycleFlush:
    @pytest.mark.parametrize(
        "url", [DELETE, CYCLE, FLUSH], ids=["delete", "cycle", "flush"]
    )
    def test_each_button_returns_to_the_demo(self, async_client, db, url):
        """POST, then a redirect to the demo's anchor."""
        post(async_client, ADD, {"note": "tea"})
        response = post(async_client, url)
        assert response.status_code == 302
        assert response["Location"] == "/lessons/async-views/#demo"

    def test_delete_pops_the_notes_and_keeps_the_rest(self, async_client, engine):
        """apop() removes both keys; the course's progress stays."""
        get(async_client, PAGE)
        post(async_client, ADD, {"note": "tea"})
        post(async_client, DELETE)
        session = stored(async_client)
        assert NOTES_KEY not in session
        assert FIRST_NOTE_AT_KEY not in session
        assert "course_progress" in session

    def test_deleting_nothing_changes_nothing(self, async_client, engine):
        """apop() of missing keys with a default does not mark the session modified."""
        get(async_client, PAGE)
        before = stored(async_client)
        response = post(async_client, DELETE)
        assert NAME not in response.cookies
        assert stored(async_client) == before

    def test_cycle_key_changes_the_key_and_keeps_the_data(
        self, async_client, server_engine
    ):
        """acycle_key(): a new key, the old record gone, the notes kept."""
        post(async_client, ADD, {"note": "tea"})
        old_key = async_client.cookies[NAME].value
        store = async_client.session.__class__
        post(async_client, CYCLE)
        new_key = async_client.cookies[NAME].value
        assert new_key != old_key
        assert not store().exists(old_key)
        assert async_client.session[NOTES_KEY] == ["tea"]

    def test_flush_deletes_everything_and_the_cookie(self, async_client, engine):
        """aflush(): cookie deleted, record gone, no notes on the next page."""
        post(async_client, ADD, {"note": "tea"})
        old_key = async_client.cookies[NAME].value
        store = async_client.session.__class__
        response = post(async_client, FLUSH)
        assert response.cookies[NAME].value == ""
        assert not store().exists(old_key)
        assert parse(get(async_client, PAGE)).text("async-notes") == "No notes yet."


class TestSnapshot:
    def snapshot(self, client):
        response = get(client, SNAPSHOT)
        assert response.status_code == 200
        return response, json.loads(parse(response).raw_text("snapshot-json"))

    def test_json_holds_the_exact_session(self, async_client, engine):
        """akeys()/aitems() return exactly what is stored; reading saves nothing."""
        post(async_client, ADD, {"note": "tea"})
        response, data = self.snapshot(async_client)
        assert data["items"][NOTES_KEY] == ["tea"]
        session = stored(async_client)
        assert data["items"] == session
        assert data["keys"] == sorted(session)
        assert NOTES_KEY in data["keys"]
        assert NAME not in response.cookies  # reading saves nothing
        assert "nothing was saved and no cookie was sent" in parse(response).text(
            "snapshot"
        )

    def test_save_every_request_saves_the_read_and_says_so(
        self, async_client, engine, settings
    ):
        settings.SESSION_SAVE_EVERY_REQUEST = True
        post(async_client, ADD, {"note": "tea"})
        response, _ = self.snapshot(async_client)
        assert NAME in response.cookies
        assert "is saved and its cookie sent anyway" in parse(response).text("snapshot")

    def test_a_new_visitor_gets_an_empty_session(self, async_client, engine):
        """No cookie: empty keys and items, and no error."""
        _, data = self.snapshot(async_client)
        assert data == {"keys": [], "items": {}}

    def test_the_snapshot_links_back_to_the_demo(self, async_client, db):
        """A result page of its own, with the way back to the buttons."""
        response, _ = self.snapshot(async_client)
        assert parse(response).by_id("back-to-demo")["href"] == DEMO


class TestSyncTrap:
    """A sync session read in an async view, under each engine."""

    def test_the_outcome_is_where_the_learner_lands(self, async_client, db):
        """The redirect goes to the outcome's own anchor, which the page has."""
        response = post(async_client, SYNC_TRAP)
        assert response["Location"] == "/lessons/async-views/#sync-trap-outcome"
        assert parse(get(async_client, PAGE)).has_id("sync-trap-outcome")

    def outcome(self, client):
        # A first view stores nothing; the second brings back the CSRF
        # cookie, so the course records the page: the session now has a key.
        get(client, PAGE)
        get(client, PAGE)
        post(client, SYNC_TRAP)
        return client.session[SYNC_TRAP_KEY]

    @pytest.mark.parametrize("engine_name", ["db", "active"])
    def test_the_database_engines_raise(
        self, async_client, use_settings, db, sync_checks_on, engine_name
    ):
        """db, and lesson 19's subclass of it, query to load: refused on the loop."""
        use_settings(engine_name)
        outcome = self.outcome(async_client)
        assert outcome["had_key"] is True
        assert outcome["uses_database"] is True
        assert outcome["raised"] is True
        page = parse(get(async_client, PAGE))
        assert "SynchronousOnlyOperation" in page.text("sync-trap-outcome")

    def test_it_raises_under_wsgi_too(self, client, use_settings, db, sync_checks_on):
        """runserver's async_to_sync runs the view on an event loop as well."""
        use_settings("db")
        assert self.outcome(client)["raised"] is True

    @pytest.mark.parametrize("engine_name", ["cache", "file", "cookies"])
    def test_engines_without_queries_do_not_raise(
        self, async_client, use_settings, db, sync_checks_on, engine_name
    ):
        """No query to refuse: the read succeeds (blocking the loop, bar cookies)."""
        use_settings(engine_name)
        outcome = self.outcome(async_client)
        assert outcome["had_key"] is True
        assert outcome["uses_database"] is False
        assert outcome["raised"] is False
        text = parse(get(async_client, PAGE)).text("sync-trap-outcome")
        assert "no error : the" in text
        assert "makes no database query" in text

    def test_cached_db_raises_only_on_a_cache_miss(
        self, async_client, use_settings, db, sync_checks_on
    ):
        """A cache hit answers without a query; after an eviction the same read
        goes to the database and is refused."""
        use_settings("cached_db")
        outcome = self.outcome(async_client)
        assert outcome["raised"] is False
        assert outcome["uses_database"] is True
        assert outcome["uses_cache"] is True
        text = parse(get(async_client, PAGE)).text("sync-trap-outcome")
        assert "found the session in the cache" in text
        caches[settings.SESSION_CACHE_ALIAS].clear()  # an eviction, a restart
        post(async_client, SYNC_TRAP)
        assert async_client.session[SYNC_TRAP_KEY]["raised"] is True

    def test_a_new_visitor_has_nothing_to_load(
        self, async_client, use_settings, db, sync_checks_on
    ):
        """No cookie, no key: nothing is loaded, so even db does not raise."""
        use_settings("db")
        post(async_client, SYNC_TRAP)
        outcome = async_client.session[SYNC_TRAP_KEY]
        assert outcome["had_key"] is False
        assert outcome["raised"] is False
        text = parse(get(async_client, PAGE)).text("sync-trap-outcome")
        assert "had no session key yet" in text


class TestWhatRunsWhere:
    """Go deeper, "What runs where": which store calls leave the event loop."""

    @staticmethod
    def where_the_cache_is_asked(monkeypatch):
        """Patch the session cache's get() and has_key() to note where each
        runs: on the event loop, or in a thread sync_to_async started."""
        seen = []
        cache_class = type(caches[settings.SESSION_CACHE_ALIAS])

        def noting(name):
            original = getattr(cache_class, name)

            def method(self, *args, **kwargs):
                try:
                    asyncio.get_running_loop()
                    seen.append((name, "on the loop"))
                except RuntimeError:
                    seen.append((name, "in a thread"))
                return original(self, *args, **kwargs)

            return method

        for name in ("get", "has_key"):
            monkeypatch.setattr(cache_class, name, noting(name))
        return seen

    def aexists(self):
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        return async_to_sync(store.aexists)("nosuchsession0000000000000000000")

    def test_the_cache_engine_asks_the_cache_in_a_thread(
        self, use_settings, db, monkeypatch
    ):
        """aexists() awaits ahas_key(): Django 5.2 runs get() in a thread for
        it, 6.1 the cache's own has_key()."""
        use_settings("cache")
        seen = self.where_the_cache_is_asked(monkeypatch)
        assert self.aexists() is False
        assert seen
        assert all(where == "in a thread" for _, where in seen), seen

    def test_aset_loads_a_session_nothing_has_read(self, use_settings, db):
        """aset() on a store that has loaded nothing awaits aload() first, so
        the stored keys are kept beside the new one."""
        use_settings("db")
        stored = DBStore()
        stored["a"] = 1
        stored.save()
        session = DBStore(stored.session_key)
        async_to_sync(session.aset)("b", 2)
        assert dict(session.items()) == {"a": 1, "b": 2}

    def test_cached_db_asks_the_cache_on_the_loop(self, use_settings, db, monkeypatch):
        """cached_db's aexists() uses a plain `in` on the cache: a sync call,
        which blocks the loop. Only its database half is awaited."""
        use_settings("cached_db")
        seen = self.where_the_cache_is_asked(monkeypatch)
        assert self.aexists() is False
        assert seen == [("has_key", "on the loop")]


class TestEscapeHatch:
    """DJANGO_ALLOW_ASYNC_UNSAFE switches the check off; it does not make the
    ORM safe on an event loop.

    On the loop, Django keeps a database connection per asyncio task, and a
    task started by another inherits the connection its starter already
    opened. These tests open their own connections (not the test's), so they
    close them and leave nothing behind.
    """

    @staticmethod
    def run_a_and_b(view_queried_first):
        """Task A opens a transaction and fails after task B saved a session."""
        session_b = DBStore()

        async def task_a(began, b_saved):
            try:
                with transaction.atomic():
                    began.set()
                    await b_saved.wait()  # task B runs meanwhile
                    raise RuntimeError("task A fails")
            except RuntimeError:
                pass

        async def task_b(began, b_saved):
            await began.wait()
            session_b["note"] = "tea"
            session_b.save()  # a sync query on the loop: the check is off
            b_saved.set()

        async def view():
            if view_queried_first:
                Session.objects.exists()  # this task now holds a connection
            began, b_saved = asyncio.Event(), asyncio.Event()
            try:
                await asyncio.gather(task_a(began, b_saved), task_b(began, b_saved))
                return DBStore().exists(session_b.session_key)
            finally:
                DBStore().delete(session_b.session_key)  # leave no row behind
                connection.close()

        return asyncio.run(view())

    def test_one_tasks_rollback_undoes_anothers_save(self, db, monkeypatch):
        """A view that queried, then ran two tasks: they share its connection,
        so B's save lands in A's transaction and is rolled back with it,
        although B's save() returned normally."""
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        assert self.run_a_and_b(view_queried_first=True) is False

    def test_tasks_that_inherit_no_connection_open_their_own(self, db, monkeypatch):
        """Without the view's query first, each task opens its own connection:
        B's save is committed, whatever A does."""
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        assert self.run_a_and_b(view_queried_first=False) is True

    def test_without_the_escape_hatch_the_same_save_is_refused(
        self, db, sync_checks_on
    ):
        """The check that the variable switches off."""

        async def save_on_the_loop():
            session = DBStore()
            session["note"] = "tea"
            session.save()

        with pytest.raises(SynchronousOnlyOperation):
            asyncio.run(save_on_the_loop())

    def test_the_page_names_this_test(self, client, db):
        """The Go deeper section points to the test above, by its real name."""
        text = parse(client.get(PAGE)).text("deeper-unsafe")
        assert "test_one_tasks_rollback_undoes_anothers_save" in text
        assert hasattr(TestEscapeHatch, "test_one_tasks_rollback_undoes_anothers_save")
