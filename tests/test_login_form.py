"""Lesson 5: a popular tutorial's /login/, /home/ and /logout/."""

from importlib import import_module

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse

from myapp import views
from myapp.views import USERNAME_KEY
from tests.html import parse

LOGIN = reverse("myapp:login")
HOME = reverse("myapp:home")
LOGOUT = reverse("myapp:logout")
PAGE = reverse("myapp:login-form")
DEMO = PAGE + "#demo"


def session_cookie(client):
    return client.cookies.get(settings.SESSION_COOKIE_NAME)


class TestLogin:
    def test_urls_keep_the_seed_paths(self):
        assert (LOGIN, HOME, LOGOUT) == ("/login/", "/home/", "/logout/")

    def test_name_is_stored_and_shown_on_home(self, client, engine):
        response = client.post(LOGIN, {"username": "  Ada  "})
        assert response.status_code == 302
        assert response["Location"] == "/home/"
        assert client.session[USERNAME_KEY] == "Ada"  # stripped
        assert parse(client.get(HOME)).text("welcome") == "Welcome, Ada!"

    def test_home_without_a_name_greets_a_guest(self, client, engine):
        assert parse(client.get(HOME)).text("welcome") == "Welcome, Guest!"

    def test_an_empty_name_is_refused_not_greeted_as_guest(self, client, engine):
        """ "Guest" is home's default when no name is stored; an empty name
        never gets stored: the form refuses it and login does not redirect."""
        response = client.post(LOGIN, {"username": ""})
        assert response.status_code == 200
        assert "This field is required." in parse(response).field_errors()
        assert USERNAME_KEY not in client.session
        assert parse(client.get(HOME)).text("welcome") == "Welcome, Guest!"

    def test_html_in_the_name_comes_back_escaped(self, client, engine):
        """The stored name is shown as text: no <script> element reaches the page."""
        payload = "<script>alert(1)</script>"
        client.post(LOGIN, {"username": payload})
        response = client.get(HOME)
        assert b"<script>alert(1)</script>" not in response.content
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content
        page = parse(response)
        assert page.text("welcome") == f"Welcome, {payload}!"
        assert not page.select("#welcome script")

    @pytest.mark.parametrize(
        "username", ["", "   ", "x" * 151], ids=["empty", "spaces", "151-chars"]
    )
    def test_bad_names_get_a_form_error_and_store_nothing(
        self, client, engine, username
    ):
        response = client.post(LOGIN, {"username": username})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert session_cookie(client) is None  # nothing was saved at all

    def test_150_characters_is_accepted(self, client, engine):
        client.post(LOGIN, {"username": "x" * 150})
        assert client.session[USERNAME_KEY] == "x" * 150

    def test_post_without_csrf_token_is_refused(self, engine):
        """403 with an explanation; the name is not stored."""
        client = Client(enforce_csrf_checks=True)
        response = client.post(LOGIN, {"username": "Mallory"})
        assert response.status_code == 403
        assert "CSRF" in parse(response).text("message")
        assert USERNAME_KEY not in client.session

    def test_login_cycles_the_key(self, client, engine):
        """Fixation defence: the key before login no longer names the session."""
        client.get("/ssession")
        key_before = session_cookie(client).value
        client.post(LOGIN, {"username": "Ada"})
        assert session_cookie(client).value != key_before
        assert client.session["sname"] == "irfan"  # data kept


