"""What every engine settings file keeps, through the test client, run under
each engine the project ships (tests/conftest.py's every_engine): Django's
five, lesson 19's, and the project's two for Redis; sync views through the
WSGI handler, async views through the ASGI handler."""

import json

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.html import parse

GARBAGE_COOKIES = [
    "garbage",
    "x" * 40,
    "../../etc/passwd",
    "!!!not-a-key!!!",
    "a" * 4000,
    "eyJzbmFtZSI6ImV2ZSJ9:1tAbCd:forgedsignatureforgedsignature",
]


# Lesson 21's async views: they write with aget()/aset() and read with
# akeys()/aitems(), through the ASGI handler.
ASYNC_ADD = reverse("myapp:async-views-add")
ASYNC_CYCLE = reverse("myapp:async-views-cycle")
ASYNC_FLUSH = reverse("myapp:async-views-flush")
ASYNC_SNAPSHOT = reverse("myapp:async-views-snapshot")

# What the footer calls the engine of each settings module: Django's by its
# short name, the others by their module path.
FOOTER_ENGINE = {
    "db": "db",
    "file": "file",
    "cache": "cache",
    "cached_db": "cached_db",
    "cookies": "signed_cookies",
    "active": "myapp.active_sessions",
    "redis": "myapp.session_backends.cache",
    "redis_cached_db": "myapp.session_backends.cached_db",
    "redis_direct": "myapp.session_backends.redis_direct",
}


def session_cookie(client):
    return client.cookies.get(settings.SESSION_COOKIE_NAME)


class TestRoundTrip:
    def test_value_set_on_one_request_is_read_on_the_next(self, client, every_engine):
        client.get("/ssession")
        assert client.session["sname"] == "irfan"
        assert parse(client.get("/gsession")).text("student-name") == "irfan"

    def test_footer_names_the_running_engine(self, client, every_engine):
        page = parse(client.get("/"))
        assert page.text("footer-engine") == FOOTER_ENGINE[every_engine]


class TestBadCookies:
    @pytest.mark.parametrize("cookie", GARBAGE_COOKIES)
    def test_garbage_cookie_gives_a_fresh_empty_session(self, every_engine, cookie):
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
        response = client.get("/gsession")
        assert response.status_code == 200
        assert "No session values yet" in parse(response).text("message")

    def test_garbage_key_is_never_adopted(self, every_engine):
        """Writing after a garbage cookie stores under a new key, not the forged one."""
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 40
        client.get("/ssession")
        assert session_cookie(client).value != "x" * 40
        assert parse(client.get("/gsession")).text("student-name") == "irfan"

    def test_tampered_cookie_gives_a_fresh_session(self, client, every_engine):
        """Change one character of a real cookie: the data is gone, not an error."""
        client.get("/ssession")
        real = session_cookie(client).value
        flipped = "A" if real[5] != "A" else "B"
        client.cookies[settings.SESSION_COOKIE_NAME] = real[:5] + flipped + real[6:]
        response = client.get("/gsession")
        assert response.status_code == 200
        assert "No session values yet" in parse(response).text("message")


class TestAsyncRoundTrip:
    """The same through the ASGI handler and the async session API."""

    def notes(self, async_client):
        """The notes an async view reads with aitems() on the next request."""
        response = async_to_sync(async_client.get)(ASYNC_SNAPSHOT)
        items = json.loads(parse(response).raw_text("snapshot-json"))["items"]
        return items.get("async_notes")

    def test_value_set_in_an_async_view_is_read_in_the_next(
        self, async_client, every_engine
    ):
        async_to_sync(async_client.post)(ASYNC_ADD, {"note": "tea"})
        assert self.notes(async_client) == ["tea"]

    def test_acycle_key_keeps_the_data(self, async_client, every_engine):
        async_to_sync(async_client.post)(ASYNC_ADD, {"note": "tea"})
        async_to_sync(async_client.post)(ASYNC_CYCLE)
        assert self.notes(async_client) == ["tea"]

    def test_acycle_key_sends_a_new_key(self, async_client, every_server_engine):
        """(A signed cookie's key is its data: the same data signs the same.)"""
        async_to_sync(async_client.post)(ASYNC_ADD, {"note": "tea"})
        old_key = session_cookie(async_client).value
        async_to_sync(async_client.post)(ASYNC_CYCLE)
        assert session_cookie(async_client).value not in ("", old_key)

    def test_aflush_deletes_the_cookie_and_the_data(self, async_client, every_engine):
        async_to_sync(async_client.post)(ASYNC_ADD, {"note": "tea"})
        response = async_to_sync(async_client.post)(ASYNC_FLUSH)
        assert response.cookies[settings.SESSION_COOKIE_NAME].value == ""
        assert self.notes(async_client) is None
