"""Lesson 5: seed 002's /login/, /home/ and /logout/."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from myapp.views import USERNAME_KEY
from tests.html import parse

LOGIN = reverse("myapp:login")
HOME = reverse("myapp:home")
LOGOUT = reverse("myapp:logout")


def session_cookie(client):
    return client.cookies.get(settings.SESSION_COOKIE_NAME)


class TestLogin:
    def test_urls_keep_the_seed_paths(self):
        assert (LOGIN, HOME, LOGOUT) == ("/login/", "/home/", "/logout/")

    def test_name_is_stored_and_shown_on_home(self, client, engine):
        response = client.post(LOGIN, {"username": "  Ada  "})
        assert response.status_code == 302
        assert response["Location"] == HOME
        assert client.session[USERNAME_KEY] == "Ada"  # stripped
        assert parse(client.get(HOME)).text("welcome") == "Welcome, Ada!"

    def test_home_without_a_name_greets_a_guest(self, client, engine):
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
        assert response["Location"] == LOGIN
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
