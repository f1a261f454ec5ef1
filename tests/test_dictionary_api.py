"""Lesson 4: each mapping method, run on the real session, with its result."""

from importlib import import_module
from importlib.metadata import version

import django
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from myapp.lessons.dictionary_api import KEY_PREFIX, MAX_KEYS
from myapp.progress import PROGRESS_KEY
from tests.html import parse
from tests.sessions import stored

PAGE = reverse("myapp:dictionary-api")
RUN = reverse("myapp:dictionary-api-run")
NAME = settings.SESSION_COOKIE_NAME


def run(client, operation, key="", value=""):
    """POST one operation; return the response and its parsed page."""
    response = client.post(RUN, {"operation": operation, "key": key, "value": value})
    assert response.status_code == 200
    return response, parse(response)


def store(client, **values):
    """Put play_ keys straight into the client's session (kept in a variable,
    saved, and the cookie updated for signed_cookies, whose key is the data)."""
    session = client.session
    for key, value in values.items():
        session[KEY_PREFIX + key] = value
    session.save()
    client.cookies[NAME] = session.session_key


class TestReading:
    def test_square_brackets_return_the_value(self, client, engine):
        """s[key] returns the stored value and does not mark the session modified."""
        store(client, colour="blue")
        _, page = run(client, "getitem", "colour")
        assert page.text("playground-code") == "request.session['play_colour']"
        assert page.text("playground-returned") == "'blue'"
        assert page.text("playground-modified") == "False"

    def test_square_brackets_on_a_missing_key_report_key_error(self, client, engine):
        """No 500: the KeyError is shown, nothing is saved."""
        client.get(PAGE)
        before = stored(client)
        response, page = run(client, "getitem", "missing")
        assert page.text("playground-error").startswith("KeyError: 'play_missing'")
        assert NAME not in response.cookies
        assert stored(client) == before

    def test_get_returns_none_or_the_default(self, client, engine):
        """get() of a missing key returns None, or the default; it stores nothing."""
        client.get(PAGE)
        _, page = run(client, "get", "missing")
        assert page.text("playground-code") == "request.session.get('play_missing')"
        assert page.text("playground-returned") == "None"
        _, page = run(client, "get", "missing", "red")
        assert page.text("playground-returned") == "'red'"
        assert "play_missing" not in stored(client)

    def test_in_answers_true_or_false(self, client, engine):
        """`in` tells a stored key from a missing one."""
        store(client, colour="blue")
        assert (
            run(client, "contains", "colour")[1].text("playground-returned") == "True"
        )
        assert run(client, "contains", "size")[1].text("playground-returned") == "False"

    def test_keys_values_items_show_the_whole_session(self, client, engine):
        """The views show every key, the course's progress included: the
        demo's own write starts the session, and the course records it there
        (a first page view alone stores nothing)."""
        client.get(PAGE)
        run(client, "setitem", "colour", "blue")
        keys = run(client, "keys")[1].text("playground-returned")
        assert keys.startswith("dict_keys(")
        assert "'play_colour'" in keys
        assert f"'{PROGRESS_KEY}'" in keys
        assert "'blue'" in run(client, "values")[1].text("playground-returned")
        items = run(client, "items")[1].text("playground-returned")
        assert "('play_colour', 'blue')" in items


class TestWriting:
    def test_set_stores_a_string_kept_across_requests(self, client, engine):
        """s[key] = value marks the session modified; the next request finds it."""
        _, page = run(client, "setitem", "colour", "blue")
        assert page.text("playground-code") == "request.session['play_colour'] = 'blue'"
        assert page.text("playground-returned") == "nothing: a statement"
        assert page.text("playground-modified") == "True"
        assert stored(client)["play_colour"] == "blue"
        items = parse(client.get(PAGE)).inspector_items()
        assert items["play_colour"] == '"blue"'

    def test_numbers_are_stored_as_strings(self, client, engine):
        """A form field is text: "3" is stored as the string "3"."""
        run(client, "setitem", "count", "3")
        assert stored(client)["play_count"] == "3"

    def test_del_removes_the_key(self, client, engine):
        """del removes that key and leaves the others."""
        store(client, colour="blue", size="L")
        run(client, "delitem", "colour")
        assert stored(client) == {"play_size": "L", **progress_of(client)}

    def test_del_of_a_missing_key_changes_nothing(self, client, engine):
        """KeyError, shown on the page; no save, no Set-Cookie."""
        store(client, size="L")
        before = stored(client)
        response, page = run(client, "delitem", "colour")
        assert page.text("playground-error").startswith("KeyError")
        assert NAME not in response.cookies
        assert stored(client) == before

    def test_pop_returns_and_removes(self, client, engine):
        """pop() returns the value and the key is gone from the store."""
        store(client, colour="blue")
        _, page = run(client, "pop", "colour")
        assert page.text("playground-returned") == "'blue'"
        assert "play_colour" not in stored(client)

    def test_pop_of_a_missing_key_needs_a_default(self, client, engine):
        """Without a default, KeyError; with one, the default, and no save."""
        store(client, size="L")
        before = stored(client)
        _, page = run(client, "pop", "colour")
        assert page.text("playground-error").startswith("KeyError")
        response, page = run(client, "pop", "colour", "none")
        assert page.text("playground-returned") == "'none'"
        assert page.text("playground-modified") == "False"
        assert NAME not in response.cookies
        assert stored(client) == before

    def test_setdefault_keeps_an_existing_value(self, client, engine):
        """setdefault() returns what is there unsaved; it stores only a new key."""
        store(client, colour="blue")
        response, page = run(client, "setdefault", "colour", "red")
        assert page.text("playground-returned") == "'blue'"
        assert page.text("playground-modified") == "False"
        assert NAME not in response.cookies
        _, page = run(client, "setdefault", "size", "L")
        assert page.text("playground-returned") == "'L'"
        assert stored(client)["play_colour"] == "blue"
        assert stored(client)["play_size"] == "L"

    def test_update_stores_the_pair(self, client, engine):
        """update() with one pair stores it."""
        _, page = run(client, "update", "colour", "blue")
        assert page.text("playground-code") == (
            "request.session.update({'play_colour': 'blue'})"
        )
        assert stored(client)["play_colour"] == "blue"


