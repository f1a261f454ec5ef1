"""Lesson 12: what JSON changes, what it refuses, and when the error comes."""

import inspect
import os
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions import serializers
from django.contrib.sessions.middleware import SessionMiddleware
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.cache import caches
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import path, reverse
from django.utils import timezone

from myapp.lessons.serialization import FIXED_KEY, TRIED_KEY, read_back
from tests.html import parse

PAGE = reverse("myapp:serialization")
TRY = reverse("myapp:serialization-try")
FIX = reverse("myapp:serialization-fix")
FORGET = reverse("myapp:serialization-forget")

# Engines whose every read goes through SESSION_SERIALIZER (JSON); "active"
# is the course's own database engine (lesson 19).
JSON_ENGINES = ("db", "file", "cookies", "active")
# Engines whose save() calls the serializer, so a datetime fails there.
SERIALIZING_ENGINES = ("db", "file", "cached_db", "cookies", "active")
UNSERIALIZABLE = ("datetime", "decimal", "model", "set")


def remember_visit(request):
    request.session["when"] = timezone.now()  # fine here
    return HttpResponse("Visit noted.")  # fine here too


# What the view returned before SessionMiddleware saved the session.
RETURNED = []


def recorded(request):
    response = remember_visit(request)
    RETURNED.append(response.status_code)
    return response


# The URLconf of the one test that serves remember_visit.
urlpatterns = [path("remember/", recorded)]


def session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_cookie(client):
    return client.cookies.get(settings.SESSION_COOKIE_NAME)


class TestSerializerSetting:
    def test_json_is_the_serializer_and_pickle_is_gone(self):
        """Only JSON: signing.JSONSerializer; PickleSerializer was removed in 5.0."""
        assert settings.SESSION_SERIALIZER == (
            "django.contrib.sessions.serializers.JSONSerializer"
        )
        assert serializers.JSONSerializer is signing.JSONSerializer
        assert not hasattr(serializers, "PickleSerializer")

    def test_every_key_comes_back_a_string(self):
        """Int, float, True, False and None keys turn into JSON's strings."""
        serializer = serializers.JSONSerializer()
        data = {2: "int", True: "bool", False: "no", None: "none", 1.5: "float"}
        assert serializer.loads(serializer.dumps(data)) == {
            "2": "int",
            "true": "bool",
            "false": "no",
            "null": "none",
            "1.5": "float",
        }

    @pytest.mark.parametrize("key", [("a", 1), datetime(2026, 1, 1)])
    @pytest.mark.parametrize("engine_name", SERIALIZING_ENGINES)
    def test_a_key_of_any_other_type_fails_the_save(
        self, use_settings, db, engine_name, key
    ):
        """A tuple or a date key: json.dumps refuses it, so save() raises."""
        use_settings(engine_name)
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session["data"] = {key: "value"}
        with pytest.raises(TypeError, match="keys must be str"):
            session.save()


class TestRoundTrip:
    @pytest.mark.parametrize("engine_name", JSON_ENGINES)
    def test_int_keys_come_back_as_strings(self, client, use_settings, db, engine_name):
        """Int keys in the request that stores them, string keys on the next."""
        use_settings(engine_name)
        response = client.post(TRY, {"kind": "int-keys"})
        assert response.status_code == 302
        assert response["Location"] == PAGE + "#serialization-came-back"
        assert client.session[TRIED_KEY]["value"] == {"1": "one", "2": "two"}
        page = parse(client.get(PAGE))
        assert page.text("serialization-sent") == "{1: 'one', 2: 'two'}"
        assert page.text("serialization-read") == "{'1': 'one', '2': 'two'}"
        assert "It came back changed" in page.text("serialization-came-back")

    @pytest.mark.parametrize("engine_name", JSON_ENGINES)
    def test_looking_up_an_int_key_fails_on_the_next_request(
        self, client, use_settings, db, engine_name
    ):
        use_settings(engine_name)
        client.post(TRY, {"kind": "int-keys"})
        by_id = client.session[TRIED_KEY]["value"]
        with pytest.raises(KeyError):
            by_id[1]
        assert by_id["1"] == "one"

    @pytest.mark.parametrize("engine_name", JSON_ENGINES)
    def test_tuples_come_back_as_lists(self, client, use_settings, db, engine_name):
        use_settings(engine_name)
        client.post(TRY, {"kind": "tuple"})
        assert client.session[TRIED_KEY]["value"] == [1, 2]
        page = parse(client.get(PAGE))
        assert page.text("serialization-sent") == "(1, 2)"
        assert page.text("serialization-read") == "[1, 2]"

    def test_cache_engine_keeps_int_keys_and_tuples(self, client, use_settings, db):
        """The cache pickles the dictionary: no JSON, so nothing changes."""
        use_settings("cache")
        client.post(TRY, {"kind": "int-keys"})
        assert client.session[TRIED_KEY]["value"] == {1: "one", 2: "two"}
        client.post(TRY, {"kind": "tuple"})
        assert client.session[TRIED_KEY]["value"] == (1, 2)
        text = parse(client.get(PAGE)).text("serialization-came-back")
        assert "read it from the cache, which pickles" in text

    def test_cached_db_keeps_int_keys_until_the_cache_forgets(
        self, client, use_settings, db
    ):
        """Read from the cache: ints. After a cache miss, from the row: strings."""
        use_settings("cached_db")
        client.post(TRY, {"kind": "int-keys"})
        assert client.session[TRIED_KEY]["value"] == {1: "one", 2: "two"}
        caches["default"].clear()
        assert client.session[TRIED_KEY]["value"] == {"1": "one", "2": "two"}


