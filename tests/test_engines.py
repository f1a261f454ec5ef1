"""The contract every engine settings file keeps, run under each of them."""

import pytest
from django.conf import settings
from django.test import Client

from tests.html import parse

GARBAGE_COOKIES = [
    "garbage",
    "x" * 40,
    "../../etc/passwd",
    "!!!not-a-key!!!",
    "a" * 4000,
    "eyJzbmFtZSI6ImV2ZSJ9:1tAbCd:forgedsignatureforgedsignature",
]


def session_cookie(client):
    return client.cookies.get(settings.SESSION_COOKIE_NAME)


class TestRoundTrip:
    def test_value_set_on_one_request_is_read_on_the_next(self, client, engine):
        client.get("/ssession")
        assert client.session["sname"] == "irfan"
        assert parse(client.get("/gsession")).text("student-name") == "irfan"

    def test_footer_names_the_running_engine(self, client, engine):
        page = parse(client.get("/"))
        expected = settings.SESSION_ENGINE.removeprefix(
            "django.contrib.sessions.backends."
        )
        assert page.text("footer-engine") == expected


class TestBadCookies:
    @pytest.mark.parametrize("cookie", GARBAGE_COOKIES)
    def test_garbage_cookie_gives_a_fresh_empty_session(self, engine, cookie):
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
        response = client.get("/gsession")
        assert response.status_code == 200
        assert "No session values yet" in parse(response).text("message")

    def test_garbage_key_is_never_adopted(self, engine):
        """Writing after a garbage cookie stores under a new key, not the forged one."""
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 40
        client.get("/ssession")
        assert session_cookie(client).value != "x" * 40
        assert parse(client.get("/gsession")).text("student-name") == "irfan"

    def test_tampered_cookie_gives_a_fresh_session(self, client, engine):
        """Change one character of a real cookie: the data is gone, not an error."""
        client.get("/ssession")
        real = session_cookie(client).value
        flipped = "A" if real[5] != "A" else "B"
        client.cookies[settings.SESSION_COOKIE_NAME] = real[:5] + flipped + real[6:]
        response = client.get("/gsession")
        assert response.status_code == 200
        assert "No session values yet" in parse(response).text("message")
