"""Lesson 1: the Cookie header comes back, the cookie carries only the key."""

import zlib
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.core import signing
from django.test import Client
from django.urls import reverse

from myapp.lessons.what_is_a_session import WORD_KEY
from tests.html import parse
from tests.sessions import stored

PAGE = reverse("myapp:what-is-a-session")
REMEMBER = reverse("myapp:what-is-a-session-remember")
FORGET = reverse("myapp:what-is-a-session-forget")
NAME = settings.SESSION_COOKIE_NAME


def session_cookie(client):
    return client.cookies[NAME].value


def assert_key_not_in_page(response, key):
    """Nowhere in the HTML, the inspector and the headers box included: the
    page must not hand page script the cookie that HttpOnly hides from it."""
    assert key
    assert key not in response.content.decode()


def open_twice(client):
    """A new visitor's first two views of the page; return the second response.

    The first stores nothing and sets only the CSRF cookie. The second brings
    it back, so the course records the page: that saves the session.
    """
    client.get(PAGE)
    return client.get(PAGE)


class TestCookieHeader:
    def test_a_new_visitor_sends_no_cookie_and_gets_no_session(self, client, engine):
        """The first request has no Cookie header. Viewing the page stores
        nothing for a stranger, so the response sets no session cookie: only
        csrftoken, which the page's forms need. The page says so."""
        response = client.get(PAGE)
        text = parse(response).text("cookie-header")
        assert "No Cookie header" in text
        assert "Viewing a page stores nothing for a stranger" in text
        assert NAME not in response.cookies
        assert settings.CSRF_COOKIE_NAME in response.cookies

    def test_the_second_visit_starts_the_session(self, client, engine):
        """The second request brings back csrftoken, the sign that the browser
        keeps cookies: the course records the page, the session is saved and
        its cookie set, and the page does not print the key it has just made."""
        client.get(PAGE)
        response = client.get(PAGE)
        assert settings.CSRF_COOKIE_NAME in parse(response).text("cookie-header")
        assert NAME in response.cookies
        assert_key_not_in_page(response, response.cookies[NAME].value)

    def test_the_key_comes_back_shortened(self, client, engine):
        """The next request brings the session cookie; the lesson shows 8
        characters of it and its length, and the whole value nowhere."""
        open_twice(client)
        key = session_cookie(client)
        response = client.get(PAGE)
        page = parse(response)
        assert f"{NAME}={key[:8]}…" in page.text("cookie-header")
        (row,) = page.select("#cookie-table tr.session-cookie")
        assert f"({len(key)} characters)" in row.get_text(" ", strip=True)
        assert_key_not_in_page(response, key)

    def test_other_cookies_are_shown_as_received(self, client, db):
        """Only the session cookie is shortened: the others are not credentials."""
        client.cookies["flavour"] = "oatmeal"
        page = parse(client.get(PAGE))
        assert "flavour=oatmeal" in page.text("cookie-header")

    def test_the_csrf_cookie_row_says_it_is_not_the_session(self, client, db):
        """The first page sets csrftoken; where it first shows up in the Cookie
        table, alone, its row says it is the CSRF cookie, not the session. The
        session cookie joins it from the third request on."""
        first = client.get(PAGE)
        assert "csrftoken" in first.cookies
        assert "csrftoken" in parse(first).text("cookie-header")  # the no-cookie note
        second = parse(client.get(PAGE))
        (row,) = second.select("#cookie-table tr.csrf-cookie")
        assert row.th.get_text(strip=True) == "csrftoken"
        assert "Not the session: the CSRF cookie" in row.get_text(" ")
        assert not second.select("#cookie-table tr.session-cookie")
        third = parse(client.get(PAGE))
        (session_row,) = third.select("#cookie-table tr.session-cookie")
        assert session_row.th.get_text(strip=True) == "sessionid"


class TestSetCookie:
    def test_a_page_that_changes_nothing_sends_no_session_cookie(self, client, engine):
        """The third visit changes nothing (the second was recorded): no
        sessionid in the response, but the page's forms still renew the CSRF
        cookie, so Set-Cookie is there."""
        open_twice(client)
        response = client.get(PAGE)
        assert NAME not in response.cookies
        assert "csrftoken" in response.cookies
        headers = parse(response).text("response-headers")
        assert "Set-Cookie csrftoken=" in headers
        assert f"{NAME}=" not in headers

    def test_a_session_lasts_two_weeks_by_default(self, client, use_settings, db):
        """The cookie gets Max-Age 1209600 (two weeks): it outlives the browser."""
        use_settings("db")
        response = client.post(REMEMBER, {"word": "teapot"})
        assert response.cookies[NAME]["max-age"] == 1209600
        assert response.cookies[NAME]["expires"]

    def test_without_secure_the_session_works_over_https(self, client, db):
        """Secure is off by default, and an HTTPS request still gets the cookie
        and is recognised by it on the next HTTPS request."""
        assert settings.SESSION_COOKIE_SECURE is False
        response = client.post(REMEMBER, {"word": "teapot"}, secure=True)
        assert response.cookies[NAME].value
        assert not response.cookies[NAME]["secure"]
        page = parse(client.get(PAGE, secure=True))
        assert page.text("remembered") == "The server remembers: teapot"