class TestRefusedValues:
    @pytest.mark.parametrize("kind", UNSERIALIZABLE)
    def test_refused_with_a_message_and_the_session_unchanged(
        self, client, engine, kind
    ):
        client.get("/ssession")
        before = dict(client.session.items())
        response = client.post(TRY, {"kind": kind})
        assert response.status_code == 200
        page = parse(response)
        errors = " ".join(page.field_errors())
        assert "is not JSON serializable" in errors
        assert "Your session is unchanged" in errors
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        assert dict(client.session.items()) == before

    @pytest.mark.parametrize("engine_name", SERIALIZING_ENGINES)
    def test_says_this_engine_would_fail_too(
        self, client, use_settings, db, engine_name
    ):
        use_settings(engine_name)
        page = parse(client.post(TRY, {"kind": "datetime"}))
        text = page.text("serialization-refused")
        assert "fails the same way when it saves" in text
        assert "Object of type datetime is not JSON serializable" in text

    def test_says_the_cache_engine_would_have_saved_it(self, client, use_settings, db):
        use_settings("cache")
        text = parse(client.post(TRY, {"kind": "datetime"})).text(
            "serialization-refused"
        )
        assert "would have saved it anyway" in text

    def test_trying_leaves_no_row_behind(self, client, use_settings, db):
        use_settings("db")
        client.get("/ssession")
        rows = Session.objects.count()
        client.post(TRY, {"kind": "model"})
        assert Session.objects.count() == rows

    def test_trying_leaves_no_file_behind(self, client, use_settings, db):
        """A failed file save leaves an empty placeholder file: it is removed."""
        use_settings("file")
        client.get("/ssession")
        files = sorted(os.listdir(settings.SESSION_FILE_PATH))
        client.post(TRY, {"kind": "decimal"})
        assert sorted(os.listdir(settings.SESSION_FILE_PATH)) == files

    @pytest.mark.parametrize("kind", ["", "pickle", "<script>", "int-keys " * 20])
    def test_unknown_kinds_get_a_form_error(self, client, engine, kind):
        client.get("/ssession")
        before = dict(client.session.items())
        response = client.post(TRY, {"kind": kind})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert dict(client.session.items()) == before

    def test_try_is_post_only(self, client, engine):
        assert client.get(TRY).status_code == 405
        assert session_cookie(client) is None

    def test_post_without_csrf_token_is_refused(self, engine):
        client = Client(enforce_csrf_checks=True)
        assert client.post(TRY, {"kind": "tuple"}).status_code == 403
        assert TRIED_KEY not in client.session


