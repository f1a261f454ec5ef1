"""Lesson 25: sessions and HTTP caching.

Two visitors are two test clients, each with its own cookies. The demo's
pages are cached in the lesson's sandbox; Django's per-site cache middleware
is tested by building the middleware chain around a small view.
"""

import time
from importlib import import_module

import django
import pytest
from django.conf import settings
from django.core import signing
from django.core.checks import run_checks
from django.http import HttpResponse
from django.middleware.cache import FetchFromCacheMiddleware, UpdateCacheMiddleware
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.http import parse_http_date
from django.utils.module_loading import import_string
from django.views.decorators import cache as cache_decorators
from django.views.decorators.vary import vary_on_cookie

from myapp.checks import django_has_the_session_cache_fixes
from myapp.lessons.caching import NOTE_KEY, SANDBOX
from tests.html import parse

PAGE = reverse("myapp:caching")
REMEMBER = reverse("myapp:caching-remember")
RIGHT = reverse("myapp:caching-right")
WRONG = reverse("myapp:caching-wrong")
EMPTY = reverse("myapp:caching-empty")
DEMO = "/lessons/caching/#demo"


@pytest.fixture(autouse=True)
def empty_sandbox():
    SANDBOX.clear()
    yield
    SANDBOX.clear()


def visitor_with_note(note):
    visitor = Client()
    visitor.post(REMEMBER, {"note": note})
    return visitor


def cache_control(response):
    return {part.strip() for part in response["Cache-Control"].split(",")}


def vary(response):
    return {part.strip() for part in response.get("Vary", "").split(",") if part}


class TestPage:
    def test_the_page_reads_the_session_so_it_varies_on_cookie(self, client, engine):
        """The lesson page reads the session: its response carries Vary: Cookie."""
        response = client.get(PAGE)
        assert response.status_code == 200
        assert "Cookie" in vary(response)

    def test_never_cache_sends_the_cache_control_the_page_names(self, client, engine):
        """never_cache: max-age=0, no-cache, no-store, must-revalidate, private,
        and an Expires of the moment it was sent, as "Go deeper" says."""
        response = client.get(PAGE)
        assert cache_control(response) == {
            "max-age=0",
            "no-cache",
            "no-store",
            "must-revalidate",
            "private",
        }
        # The moment it was sent (max-age 0), not a date in the past.
        assert abs(parse_http_date(response["Expires"]) - time.time()) <= 5
        assert "private" in parse(response).text("deeper-shared-caches")

    def test_the_page_shows_this_browsers_note(self, engine):
        """After Remember it, the demo shows the note this browser stored."""
        visitor = visitor_with_note("apple")
        assert parse(visitor.get(PAGE)).text("current-note") == (
            "This browser's note: apple"
        )


class TestRemember:
    def test_a_note_is_stored_and_the_learner_lands_on_the_demo(self, client, engine):
        """The note goes into the session, spaces folded, cut to 40 characters."""
        response = client.post(REMEMBER, {"note": "  a   " + "b" * 50})
        assert response.status_code == 302
        assert response["Location"] == DEMO
        assert client.session[NOTE_KEY] == "a " + "b" * 38

    def test_an_empty_note_changes_nothing(self, client, engine):
        """A blank note is ignored: no key is stored."""
        client.post(REMEMBER, {"note": "   "})
        assert NOTE_KEY not in client.session

    def test_a_get_is_refused(self, db):
        """Remembering writes: GET is 405, and the note stays as it was."""
        visitor = visitor_with_note("apple")
        response = visitor.get(REMEMBER, {"note": "banana"})
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert visitor.session[NOTE_KEY] == "apple"


class TestRight:
    def test_two_visitors_each_see_their_own_note(self, engine):
        """Cached right: A sees A's note, B sees B's, whoever came first."""
        a, b = visitor_with_note("apple"), visitor_with_note("banana")
        assert parse(a.get(RIGHT)).text("note") == "The note in the session: “apple”"
        assert parse(b.get(RIGHT)).text("note") == "The note in the session: “banana”"
        assert parse(a.get(RIGHT)).text("note") == "The note in the session: “apple”"

    def test_the_page_varies_on_cookie(self, engine):
        """vary_on_cookie puts Vary: Cookie on the response."""
        assert "Cookie" in vary(visitor_with_note("apple").get(RIGHT))

    def test_each_visitor_gets_a_cached_copy(self, server_engine):
        """It is cached for real: a visitor who changes the note (same session
        key, so the same Cookie header) still gets the stored copy, until the
        sandbox is emptied."""
        a = visitor_with_note("apple")
        first = parse(a.get(RIGHT)).text("rendered-at")
        a.post(REMEMBER, {"note": "cherry"})
        again = parse(a.get(RIGHT))
        assert again.text("note") == "The note in the session: “apple”"
        assert again.text("rendered-at") == first
        a.post(EMPTY)
        assert parse(a.get(RIGHT)).text("note") == "The note in the session: “cherry”"