class TestRemember:
    def test_the_response_that_stores_sets_the_cookie(self, client, engine):
        """The POST answers 200 with the page, whose headers box shows its own
        Set-Cookie; the next GET brings the cookie back and finds the word."""
        client.get(PAGE)
        response = client.post(REMEMBER, {"word": "  teapot  "})
        assert response.status_code == 200
        assert NAME in response.cookies
        key = response.cookies[NAME].value
        headers = parse(response).text("response-headers")
        assert f"Set-Cookie {NAME}={key[:8]}…" in headers
        assert_key_not_in_page(response, key)

        response = client.get(PAGE)
        page = parse(response)
        assert page.inspector_items()[WORD_KEY] == '"teapot"'
        assert page.text("remembered") == "The server remembers: teapot"
        assert f"{NAME}={key[:8]}…" in page.text("cookie-header")
        assert_key_not_in_page(response, key)

    def test_a_server_side_cookie_carries_only_the_key(self, client, server_engine):
        """Whatever is stored, the cookie is a 32-character key of a-z and 0-9,
        and the word is found in the store under that key."""
        client.post(REMEMBER, {"word": "x" * 30})
        key = session_cookie(client)
        assert len(key) == 32
        assert set(key) <= set(VALID_KEY_CHARS)
        store = import_module(settings.SESSION_ENGINE).SessionStore
        assert store(session_key=key).load()[WORD_KEY] == "x" * 30

    def test_a_signed_cookie_carries_the_data(self, client, use_settings, db):
        """With signed_cookies the cookie is the data: it grows with it, it
        decodes without any server-side lookup, and it is not encrypted:
        base64 alone, without SECRET_KEY, reads the word."""
        use_settings("cookies")
        client.post(REMEMBER, {"word": "a"})
        short = session_cookie(client)
        word = "q7w3e9r1t5y8u2i6o4p0zxcvbnmlkj"  # 30 characters that do not compress
        client.post(REMEMBER, {"word": word})
        long = session_cookie(client)
        assert len(long) > len(short)
        salt = "django.contrib.sessions.backends.signed_cookies"
        assert signing.loads(long, salt=salt)[WORD_KEY] == word
        payload = long.split(":")[0]
        data = signing.b64_decode(payload.removeprefix(".").encode())
        if payload.startswith("."):  # compressed, when that made it shorter
            data = zlib.decompress(data)
        assert word in data.decode()

    @pytest.mark.parametrize(
        "word", ["", "   ", "y" * 31], ids=["empty", "spaces", "31-chars"]
    )
    def test_bad_words_are_refused_and_change_nothing(self, client, engine, word):
        """A form error, no save, no Set-Cookie: the stored session is as it was."""
        client.post(REMEMBER, {"word": "before"})
        before = stored(client)
        response = client.post(REMEMBER, {"word": word})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert NAME not in response.cookies  # nothing was saved
        assert stored(client) == before

    def test_post_without_csrf_token_is_refused(self, engine):
        """403 from CsrfViewMiddleware, and the session is untouched."""
        client = Client(enforce_csrf_checks=True)
        open_twice(client)
        before = stored(client)
        assert client.post(REMEMBER, {"word": "mallory"}).status_code == 403
        assert stored(client) == before

    def test_get_is_not_allowed(self, client, db):
        """Storing changes state: POST only; a GET stores no word."""
        open_twice(client)
        before = stored(client)
        response = client.get(REMEMBER, {"word": "mallory"})
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert NAME not in response.cookies
        assert stored(client) == before
        assert WORD_KEY not in before


class TestLandsOnTheDemo:
    def test_every_form_and_the_reload_link_come_back_to_the_demo(self, client, db):
        """Remember, forget and "open this page again" all land on #demo."""
        page = parse(client.get(PAGE))
        actions = [form["action"] for form in page.select("#demo form")]
        assert actions == [REMEMBER + "#demo", FORGET + "#demo"]
        assert page.by_id("reload-link")["href"] == PAGE + "#demo"

    def test_the_answer_to_a_post_is_the_page_with_its_demo(self, client, db):
        """The POST answers with the page itself, so #demo exists where it lands."""
        page = parse(client.post(REMEMBER, {"word": "teapot"}))
        assert page.has_id("demo")
        assert "Stored." in page.text("demo-message")


class TestForget:
    def test_forgetting_saves_and_resends_the_cookie(self, client, engine):
        """pop() of a stored key marks the session modified: saved, cookie resent."""
        client.post(REMEMBER, {"word": "teapot"})
        response = client.post(FORGET)
        assert response.status_code == 200
        assert NAME in response.cookies
        assert WORD_KEY not in stored(client)
        assert parse(client.get(PAGE)).text("remembered") == "Nothing remembered yet."

    def test_forgetting_nothing_sends_no_cookie(self, client, engine):
        """pop() of a missing key does not mark the session modified."""
        open_twice(client)
        before = stored(client)
        response = client.post(FORGET)
        assert NAME not in response.cookies
        assert stored(client) == before