class TestWhenItFails:
    @pytest.mark.parametrize("engine_name", SERIALIZING_ENGINES)
    def test_assigning_works_and_saving_fails(self, use_settings, db, engine_name):
        use_settings(engine_name)
        session = session_store()()
        session["when"] = timezone.now()  # no error here
        assert isinstance(session["when"], datetime)
        with pytest.raises(TypeError, match="not JSON serializable"):
            session.save()

    @pytest.mark.urls(__name__)
    def test_the_view_returns_and_the_save_after_it_is_a_500(self, use_settings, db):
        """The page's mistake: remember_visit returns its response, then
        SessionMiddleware's save raises TypeError, and the visitor gets a 500."""
        use_settings("db")
        RETURNED.clear()
        with pytest.raises(
            TypeError, match="Object of type datetime is not JSON serializable"
        ):
            Client().get("/remember/")
        assert RETURNED == [200]
        visitor = Client(raise_request_exception=False)
        assert visitor.get("/remember/").status_code == 500
        assert not Session.objects.exists()

    def test_the_mistake_on_the_page_is_the_view_tested_here(self, client, db):
        page = parse(client.get(PAGE))
        figure = page.by_id("explanation").find("figure", class_="mistake")
        code_lines = [
            line.strip()
            for line in figure.pre.get_text().splitlines()
            if not line.startswith("#")
        ]
        source = inspect.getsource(remember_visit)
        assert code_lines == [line.strip() for line in source.splitlines()]

    def test_the_error_the_mistake_shows_is_the_one_its_save_raises(
        self, client, use_settings, db
    ):
        """The figure's last line names the exception: the one SessionMiddleware
        raises when it saves remember_visit's session, word for word."""
        use_settings("db")
        figure = parse(client.get(PAGE)).by_id("explanation").find("figure")
        shown = figure.pre.get_text().splitlines()[-1]
        with pytest.raises(TypeError) as raised:
            SessionMiddleware(remember_visit)(RequestFactory().get("/remember/"))
        assert shown == f"# TypeError: {raised.value}"

    def test_cache_engine_saves_a_datetime(self, use_settings, db):
        """No serializer on the cache engine: the datetime is pickled and kept."""
        use_settings("cache")
        session = session_store()()
        moment = timezone.now()
        session["when"] = moment
        session.save()
        assert session_store()(session.session_key)["when"] == moment


class TestDemoLandsOnTheDemo:
    def test_every_demo_form_returns_to_the_demo(self, client, db):
        client.post(FIX)
        page = parse(client.get(PAGE))
        actions = [form["action"] for form in page.by_id("demo").find_all("form")]
        assert actions == [TRY + "#demo", FIX + "#demo", FORGET + "#demo"]

    def test_a_refused_value_is_shown_in_the_demo(self, client, db):
        page = parse(client.post(TRY, {"kind": "set"}))
        refused = page.by_id("serialization-refused")
        assert refused.find_parent(id="demo") is not None


class TestTheFix:
    def test_stores_strings_and_ids_and_reads_them_back(self, client, engine):
        response = client.post(FIX)
        assert response.status_code == 302
        assert response["Location"] == PAGE + "#serialization-fixed"
        stored = client.session[FIXED_KEY]
        content_type = ContentType.objects.get_for_model(Session)
        when = datetime.fromisoformat(stored["when"])
        assert abs(when - timezone.now()) < timedelta(minutes=1)
        assert stored["price"] == "9.99"
        assert stored["content_type_id"] == content_type.pk
        assert stored["by_id"] == {"1": "one", "2": "two"}
        back = read_back(stored)
        assert back["price"] == Decimal("9.99")
        assert back["when"] == when
        assert back["when"].tzinfo is not None
        assert back["content_type"] == content_type
        assert back["by_id"] == {1: "one", 2: "two"}
        text = parse(client.get(PAGE)).text("serialization-fixed")
        assert "9.99" in text
        assert str(content_type) in text

    @pytest.mark.parametrize(
        "stored",
        [{}, {"when": "yesterday"}, {"when": 5}, "text", None],
        ids=["empty", "bad-date", "int-date", "string", "none"],
    )
    def test_read_back_of_an_unknown_shape_is_none(self, db, stored):
        assert read_back(stored) is None

    def test_fix_is_post_only(self, client, engine):
        assert client.get(FIX).status_code == 405
        assert session_cookie(client) is None


class TestForget:
    def test_removes_only_this_lessons_keys(self, client, engine):
        client.get("/ssession")
        client.post(TRY, {"kind": "tuple"})
        client.post(FIX)
        response = client.post(FORGET)
        assert response.status_code == 302
        assert response["Location"] == PAGE + "#demo"
        session = client.session
        assert TRIED_KEY not in session
        assert FIXED_KEY not in session
        assert session["sname"] == "irfan"
