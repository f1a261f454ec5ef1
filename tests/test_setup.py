"""Lesson 2: the real settings, the real table, a row written and flushed."""

from importlib import import_module

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.contrib.sessions.models import Session
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from myapp.lessons.setup import SAVED_AT_KEY, middleware_report, table_report
from tests.html import parse

PAGE = reverse("myapp:setup")
DEMO = PAGE + "#demo"
SAVE = reverse("myapp:setup-save")
FLUSH = reverse("myapp:setup-flush")
NAME = settings.SESSION_COOKIE_NAME
SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"
ACTIVE_SESSION_MIDDLEWARE = "myapp.active_sessions.ActiveSessionMiddleware"
AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
MESSAGES = "django.contrib.messages.middleware.MessageMiddleware"
CSRF = "django.middleware.csrf.CsrfViewMiddleware"
# Engines that keep a row in django_session.
ROW_ENGINES = ("db", "cached_db")


def middleware_rows(page):
    return page.select("#middleware-table tbody tr")


class TestSettingsShown:
    def test_the_three_pieces_are_read_from_the_project(self, client, db):
        """The app installed, SessionMiddleware's place in the list, the
        migration applied: each a line of the demo."""
        page = parse(client.get(PAGE))
        assert "django.contrib.sessions is installed." in page.text(
            "sessions-installed"
        )
        position = settings.MIDDLEWARE.index(SESSION_MIDDLEWARE) + 1
        assert page.text("session-middleware-position") == (
            f"Middleware: SessionMiddleware is number {position} "
            f"of {len(settings.MIDDLEWARE)}."
        )
        assert page.text("migration-state").endswith("0001_initial : applied.")

    def test_middleware_is_the_running_list_in_order(self, client, db):
        """The table is settings.MIDDLEWARE itself, read per request."""
        rows = middleware_rows(parse(client.get(PAGE)))
        assert [row.th.get_text(strip=True) for row in rows] == settings.MIDDLEWARE

    def test_session_dependents_are_marked_in_order(self, client, db):
        """The project's own order passes: dependents below, the headers box above."""
        page = parse(client.get(PAGE))
        notes = {
            row.th.get_text(strip=True): row.get_text(" ")
            for row in middleware_rows(page)
        }
        assert "saves it on the way out" in notes[SESSION_MIDDLEWARE]
        for dependent in (AUTH, MESSAGES, "myapp.middleware.CourseProgressMiddleware"):
            assert "after SessionMiddleware" in notes[dependent]
            assert "in order" in notes[dependent]
        headers = notes["myapp.middleware.ShowResponseHeadersMiddleware"]
        assert "before SessionMiddleware" in headers
        assert "wrong order" not in page.text("middleware-table")

    def test_installed_apps_are_the_running_list(self, client, db):
        """INSTALLED_APPS as running, the sessions app marked."""
        page = parse(client.get(PAGE))
        items = [
            li.get_text(" ", strip=True) for li in page.select("#installed-apps li")
        ]
        assert [item.split()[0] for item in items] == settings.INSTALLED_APPS
        assert "django.contrib.sessions the sessions app" in items

    def test_settings_changes_show_on_the_page(self, client, settings, db):
        """The page reads MIDDLEWARE per request: nothing is hard-coded."""
        settings.CSRF_USE_SESSIONS = True
        page = parse(client.get(PAGE))
        notes = {
            row.th.get_text(strip=True): row.get_text(" ")
            for row in middleware_rows(page)
        }
        assert "CSRF_USE_SESSIONS" in notes[CSRF]

    def test_a_session_middleware_subclass_takes_its_place(
        self, client, use_settings, db
    ):
        """Under lesson 19's engine ActiveSessionMiddleware replaces Django's:
        it is marked as the session middleware and nothing is out of order."""
        use_settings("active")
        assert SESSION_MIDDLEWARE not in settings.MIDDLEWARE
        page = parse(client.get(PAGE))
        (row,) = page.select("#middleware-table tr.session-middleware")
        assert row.th.get_text(strip=True) == ACTIVE_SESSION_MIDDLEWARE
        assert "wrong order" not in page.text("middleware-table")
        assert page.text("middleware-table").count("in order") == 4


