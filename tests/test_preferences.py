"""Lesson 8: a theme remembered in the session and applied to every page."""

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import Client
from django.urls import get_resolver, reverse

from myapp.context_processors import THEME_KEY
from myapp.progress import PROGRESS_KEY
from tests.html import parse
from tests.sessions import put_in_session, stored

PAGE = reverse("myapp:preferences")
SET = reverse("myapp:preferences-set")
FORGET = reverse("myapp:preferences-forget")
DEMO = PAGE + "#demo"
COOKIE = settings.SESSION_COOKIE_NAME
DEFAULT_THEME = "light"
TWO_WEEKS = 1209600

# Pages of every kind: seed views, the index, lessons, and Django's 404 handler.
SITE_PAGES = (
    reverse("myapp:index"),
    reverse("myapp:getsession"),
    reverse("myapp:login"),
    reverse("myapp:home"),
    reverse("myapp:first-session"),
    reverse("myapp:visit-counter"),
    PAGE,
    "/no-such-page/",
)


def theme_of(response):
    return parse(response).select("html")[0]["data-theme"]


class TestSetTheme:
    def test_the_theme_applies_to_every_page(self, client, engine):
        """After choosing dark, every page the site renders says data-theme="dark"."""
        response = client.post(SET, {"theme": "dark"})
        assert response.status_code == 302
        assert response["Location"] == DEMO
        for path in SITE_PAGES:
            response = client.get(path)
            assert response.status_code in (200, 404), path
            assert theme_of(response) == "dark", path

    @pytest.mark.parametrize("theme", ["light", "dark", "contrast"])
    def test_every_theme_is_stored_as_chosen(self, client, engine, theme):
        client.post(SET, {"theme": theme})
        assert client.session[THEME_KEY] == theme
        page = parse(client.get(PAGE))
        assert page.inspector_items()[THEME_KEY] == f'"{theme}"'
        assert f'theme = "{theme}"' in page.text("stored-theme")
        checked = page.select("#theme-form input[checked]")
        assert [radio["value"] for radio in checked] == [theme]

    def test_saving_sets_a_two_week_cookie(self, client, engine):
        """Persistent by default: the cookie carries Max-Age, two weeks."""
        response = client.post(SET, {"theme": "contrast"})
        assert response.cookies[COOKIE]["max-age"] == TWO_WEEKS

    def test_another_browser_keeps_the_default(self, client, engine):
        client.post(SET, {"theme": "dark"})
        other = Client()
        assert theme_of(other.get(reverse("myapp:index"))) == DEFAULT_THEME
        assert theme_of(client.get(reverse("myapp:index"))) == "dark"

    def test_other_keys_survive_a_theme_change(self, client, engine):
        client.get("/ssession")
        client.post(SET, {"theme": "dark"})
        client.post(SET, {"theme": "light"})
        session = client.session
        assert session[THEME_KEY] == "light"
        assert session["sname"] == "irfan"

    def test_a_new_visitor_has_no_session_until_the_first_choice(self, client, engine):
        """Reading the theme stores nothing: no cookie, no key. The choice is
        saved, and only then does the browser get a session cookie."""
        response = client.get(reverse("myapp:index"))
        assert COOKIE not in response.cookies
        assert response.wsgi_request.session.session_key is None
        response = client.post(SET, {"theme": "contrast"})
        assert response.cookies[COOKIE].value
        assert client.session[THEME_KEY] == "contrast"

    def test_the_page_says_a_session_starts_with_a_save(self, client, db):
        """Not "the session already exists for every visitor" (lesson 1)."""
        page = parse(client.get(PAGE))
        core = page.text("explanation")
        assert "only once a view saves something in it" in core
        assert "already exists" not in page.text()
        assert "no session cookie" in page.text("deeper-new-visitor")

    def test_every_form_lands_on_the_demo(self, client, db):
        page = parse(client.get(PAGE))
        assert {form["action"] for form in page.forms()} == {
            SET + "#demo",
            FORGET + "#demo",
        }

    def test_choosing_completes_the_lesson(self, client, engine):
        client.post(SET, {"theme": "dark"})
        assert "preferences" in client.session[PROGRESS_KEY]["done"]

    def test_logout_forgets_the_theme(self, client, engine):
        """flush() deletes the whole session, the preference with it."""
        client.post(SET, {"theme": "dark"})
        client.post(reverse("myapp:logout"))
        assert theme_of(client.get(reverse("myapp:index"))) == DEFAULT_THEME