def progress_of(client):
    """The course_progress entry, which the course itself keeps beside yours."""
    session = stored(client)
    return {PROGRESS_KEY: session[PROGRESS_KEY]} if PROGRESS_KEY in session else {}


class TestClearAndFlush:
    def test_clear_empties_everything_and_keeps_the_key(self, client, server_engine):
        """Progress goes too; the course then records only this demo as done."""
        client.get(PAGE)
        store(client, colour="blue")
        key = client.cookies[NAME].value
        _, page = run(client, "clear")
        assert page.text("playground-after") == "{}"
        assert page.text("playground-is-empty") == "False"
        assert page.text("playground-bool") == "True"
        assert client.cookies[NAME].value == key
        assert stored(client) == {
            PROGRESS_KEY: {"opened": [], "done": ["dictionary-api"]}
        }

    def test_flush_deletes_the_data_the_record_and_the_cookie(
        self, client, server_engine
    ):
        """flush(): key None, the stored record gone, the cookie deleted."""
        store(client, colour="blue")
        key = client.cookies[NAME].value
        store_class = client.session.__class__
        response, page = run(client, "flush")
        assert page.text("playground-key") == "None"
        assert page.text("playground-is-empty") == "True"
        assert response.cookies[NAME].value == ""
        assert not store_class().exists(key)
        # The inspector says why a modified session is not saved.
        assert page.text("inspector-modified") == (
            "True: but empty, so not saved"
            " (a session cookie the browser sent is deleted)"
        )

    def test_flush_with_signed_cookies_deletes_the_cookie(
        self, client, use_settings, db
    ):
        """With the data in the cookie, deleting the cookie is the flush."""
        use_settings("cookies")
        store(client, colour="blue")
        response, _ = run(client, "flush")
        assert response.cookies[NAME].value == ""
        assert "play_colour" not in client.session

    def test_bool_of_an_empty_session_depends_on_the_version(self, client, engine):
        """6.1's SessionBase.__bool__ makes a flushed session falsy; on 5.2 it
        stays truthy. is_empty() says True on both."""
        store(client, colour="blue")
        _, page = run(client, "flush")
        assert page.text("playground-is-empty") == "True"
        expected = "False" if django.VERSION >= (6, 1) else "True"
        assert page.text("playground-bool") == expected

    def test_bool_and_is_empty_of_a_session_with_data(self, client, engine):
        """A session holding data is not empty and is truthy on both versions."""
        store(client, colour="blue")
        assert run(client, "is_empty")[1].text("playground-returned") == "False"
        assert run(client, "bool")[1].text("playground-returned") == "True"