class TestMiddlewareOrder:
    def test_a_dependent_above_session_middleware_is_wrong(self):
        """AuthenticationMiddleware above it is flagged; MessageMiddleware below
        is not."""
        report = middleware_report([AUTH, SESSION_MIDDLEWARE, MESSAGES])
        ok = {entry["path"]: entry["ok"] for entry in report}
        assert ok == {AUTH: False, SESSION_MIDDLEWARE: True, MESSAGES: True}

    def test_without_session_middleware_every_dependent_is_wrong(self):
        """Nothing gives them a session: both are flagged."""
        report = middleware_report([AUTH, MESSAGES])
        assert [entry["ok"] for entry in report] == [False, False]

    def test_unrelated_middleware_has_no_role(self):
        """CommonMiddleware neither needs the session nor its headers."""
        report = middleware_report(["django.middleware.common.CommonMiddleware"])
        assert report[0]["role"] == ""

    def test_a_subclass_counts_as_session_middleware(self):
        """As in the admin's check: lesson 19's subclass gives AuthenticationMiddleware
        its session."""
        report = middleware_report([ACTIVE_SESSION_MIDDLEWARE, AUTH])
        assert [entry["is_session"] for entry in report] == [True, False]
        assert [entry["ok"] for entry in report] == [True, True]

    def test_the_cache_middleware_go_around_it(self):
        """UpdateCacheMiddleware must see Vary: Cookie on the way out (above);
        FetchFromCacheMiddleware comes after it (below)."""
        update = "django.middleware.cache.UpdateCacheMiddleware"
        fetch = "django.middleware.cache.FetchFromCacheMiddleware"
        right = middleware_report([update, SESSION_MIDDLEWARE, fetch])
        assert [entry["ok"] for entry in right] == [True, True, True]
        wrong = middleware_report([fetch, SESSION_MIDDLEWARE, update])
        assert [entry["ok"] for entry in wrong] == [False, True, False]
        assert "Vary: Cookie" in right[0]["role"]


class TestTable:
    def test_columns_come_from_the_database(self, client, db):
        """Three columns, the key as primary key, an index on expire_date named
        as the database names it, and the migration applied."""
        page = parse(client.get(PAGE))
        names = [
            row.th.get_text(strip=True)
            for row in page.select("#session-table tbody tr")
        ]
        assert names == ["session_key", "session_data", "expire_date"]
        assert "primary key" in page.select("#session-table tbody tr")[0].get_text()
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(
                cursor, "django_session"
            )
        (expire_index,) = [
            name
            for name, constraint in constraints.items()
            if constraint["index"] and constraint["columns"] == ["expire_date"]
        ]
        assert f"expire_date ( {expire_index} )" in page.text("session-indexes")
        assert "applied" in page.text("migration-state")

    def test_a_missing_table_is_reported_not_raised(self, db):
        """A project that has not migrated gets a sentence, not a 500."""
        assert table_report("no_such_table") == {
            "exists": False,
            "name": "no_such_table",
        }


class TestSave:
    def test_save_writes_a_row_only_for_database_engines(self, client, server_engine):
        """db and cached_db write a django_session row; file and cache do not
        (and lesson 19's engine writes to its own table)."""
        response = client.post(SAVE)
        assert response.status_code == 302
        assert response["Location"] == DEMO
        key = client.cookies[NAME].value
        assert Session.objects.filter(session_key=key).exists() == (
            server_engine in ROW_ENGINES
        )
        assert client.session[SAVED_AT_KEY]

    def test_the_page_shows_your_row_and_the_count(self, client, server_engine):
        """The count, your row by its shortened key, and the saved value; the
        whole key appears nowhere on the page."""
        client.post(SAVE)
        key = client.cookies[NAME].value
        response = client.get(PAGE)
        page = parse(response)
        rows = Session.objects.count()
        assert page.text("session-rows").startswith(f"{rows} row")
        if server_engine in ROW_ENGINES:
            assert f"starts {key[:8]}…" in page.text("your-row")
        else:
            assert "keeps sessions elsewhere" in page.text("your-row")
        assert key not in response.content.decode()
        saved_at = client.session[SAVED_AT_KEY]
        assert saved_at in page.text("setup-saved-at")
        assert page.inspector_items()[SAVED_AT_KEY] == f'"{saved_at}"'

    def test_a_new_visitor_has_no_row_yet(self, client, use_settings, db):
        """The first view saves nothing. The second brings back the CSRF
        cookie, so the course records the page and saves a row, but only
        after rendering; the third view shows the row, as the page says."""
        use_settings("db")
        first = parse(client.get(PAGE))
        assert "No row for this browser yet" in first.text("your-row")
        assert "reload this page twice" in first.text("your-row")
        assert not Session.objects.exists()
        second = parse(client.get(PAGE))
        assert "No row for this browser yet" in second.text("your-row")
        (row,) = Session.objects.all()
        third = parse(client.get(PAGE))
        assert f"starts {row.session_key[:8]}…" in third.text("your-row")

    def test_save_is_post_only_and_needs_csrf(self, engine):
        """405 for GET, 403 without the token; the session is untouched."""
        client = Client(enforce_csrf_checks=True)
        client.get(PAGE)
        before = dict(client.session.items())
        assert client.get(SAVE).status_code == 405
        assert client.post(SAVE).status_code == 403
        assert dict(client.session.items()) == before