class TestWrong:
    def test_visitor_b_is_served_visitor_a_note(self, engine):
        """Cached wrong: B's session holds banana, yet B is shown apple."""
        a, b = visitor_with_note("apple"), visitor_with_note("banana")
        assert parse(a.get(WRONG)).text("note") == "The note in the session: “apple”"
        served_to_b = parse(b.get(WRONG))
        assert served_to_b.text("note") == "The note in the session: “apple”"
        assert b.session[NOTE_KEY] == "banana"

    def test_the_page_is_labelled_as_the_wrong_sandbox(self, engine):
        """The wrong page says it is a sandbox cached wrong on purpose."""
        page = parse(visitor_with_note("apple").get(WRONG))
        assert page.text("sandbox-label").startswith(
            "Sandbox, cached wrong on purpose."
        )

    def test_a_copy_from_the_cache_carries_no_vary_header(self, engine):
        """A hit runs no view, so nothing reads the session: no Vary at all,
        as "Go deeper" says."""
        visitor_with_note("apple").get(WRONG)
        hit = visitor_with_note("banana").get(WRONG)
        assert not hit.has_header("Vary")


class TestEmpty:
    def test_emptying_the_sandbox_lets_b_see_their_own_note(self, engine):
        """After Empty, the next visitor's request renders afresh."""
        a, b = visitor_with_note("apple"), visitor_with_note("banana")
        a.get(WRONG)
        response = b.post(EMPTY)
        assert response.status_code == 302
        assert response["Location"] == DEMO
        assert parse(b.get(WRONG)).text("note") == "The note in the session: “banana”"

    def test_a_get_is_refused(self, db):
        """Emptying changes state: GET is 405, and the cached copy stays."""
        a, b = visitor_with_note("apple"), visitor_with_note("banana")
        a.get(WRONG)
        response = b.get(EMPTY)
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert parse(b.get(WRONG)).text("note") == "The note in the session: “apple”"


# --- Django's per-site cache middleware, around a small view -----------------


class CountingView:
    """A view that answers with the session's note and counts its calls."""

    def __init__(self, touch_session=True, vary_star=False):
        self.calls = 0
        self.touch_session = touch_session
        self.vary_star = vary_star

    def __call__(self, request):
        self.calls += 1
        body = request.session.get(NOTE_KEY, "none") if self.touch_session else "x"
        response = HttpResponse(body)
        if self.vary_star:
            response["Vary"] = "*"
        return response


def per_site(view):
    """UpdateCacheMiddleware first, FetchFromCacheMiddleware last, as Django's
    docs place them, with this engine's SessionMiddleware between."""
    session_middleware = next(
        import_string(name) for name in settings.MIDDLEWARE if "Session" in name
    )
    return UpdateCacheMiddleware(session_middleware(FetchFromCacheMiddleware(view)))


def session_cookie(note):
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[NOTE_KEY] = note
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


@pytest.fixture
def own_prefix(settings):
    settings.CACHE_MIDDLEWARE_KEY_PREFIX = "lesson-25-test"
    settings.CACHE_MIDDLEWARE_SECONDS = 60


