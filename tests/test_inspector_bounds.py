"""myapp/inspector.py: a signed cookie nobody has verified is expanded only to a
small fixed bound, and the inspector says where it stopped."""

import base64
import zlib

import pytest
from django.conf import settings
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.urls import reverse

from myapp.inspector import readable_payload, show
from tests.html import parse

PAGE = reverse("myapp:visit-counter")
# What the inspector promises to expand at most, stated here independently.
LIMIT = 8192
# Six million bytes of JSON that zlib packs into a few kilobytes.
BOMB = b'{"a": "' + b"x" * 6_000_000 + b'"}'


def forged_cookie(data):
    """A cookie shaped like the engine's: '.'-prefixed base64 of zlib, then a
    timestamp and a signature, here made up (nobody's key signed it)."""
    payload = base64.urlsafe_b64encode(zlib.compress(data, 9)).rstrip(b"=")
    return "." + payload.decode() + ":1tXyZa:" + "A" * 43


@pytest.fixture
def cookies_engine(use_settings, db):
    use_settings("cookies")


def test_the_forged_cookie_is_small_and_would_expand_to_megabytes():
    """The attack as the issue measured it: under 8 KB sent, 6 MB inside."""
    cookie = forged_cookie(BOMB)
    assert len(cookie) < 8000
    payload = cookie[1:].split(":")[0]
    inflated = zlib.decompress(base64.urlsafe_b64decode(payload + "=" * 3))
    assert len(inflated) == 6_000_009


def test_a_forged_compressed_cookie_leaves_the_page_small(client, cookies_engine):
    """The page grows by the cookie shown and the bound, not by 6 MB."""
    plain = client.get(PAGE)
    client.cookies[settings.SESSION_COOKIE_NAME] = forged_cookie(BOMB)
    response = client.get(PAGE)
    assert response.status_code == 200
    # The raw cookie (under 8 KB) and at most LIMIT expanded bytes, with room
    # for HTML around them: far below the 6 MB an unbounded inflate gives.
    assert len(response.content) < len(plain.content) + 8000 + LIMIT + 4000


def test_the_inspector_says_where_it_stopped(client, cookies_engine):
    client.cookies[settings.SESSION_COOKIE_NAME] = forged_cookie(BOMB)
    page = parse(client.get(PAGE))
    assert page.text("inspector-stopped") == (
        "Stopped after 8,192 bytes: the signature is not checked here, so the "
        "inspector expands no more of what anyone could have sent."
    )
    # The decoded payload is the code just before the note.
    decoded = page.by_id("inspector-stopped").find_previous("code").get_text()
    assert decoded == '{"a": "' + "x" * (LIMIT - len('{"a": "'))


def test_a_real_session_cookie_is_shown_whole_without_a_note(client, cookies_engine):
    """The bound does not cut what the engine itself writes: 3,000 repeated
    characters compress, so the cookie is stored compressed, and show whole."""
    session = SessionStore()
    session["note"] = "y" * 3000
    session.save()
    assert session.session_key.startswith(".")  # compressed
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    page = parse(client.get(PAGE))
    assert not page.has_id("inspector-stopped")
    assert '"note":"' + "y" * 3000 + '"' in page.text("inspector-stored")


def test_readable_payload_stops_at_the_bound_and_says_so():
    """The text other pages show carries the note too."""
    text = readable_payload(forged_cookie(BOMB))
    shown, note = text.split(" … (")
    assert len(shown) == LIMIT
    assert note.startswith("Stopped after 8,192 bytes")


def test_a_payload_at_the_bound_is_shown_whole():
    data = b'"' + b"z" * (LIMIT - 2) + b'"'
    assert readable_payload(forged_cookie(data)) == data.decode()


class TestShow:
    def test_int_and_str_keys_side_by_side_are_shown_as_json(self):
        """They cannot be sorted, but Django's JSON serializer stores them."""
        assert show({1: "a", "b": 2}) == '{"1": "a", "b": 2}'
        assert show({"b": 2, "a": 1}) == '{"a": 1, "b": 2}'

    def test_what_json_refuses_is_named_so(self):
        assert show({("a", 1): "tuple key"}).endswith(
            "(not JSON-serializable: saving fails on every engine but cache)"
        )