class TestBadInput:
    @pytest.mark.parametrize(
        "data",
        [
            {"theme": "purple"},
            {"theme": ""},
            {"theme": "DARK"},
            {"theme": " dark"},
            {"theme": "<script>alert(1)</script>"},
            {"theme": "x" * 5000},
            {},
        ],
        ids=["unknown", "empty", "uppercase", "space", "markup", "long", "missing"],
    )
    def test_refused_with_a_form_error_and_nothing_changed(self, client, engine, data):
        client.post(SET, {"theme": "dark"})
        before = stored(client)
        response = client.post(SET, data)
        assert response.status_code == 200
        page = parse(response)
        assert page.field_errors()
        assert COOKIE not in response.cookies
        assert stored(client) == before
        assert theme_of(response) == "dark"
        assert "<script>alert(1)</script>" not in response.content.decode()

    def test_a_bad_stored_value_falls_back_to_the_default(self, client, engine):
        """The context processor checks the value it reads, whatever the store holds."""
        put_in_session(client, **{THEME_KEY: '"><script>x</script>'})
        assert theme_of(client.get(reverse("myapp:index"))) == DEFAULT_THEME

    @pytest.mark.parametrize("url", [SET, FORGET])
    def test_changes_are_post_only(self, client, engine, url):
        client.post(SET, {"theme": "dark"})
        assert client.get(url, {"theme": "light"}).status_code == 405
        assert client.session[THEME_KEY] == "dark"

    @pytest.mark.parametrize("url", [SET, FORGET])
    @pytest.mark.usefixtures("engine")
    def test_posts_without_csrf_token_are_refused(self, url):
        client = Client(enforce_csrf_checks=True)
        put_in_session(client, **{THEME_KEY: "dark"})
        assert client.post(url, {"theme": "light"}).status_code == 403
        assert client.session[THEME_KEY] == "dark"


class TestForget:
    def test_forget_pops_only_the_theme(self, client, engine):
        client.get("/ssession")
        client.post(SET, {"theme": "dark"})
        response = client.post(FORGET)
        assert response.status_code == 302
        assert response["Location"] == DEMO
        session = client.session
        assert THEME_KEY not in session
        assert session["sname"] == "irfan"
        for path in SITE_PAGES:
            assert theme_of(client.get(path)) == DEFAULT_THEME, path
        assert "Nothing stored" in parse(client.get(PAGE)).text("stored-theme")

    def test_forgetting_nothing_writes_nothing(self, client, engine):
        client.get("/ssession")
        before = stored(client)
        response = client.post(FORGET)
        assert COOKIE not in response.cookies
        assert stored(client) == before


class TestVaryCookie:
    @pytest.mark.parametrize("path", SITE_PAGES)
    def test_every_page_varies_on_cookie_even_for_a_new_visitor(
        self, client, engine, path
    ):
        """Reading the theme reads the session: Vary: Cookie on every page."""
        response = client.get(path)
        assert "Cookie" in response["Vary"]

    @pytest.mark.parametrize("path", [p for p in SITE_PAGES if "/lessons/" not in p])
    def test_reading_the_theme_creates_no_session(self, client, engine, path):
        """A new visitor: the page varies on Cookie, yet nothing is stored and
        no session cookie is set (lesson pages do set one: they record progress)."""
        response = client.get(path)
        assert "Cookie" in response["Vary"]
        assert COOKIE not in response.cookies

    def test_the_inspector_shows_vary_cookie(self, client, engine):
        client.post(SET, {"theme": "dark"})
        client.get(PAGE)
        headers = parse(client.get(PAGE)).text("response-headers")
        assert "Vary Cookie" in headers

    def test_the_400_page_follows_the_theme(self, client, engine):
        """Django renders the 400 page with the request: the context processor runs."""
        client.post(SET, {"theme": "dark"})
        response = client.get(reverse("myapp:index"), HTTP_HOST="evil.example")
        assert response.status_code == 400
        assert theme_of(response) == "dark"

    def test_the_csrf_failure_page_follows_the_theme(self, engine):
        """The 403 for a missing CSRF token is rendered with the request."""
        client = Client(enforce_csrf_checks=True)
        put_in_session(client, **{THEME_KEY: "dark"})
        response = client.post(FORGET)
        assert response.status_code == 403
        assert theme_of(response) == "dark"

    def test_the_503_page_does_not(self, client, engine, rf):
        """An unreachable store gets a 503 rendered without the request: the
        theme would have to be read from the store that failed."""
        client.post(SET, {"theme": "dark"})
        request = rf.get("/")
        request.session = client.session
        try:
            raise OperationalError("the database did not answer")
        except OperationalError:
            response = get_resolver().resolve_error_handler(500)(request)
        assert response.status_code == 503
        assert theme_of(response) == DEFAULT_THEME

    def test_the_500_page_does_not(self, client, engine, rf):
        """The 500 handler renders without the request, so no stored theme applies."""
        client.post(SET, {"theme": "dark"})
        request = rf.get("/")
        request.session = client.session
        response = get_resolver().resolve_error_handler(500)(request)
        assert response.status_code == 500
        page = parse(response)
        assert page.select("html")
        assert not page.select('html[data-theme="dark"]')