class TestPerSiteCache:
    def test_each_cookie_header_gets_its_own_copy(self, engine, own_prefix):
        """The key holds the Cookie header's value: A and B get their own
        page, and A's second request is served from the cache."""
        view = CountingView()
        site = per_site(view)
        a, b = session_cookie("apple"), session_cookie("banana")
        get = RequestFactory().get
        assert site(get("/p/", HTTP_COOKIE=a)).content == b"apple"
        assert site(get("/p/", HTTP_COOKIE=b)).content == b"banana"
        assert site(get("/p/", HTTP_COOKIE=a)).content == b"apple"
        assert view.calls == 2

    def test_a_response_setting_a_cookie_is_not_stored(self, engine, own_prefix):
        """A response that sets the session cookie while varying on Cookie is
        not stored, even when the request carried an unrelated cookie."""

        def writes(request):
            view.calls += 1
            request.session[NOTE_KEY] = "apple"
            return HttpResponse("written")

        view = CountingView()
        site = per_site(writes)
        get = RequestFactory().get
        first = site(get("/w/", HTTP_COOKIE="theme=dark"))
        assert settings.SESSION_COOKIE_NAME in first.cookies
        site(get("/w/", HTTP_COOKIE="theme=dark"))
        assert view.calls == 2

    def test_save_every_request_varies_on_cookie(self, engine, own_prefix, settings):
        """With SESSION_SAVE_EVERY_REQUEST, a view that never reads the session
        still gets Vary: Cookie, since its response sets the cookie."""
        settings.SESSION_SAVE_EVERY_REQUEST = True
        site = per_site(CountingView(touch_session=False))
        response = site(RequestFactory().get("/s/", HTTP_COOKIE=session_cookie("a")))
        assert settings.SESSION_COOKIE_NAME in response.cookies
        assert "Cookie" in vary(response)

    def test_an_untouched_session_adds_no_vary(self, engine, own_prefix):
        """A view that never reads the session, and a cookie with a key: the
        middleware neither saves nor deletes, so it adds no Vary: Cookie."""
        site = per_site(CountingView(touch_session=False))
        response = site(RequestFactory().get("/u/", HTTP_COOKIE=session_cookie("a")))
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        assert "Cookie" not in vary(response)

    def test_a_cookie_too_short_for_a_key_is_deleted_with_vary(
        self, engine, own_prefix
    ):
        """A session key has at least 8 characters. A shorter cookie holds no
        session: the middleware deletes it and varies on Cookie, though the
        view never read the session."""
        site = per_site(CountingView(touch_session=False))
        cookie = f"{settings.SESSION_COOKIE_NAME}=short"
        response = site(RequestFactory().get("/k/", HTTP_COOKIE=cookie))
        assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 0
        assert "Cookie" in vary(response)

    def test_a_private_page_is_not_stored(self, engine, own_prefix):
        """cache_control(private=True): the per-site cache keeps no copy, and
        the response says Cache-Control: private."""
        view = CountingView()
        site = per_site(cache_decorators.cache_control(private=True)(view))
        cookie = session_cookie("apple")
        response = site(RequestFactory().get("/c/", HTTP_COOKIE=cookie))
        site(RequestFactory().get("/c/", HTTP_COOKIE=cookie))
        assert response["Cache-Control"] == "private"
        assert view.calls == 2

    def test_vary_star_is_not_stored(self, db, own_prefix):
        """A response with Vary: * is never stored."""
        view = CountingView(touch_session=False, vary_star=True)
        site = per_site(view)
        site(RequestFactory().get("/v/"))
        site(RequestFactory().get("/v/"))
        assert view.calls == 2

    def test_an_absent_cookie_header_and_an_empty_one_get_different_copies(
        self, db, own_prefix
    ):
        """On 5.2.19 and 6.1, a request with no Cookie header and one with an
        empty Cookie header do not share a cached copy."""
        calls = []

        @vary_on_cookie
        def view(request):
            calls.append(request)
            return HttpResponse("page")

        def without_cookie_header():
            # RequestFactory always sends a Cookie header, empty or not.
            request = RequestFactory().get("/e/")
            del request.META["HTTP_COOKIE"]
            return request

        site = UpdateCacheMiddleware(FetchFromCacheMiddleware(view))
        site(without_cookie_header())
        site(RequestFactory().get("/e/", HTTP_COOKIE=""))
        site(without_cookie_header())
        site(RequestFactory().get("/e/", HTTP_COOKIE=""))
        assert len(calls) == 2


class TestTheFixes:
    def test_a_cookie_signed_the_old_way_verifies_only_on_django_5_2(self):
        """CVE-2026-6873: the salt was the cookie's name joined to the salt.
        Django 5.2 falls back to it (SIGNED_COOKIE_LEGACY_SALT_FALLBACK),
        Django 6.1 refuses such a cookie."""
        legacy_salt = "theme" + ""  # the cookie's name joined to its salt (none)
        signed_the_old_way = signing.get_cookie_signer(salt=legacy_salt).sign("dark")
        request = RequestFactory().get("/", HTTP_COOKIE=f"theme={signed_the_old_way}")
        if django.VERSION[:2] == (5, 2):
            assert settings.SIGNED_COOKIE_LEGACY_SALT_FALLBACK is True
            assert request.get_signed_cookie("theme") == "dark"
        else:
            assert settings.SIGNED_COOKIE_LEGACY_SALT_FALLBACK is False
            with pytest.raises(signing.BadSignature):
                request.get_signed_cookie("theme")


# --- The system check: Django 5.2.19 or later ------------------------------


class TestDjangoVersionCheck:
    @pytest.mark.parametrize(
        "version",
        [(5, 2, 19, "final", 0), (5, 2, 20, "final", 0), (6, 1, 0, "final", 0)],
    )
    def test_5_2_19_and_later_pass(self, monkeypatch, version):
        """No error from 5.2.19 on."""
        monkeypatch.setattr(django, "VERSION", version)
        assert django_has_the_session_cache_fixes() == []

    @pytest.mark.parametrize(
        ("version", "shown"),
        [
            ((5, 2, 18, "final", 0), "5.2.18"),
            ((5, 2, 0, "final", 0), "5.2.0"),
            ((5, 1, 9, "final", 0), "5.1.9"),
            ((4, 2, 30, "final", 0), "4.2.30"),
        ],
    )
    def test_older_versions_are_an_error_naming_the_fixes(
        self, monkeypatch, version, shown
    ):
        """Anything older is error myapp.E003, its hint naming every fix."""
        monkeypatch.setattr(django, "VERSION", version)
        (error,) = django_has_the_session_cache_fixes()
        assert error.id == "myapp.E003"
        assert error.msg == (
            f"Django {shown} is installed; this course needs Django 5.2.19 or later."
        )
        for cve in (
            "CVE-2026-35192",
            "CVE-2026-6907",
            "CVE-2026-6873",
            "CVE-2026-48588",
            "CVE-2026-113593",
        ):
            assert cve in error.hint

    def test_the_check_is_registered(self, monkeypatch):
        """Django's own run_checks() runs it: an old version shows up there."""
        monkeypatch.setattr(django, "VERSION", (5, 2, 13, "final", 0))
        assert "myapp.E003" in [error.id for error in run_checks()]