class TestLogout:
    def test_logout_flushes_the_session(self, client, server_engine):
        """The cookie is deleted and the old key no longer loads from the store."""
        client.post(LOGIN, {"username": "Ada"})
        old_key = session_cookie(client).value
        store = client.session.__class__
        assert store().exists(old_key)

        response = client.post(LOGOUT)
        assert response.status_code == 302
        assert response["Location"] == "/login/"
        deleted = response.cookies[settings.SESSION_COOKIE_NAME]
        assert deleted.value == ""
        assert deleted["max-age"] == 0
        assert not store().exists(old_key)
        assert USERNAME_KEY not in store(old_key).load()
        assert parse(client.get(HOME)).text("welcome") == "Welcome, Guest!"

    def test_logout_with_signed_cookies_deletes_the_cookie(self, client, use_settings):
        use_settings("cookies")
        client.post(LOGIN, {"username": "Ada"})
        response = client.post(LOGOUT)
        assert response.cookies[settings.SESSION_COOKIE_NAME].value == ""
        assert parse(client.get(HOME)).text("welcome") == "Welcome, Guest!"

    def test_get_changes_nothing_and_says_why(self, client, engine):
        client.post(LOGIN, {"username": "Ada"})
        key = session_cookie(client).value
        response = client.get(LOGOUT)
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert "POST" in parse(response).text("message")
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        assert session_cookie(client).value == key
        assert client.session[USERNAME_KEY] == "Ada"

    def test_logout_without_csrf_token_is_refused(self, engine):
        client = Client(enforce_csrf_checks=True)
        session = client.session
        session[USERNAME_KEY] = "Ada"
        session.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
        assert client.post(LOGOUT).status_code == 403
        assert client.session[USERNAME_KEY] == "Ada"

    def test_flush_sets_the_key_to_none(self, engine):
        """The view's flush() leaves no key at all: not a new one."""
        store = import_module(settings.SESSION_ENGINE).SessionStore
        session = store()
        session[USERNAME_KEY] = "Ada"
        session.save()
        request = RequestFactory().post(LOGOUT)
        request.session = session
        views.logout(request)
        assert request.session.session_key is None
        assert request.session.is_empty()

    def test_no_new_cookie_until_something_is_stored(self, client, engine):
        """After logout, /login/ only reads: no key is made, no cookie set,
        and it says no name is stored. The next login makes a new key."""
        client.post(LOGIN, {"username": "Ada"})
        old_key = session_cookie(client).value
        assert session_cookie(client.post(LOGOUT)).value == ""
        # A browser drops a cookie sent with Max-Age=0; the test client keeps
        # it, empty, so drop it here as the browser would.
        del client.cookies[settings.SESSION_COOKIE_NAME]
        response = client.get("/login/")
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        assert parse(response).text("login-state") == (
            "Your session holds no name: you are not logged in."
        )
        client.post(LOGIN, {"username": "Bea"})
        assert session_cookie(client).value not in ("", old_key)


class TestSameSite:
    def test_the_session_cookie_is_samesite_lax(self, client, engine):
        """The default the logout explanation rests on."""
        response = client.post(LOGIN, {"username": "Ada"})
        assert response.cookies[settings.SESSION_COOKIE_NAME]["samesite"] == "Lax"

    def test_the_405_page_names_top_level_navigation_not_an_image(self, client, db):
        """Under Lax an <img> carries no session cookie; a link or redirect does."""
        text = parse(client.get(LOGOUT)).text()
        assert "<img" not in text
        assert "top-level navigation" in text
        assert "SameSite=Lax" in text


class TestLandsOnTheDemo:
    def test_result_pages_link_back_to_the_demo(self, client, db):
        """/login/, /home/ and the 405 page each lead back to the lesson's #demo."""
        for url in (LOGIN, HOME, LOGOUT):
            page = parse(client.get(url))
            assert page.by_id("back-to-demo")["href"] == DEMO

    def test_the_lesson_page_says_what_is_stored(self, client, engine):
        page = parse(client.get(PAGE))
        assert page.text("login-form-state") == "Your session holds no name now."
        client.post(LOGIN, {"username": "Ada"})
        page = parse(client.get(PAGE))
        assert page.text("login-form-state") == "Your session holds the name Ada ."

    def test_login_page_says_which_name_is_stored(self, client, db):
        client.post(LOGIN, {"username": "Ada"})
        assert "holds the name Ada" in parse(client.get(LOGIN)).text("login-state")


@pytest.mark.browser
class TestLaxInABrowser:
    """In Chromium: 127.0.0.1 and localhost are two sites. An image on the
    other site reaches /home/ without the session cookie; a link the user
    follows from there is a top-level navigation and carries it."""

    def test_an_image_carries_no_cookie_a_followed_link_does(self):
        from tests.browser import chromium, live_site

        with live_site() as site, chromium() as browser:
            context = browser.new_context()
            page = context.new_page()
            page.goto(site + LOGIN)
            page.fill("#id_username", "Ada")
            page.click("form button[type=submit]")
            page.wait_for_url(site + HOME)
            assert page.locator("#welcome").inner_text() == "Welcome, Ada!"

            def image_cookie(target):
                add_image = "url => { const i = new Image(); i.src = url; }"
                with page.expect_request(target) as request:
                    page.evaluate(add_image, target)
                return request.value.all_headers().get("cookie", "")

            # The same site's image carries it: the check below can fail.
            assert "sessionid=" in image_cookie(site + HOME + "?same-site")
            other = site.replace("127.0.0.1", "localhost")
            page.goto(other + LOGIN)
            assert "sessionid=" not in image_cookie(site + HOME + "?cross-site")

            add_link = (
                "url => { const a = document.createElement('a'); a.href = url;"
                " a.id = 'cross-site-link'; a.textContent = 'home';"
                " document.body.append(a); }"
            )
            page.evaluate(add_link, site + HOME)
            page.click("#cross-site-link")
            page.wait_for_url(site + HOME)
            assert page.locator("#welcome").inner_text() == "Welcome, Ada!"
            context.close()