class TestBadInput:
    @pytest.mark.parametrize(
        ("operation", "key", "value"),
        [
            ("eval", "colour", "blue"),
            ("", "colour", "blue"),
            ("setitem", "_auth_user_id", "1"),
            ("setitem", "_x", "1"),
            ("setitem", "two words", "1"),
            ("setitem", "semi;colon", "1"),
            ("setitem", "k" * 51, "1"),
            ("setitem", "colour", "v" * 201),
            ("setitem", "colour", ""),
            ("setitem", "colour", "   "),
            ("setitem", "", "blue"),
            ("getitem", "", ""),
            ("delitem", "", ""),
            ("setdefault", "colour", ""),
            ("update", "", "blue"),
            ("setitem", "colour", "nul\x00byte"),
        ],
    )
    def test_is_refused_and_changes_nothing(
        self, client, engine, operation, key, value
    ):
        """A form error, no result, no Set-Cookie: the stored session is as it was."""
        store(client, colour="blue")
        before = stored(client)
        response = client.post(
            RUN, {"operation": operation, "key": key, "value": value}
        )
        assert response.status_code == 200
        page = parse(response)
        assert page.field_errors()
        assert not page.has_id("playground-result")
        assert NAME not in response.cookies
        assert stored(client) == before

    def test_at_most_50_keys(self, client, engine):
        """A 51st playground key is refused; replacing one of the 50 is not."""
        store(client, **{f"k{n}": "v" for n in range(MAX_KEYS)})
        before = stored(client)
        response, page = run(client, "setitem", "one_more", "v")
        assert f"holds {MAX_KEYS} keys already" in " ".join(page.field_errors())
        assert NAME not in response.cookies
        assert stored(client) == before
        # Replacing a key already there is still allowed.
        run(client, "setitem", "k0", "w")
        assert stored(client)["play_k0"] == "w"

    def test_50_character_key_and_200_character_value_are_accepted(
        self, client, engine
    ):
        """The limits themselves are allowed."""
        run(client, "setitem", "k" * 50, "v" * 200)
        assert stored(client)[KEY_PREFIX + "k" * 50] == "v" * 200

    def test_post_without_csrf_token_is_refused(self, engine):
        """403, and even clear() did not run."""
        client = Client(enforce_csrf_checks=True)
        store(client, colour="blue")
        before = stored(client)
        response = client.post(RUN, {"operation": "clear"})
        assert response.status_code == 403
        assert stored(client) == before

    def test_get_is_not_allowed(self, client, db):
        """Running a method changes state: POST only; a GET clears nothing."""
        store(client, colour="blue")
        before = stored(client)
        response = client.get(RUN, {"operation": "clear"})
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert stored(client) == before


class TestNotADict:
    """What the page says a session lacks, checked on the running engine."""

    def test_len_raises_type_error(self, engine):
        """No __len__: len() of a session is a TypeError."""
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session["play_colour"] = "blue"
        with pytest.raises(TypeError):
            len(session)

    def test_iterating_raises_key_error_0(self, engine):
        """No __iter__: Python falls back to session[0], which is not a key."""
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session["play_colour"] = "blue"
        with pytest.raises(KeyError) as raised:
            list(session)
        assert raised.value.args == (0,)
        assert list(session.keys()) == ["play_colour"]

    def test_is_empty_needs_no_key_and_no_data(self, engine):
        """A new session is empty; data makes it non-empty before any key exists."""
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        assert session.is_empty()
        session["play_colour"] = "blue"
        assert session.session_key is None
        assert not session.is_empty()


class TestPage:
    def test_every_operation_is_offered(self, client, db):
        """The select offers every operation, in the table's order, each
        labelled with the line of Python it runs."""
        page = parse(client.get(PAGE))
        offered = [
            (option["value"], option.get_text())
            for option in page.select("#id_operation option")
        ]
        assert offered == [
            ("getitem", "request.session[key]"),
            ("get", "request.session.get(key[, default])"),
            ("setitem", "request.session[key] = value"),
            ("delitem", "del request.session[key]"),
            ("contains", "key in request.session"),
            ("pop", "request.session.pop(key[, default])"),
            ("setdefault", "request.session.setdefault(key, value)"),
            ("update", "request.session.update({key: value})"),
            ("keys", "request.session.keys()"),
            ("values", "request.session.values()"),
            ("items", "request.session.items()"),
            ("clear", "request.session.clear()"),
            ("flush", "request.session.flush()"),
            ("is_empty", "request.session.is_empty()"),
            ("bool", "bool(request.session)"),
        ]

    def test_the_page_names_the_running_django(self, client, db):
        """The version the bool() answer refers to is the installed one."""
        page = parse(client.get(PAGE))
        assert page.text("django-version") == version("django")

    def test_the_form_posts_to_the_demo_with_the_result_on_top(self, client, engine):
        """The form lands on #demo, and the result comes before the form, so
        the answer is the first thing under "Try it"."""
        page = parse(client.get(PAGE))
        assert page.by_id("playground-form")["action"] == RUN + "#demo"
        _, page = run(client, "keys")
        demo = page.by_id("demo")
        assert demo.find(id="playground-result") is not None
        ids = [tag["id"] for tag in demo.find_all(id=True)]
        assert ids.index("playground-result") < ids.index("playground-form")

    def test_the_key_is_shown_shortened(self, client, engine):
        """The result shows 8 characters of session_key; the page never the whole."""
        store(client, colour="blue")
        key = client.cookies[NAME].value
        response, page = run(client, "is_empty")
        assert page.text("playground-key") == f"{key[:8]}…"
        assert key not in response.content.decode()
