"""Course progress never starts a session on its own (myapp/progress.py,
myapp/middleware.py): a visitor without cookies costs no stored session."""

from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import resolve, reverse

from myapp.course import LESSONS
from myapp.middleware import CourseProgressMiddleware
from myapp.progress import PROGRESS_KEY, keeps_cookies
from tests.html import parse

# The pages of lessons 1-23, but lesson 20's: its page stores a cart id on the
# first visit on purpose (its view's own write, not progress), so parallel
# adds later agree on one counter row.
WRITES_ON_PURPOSE = {"concurrency"}
PAGES = [
    lesson.url
    for lesson in LESSONS
    if lesson.available and lesson.number <= 23 and lesson.slug not in WRITES_ON_PURPOSE
]


def stored_sessions():
    """How many sessions the configured engine holds, counted in its store."""
    engine = settings.SESSION_ENGINE
    if engine.endswith(".file"):
        folder = Path(settings.SESSION_FILE_PATH)
        return len(list(folder.glob(settings.SESSION_COOKIE_NAME + "*")))
    if engine.endswith(".cache"):
        return len(caches[settings.SESSION_CACHE_ALIAS]._cache)  # locmem
    store = import_module(engine).SessionStore  # db, cached_db, active
    return store.get_model_class().objects.count()


def cookieless_gets(count):
    """GET lesson pages `count` times, each time as a browser without cookies.
    Return the responses that carried a session cookie."""
    client = Client()
    with_cookie = []
    for number in range(count):
        client.cookies.clear()
        response = client.get(PAGES[number % len(PAGES)])
        assert response.status_code == 200
        if settings.SESSION_COOKIE_NAME in response.cookies:
            with_cookie.append(response)
    return with_cookie


class TestCookielessVisitors:
    @pytest.mark.parametrize("engine_name", ["db", "file"])
    def test_a_thousand_cookieless_gets_store_no_session(
        self, use_settings, db, engine_name
    ):
        """1,000 lesson pages opened without cookies (a crawler, a load test):
        the store holds as many sessions after as before, and no response
        sets a session cookie."""
        use_settings(engine_name)
        before = stored_sessions()
        assert cookieless_gets(1000) == []
        assert stored_sessions() == before

    def test_no_engine_stores_a_session_for_a_cookieless_visitor(self, server_engine):
        """Every lesson page once, under every engine that stores on the
        server: nothing stored."""
        before = stored_sessions()
        assert cookieless_gets(len(PAGES)) == []
        assert stored_sessions() == before

    def test_a_made_up_session_cookie_does_not_count(self, client, server_engine):
        """A key the store never issued is not a kept session: no record, and
        the answer only deletes the cookie (an empty value)."""
        client.cookies[settings.SESSION_COOKIE_NAME] = "madeup" + "x" * 26
        before = stored_sessions()
        response = client.get(reverse("myapp:first-session"))
        assert response.cookies[settings.SESSION_COOKIE_NAME].value == ""
        assert stored_sessions() == before

    def test_a_demo_that_stores_still_stores_one_session(self, client, db):
        """The demo's own write is the lesson: one session, progress in it."""
        before = stored_sessions()
        client.get("/ssession")
        assert stored_sessions() == before + 1
        assert client.session[PROGRESS_KEY] == {"opened": [], "done": ["first-session"]}


class TestALearnersProgress:
    def test_the_second_page_is_recorded(self, client, server_engine):
        """The first page stores nothing but sets the CSRF cookie; the browser
        brings it back with the second page, which starts the session."""
        first = client.get(reverse("myapp:what-is-a-session"))
        assert settings.SESSION_COOKIE_NAME not in first.cookies
        assert settings.CSRF_COOKIE_NAME in first.cookies
        before = stored_sessions()
        second = client.get(reverse("myapp:visit-counter"))
        assert settings.SESSION_COOKIE_NAME in second.cookies
        assert stored_sessions() == before + 1
        assert client.session[PROGRESS_KEY] == {"opened": ["visit-counter"], "done": []}

    @pytest.mark.parametrize(
        "slug", ["first-session", "login-form", "performance", "visit-counter"]
    )
    def test_every_lesson_page_sets_the_csrf_cookie(self, client, db, slug):
        """Pages without a form too, so any page can be a learner's first."""
        response = client.get(reverse(f"myapp:{slug}"))
        assert settings.CSRF_COOKIE_NAME in response.cookies
        assert settings.SESSION_COOKIE_NAME not in response.cookies

    def test_with_csrf_in_the_session_a_page_without_a_form_stores_nothing(
        self, client, db, settings
    ):
        """The course asks for no CSRF token of its own then: it would go into
        the session and store one for every cookieless visitor."""
        settings.CSRF_USE_SESSIONS = True
        before = stored_sessions()
        response = client.get(reverse("myapp:first-session"))
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        assert stored_sessions() == before

    def test_a_csrf_cookie_is_not_a_sign_when_csrf_lives_in_the_session(
        self, db, settings
    ):
        """With CSRF_USE_SESSIONS the site sets no CSRF cookie, so a csrftoken
        cookie proves nothing: only a kept session counts."""
        from django.contrib.sessions.backends.db import SessionStore

        request = RequestFactory().get("/")
        request.COOKIES[settings.CSRF_COOKIE_NAME] = "x" * 32
        request.session = SessionStore()
        assert keeps_cookies(request)
        settings.CSRF_USE_SESSIONS = True
        assert not keeps_cookies(request)

    def test_pages_opened_with_the_cookie_are_recorded(self, client, engine):
        """First page: nothing. A demo that stores: "done". Every page opened
        after that, with the cookie: "opened"."""
        client.get(reverse("myapp:what-is-a-session"))
        client.cookies.pop(settings.CSRF_COOKIE_NAME)
        client.get("/ssession")
        client.get(reverse("myapp:visit-counter"))
        client.get(reverse("myapp:what-is-a-session"))
        assert client.session[PROGRESS_KEY] == {
            "opened": ["visit-counter", "what-is-a-session"],
            "done": ["first-session"],
        }

    def test_a_page_that_writes_on_its_own_is_recorded_opened(self, db):
        """A lesson page whose view stores something is saved anyway, so the
        visit is recorded with it, even on a first visit."""
        from django.contrib.sessions.backends.db import SessionStore

        request = RequestFactory().get(reverse("myapp:first-session"))
        request.resolver_match = resolve(request.path)
        request.session = SessionStore()

        def page_that_writes(request):
            request.session["written_by_the_page"] = 1
            return HttpResponse("page")

        CourseProgressMiddleware(page_that_writes)(request)
        assert request.session[PROGRESS_KEY] == {
            "opened": ["first-session"],
            "done": [],
        }


class TestTheIndexOnAFirstVisit:
    def test_says_why_nothing_is_recorded_yet(self, client, db):
        """No session: the index says progress appears once the browser keeps
        a session cookie, and stores nothing itself."""
        response = client.get(reverse("myapp:index"))
        text = parse(response).text("progress")
        assert "0 lessons opened, 0 demos completed" in text
        assert "only once your browser shows it keeps cookies" in text
        assert settings.SESSION_COOKIE_NAME not in response.cookies

    def test_with_a_session_the_explanation_goes(self, client, db):
        client.get("/ssession")
        page = parse(client.get(reverse("myapp:index")))
        assert not page.has_id("progress-first-visit")
        assert "1 demo completed" in page.text("progress")