class TestFlush:
    def test_flush_deletes_the_row_and_the_cookie(self, client, server_engine):
        """The stored record goes, the cookie is deleted, no row is left."""
        client.post(SAVE)
        key = client.cookies[NAME].value
        store = client.session.__class__
        assert store().exists(key)
        response = client.post(FLUSH)
        assert response.status_code == 302
        assert response["Location"] == DEMO
        assert response.cookies[NAME].value == ""
        assert not store().exists(key)
        assert not Session.objects.filter(session_key=key).exists()

    def test_flush_with_signed_cookies_deletes_the_cookie(
        self, client, use_settings, db
    ):
        """No record to delete: deleting the cookie is the whole flush."""
        use_settings("cookies")
        client.post(SAVE)
        response = client.post(FLUSH)
        assert response.cookies[NAME].value == ""
        assert SAVED_AT_KEY not in client.session


def response_of(session_key, change):
    """One request through SessionMiddleware alone, with the cookie of a stored
    session, to a view that applies ``change`` to request.session."""
    request = RequestFactory().get("/")
    request.COOKIES[NAME] = session_key

    def view(request):
        change(request.session)
        return HttpResponse()

    return SessionMiddleware(view)(request)


class TestEmptiedSession:
    """Go deeper: the middleware deletes the cookie only of a session that
    is_empty(): after flush(), not after clear() or del."""

    def stored_session(self, **values):
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session.update(values)
        session.save()
        return session.session_key

    def test_after_flush_the_cookie_is_deleted(self, server_engine):
        key = self.stored_session(colour="blue")
        response = response_of(key, lambda session: session.flush())
        assert response.cookies[NAME].value == ""
        assert response.cookies[NAME]["max-age"] == 0

    def test_after_clear_the_same_key_is_sent_again(self, server_engine):
        """Not empty: the key is still there, so the empty data is saved under it."""
        key = self.stored_session(colour="blue")
        response = response_of(key, lambda session: session.clear())
        assert response.cookies[NAME].value == key
        store = import_module(settings.SESSION_ENGINE).SessionStore
        assert store(session_key=key).load() == {}
        assert store().exists(key)

    def test_after_deleting_the_last_key_the_same_key_is_sent_again(
        self, server_engine
    ):
        key = self.stored_session(colour="blue")

        def delete_colour(session):
            del session["colour"]

        response = response_of(key, delete_colour)
        assert response.cookies[NAME].value == key
        store = import_module(settings.SESSION_ENGINE).SessionStore
        assert store(session_key=key).load() == {}

    def test_the_page_says_so(self, client, db):
        text = parse(client.get(PAGE)).text("deeper-emptied")
        assert "is_empty() is True" in text
        assert (
            "After clear() , or del of the last key, the session still has its key"
            in text
        )


class TestLandsOnTheDemo:
    def test_both_buttons_post_to_the_demo(self, client, db):
        """The forms name #demo, and the views redirect there too."""
        page = parse(client.get(PAGE))
        actions = [form["action"] for form in page.select("#demo form")]
        assert actions == [SAVE + "#demo", FLUSH + "#demo"]
