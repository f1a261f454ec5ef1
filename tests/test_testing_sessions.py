"""Lesson 22: the test client's session, RequestFactory, and the live experiments.

The first two classes are the lesson in test form: each test is a pattern
this project's tests rely on, run under every engine.
"""

import shlex
import subprocess
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from myapp.lessons.testing_sessions import (
    FINDINGS_KEY,
    client_session_experiment,
    request_factory_experiment,
)
from tests.conftest import ENGINES, SERVER_ENGINES
from tests.html import parse

# What the running engine is called on the page, per settings file.
ENGINE_LABELS = {
    "db": "db",
    "file": "file",
    "cache": "cache",
    "cached_db": "cached_db",
    "cookies": "signed_cookies",
    "active": "myapp.active_sessions",
}

PAGE = reverse("myapp:testing-sessions")
RUN = reverse("myapp:testing-sessions-run")
NAME = settings.SESSION_COOKIE_NAME


class TestClientSession:
    def test_a_change_needs_a_variable_and_save(self, client, engine):
        """A change through client.session is lost; via a saved variable, kept."""
        client.session["answer"] = 42  # a throwaway SessionStore
        assert "answer" not in client.session
        session = client.session
        session["answer"] = 42
        session.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
        assert client.session["answer"] == 42

    def test_the_server_sees_what_the_test_saved(self, client, engine):
        """A view reads what the test stored: /gsession shows the name."""
        session = client.session
        session["sname"] = "ada"
        session.save()
        client.cookies[NAME] = session.session_key
        assert parse(client.get("/gsession")).text("student-name") == "ada"

    def test_first_access_creates_and_saves_a_session(self, client, server_engine):
        """With no cookie, client.session saves a session and sets its cookie."""
        assert NAME not in client.cookies
        key = client.session.session_key
        assert client.cookies[NAME].value == key
        assert client.session.__class__().exists(key)

    def test_signed_cookies_need_the_new_key(self, client, use_settings, db):
        """save() makes a new key (the key is the data); without sending it,
        the client still carries the old data."""
        use_settings("cookies")
        session = client.session
        session["answer"] = 42
        session.save()
        assert "answer" not in client.session
        client.cookies[NAME] = session.session_key
        assert client.session["answer"] == 42

    def test_a_deleted_cookie_still_counts_as_a_cookie(self, client, engine):
        """After a response deleted the cookie (a flush), client.session saves
        nothing and sets no cookie; a saved change is lost until its new key
        is sent."""
        client.get("/ssession")  # a session to flush: lesson 3's demo stores
        assert client.cookies[NAME].value
        response = client.post(reverse("myapp:setup-flush"))
        assert response.cookies[NAME].value == ""
        session = client.session
        assert session.session_key is None
        assert client.cookies[NAME].value == ""
        session["answer"] = 42
        session.save()
        assert "answer" not in client.session
        client.cookies[NAME] = session.session_key
        assert client.session["answer"] == 42


class TestRequestFactory:
    def test_a_factory_request_has_no_session(self):
        """No middleware ran: no request.session."""
        assert not hasattr(RequestFactory().get("/"), "session")

    def test_session_middleware_needs_a_get_response(self):
        """Called without arguments, as older answers do: TypeError."""
        with pytest.raises(TypeError):
            SessionMiddleware()

    def test_session_middleware_attaches_one(self, engine):
        """process_request attaches an empty, unsaved session."""
        request = RequestFactory().get("/")
        SessionMiddleware(lambda request: HttpResponse()).process_request(request)
        assert request.session.session_key is None
        assert request.session.is_empty()

    def test_or_assign_a_store_yourself(self, engine):
        """A SessionStore of the running engine works as well, once saved."""
        request = RequestFactory().get("/")
        request.session = import_module(settings.SESSION_ENGINE).SessionStore()
        request.session["answer"] = 42
        request.session.save()
        assert request.session.session_key is not None


class TestExperiments:
    def test_findings_under_each_engine(self, engine):
        """Signed cookies alone lose a saved change until the cookie is updated."""
        assert request_factory_experiment() == {
            "factory_has_session": False,
            "middleware_attached_session": True,
            "key_before_save": None,
            "key_after_save": True,
        }
        assert client_session_experiment() == {
            "first_access_saved_a_session": True,
            "unsaved_change_lost": True,
            "kept_without_cookie_update": engine != "cookies",
            "kept": True,
        }

    @pytest.mark.parametrize("engine_name", ["db", "cached_db", "file"])
    def test_experiments_leave_no_session_behind(
        self, use_settings, db, tmp_path, engine_name
    ):
        """Counted where the store can be counted: rows and files."""
        use_settings(engine_name)
        request_factory_experiment()
        client_session_experiment()
        assert Session.objects.count() == 0
        assert list(tmp_path.iterdir()) == []


class TestRunView:
    def test_findings_are_kept_and_shown(self, client, engine):
        """The run stores its findings in the learner's session; the page shows them."""
        response = client.post(RUN)
        assert response.status_code == 302
        assert response["Location"] == "/lessons/testing-sessions/#demo"
        label = ENGINE_LABELS[engine]
        assert client.session[FINDINGS_KEY]["engine"] == label
        page = parse(client.get(PAGE))
        assert page.text("finding-factory").endswith("False")
        assert page.text("finding-middleware").endswith("True")
        assert page.text("finding-lost").endswith("True")
        assert page.text("finding-kept").endswith("True")
        kept_before = "false" if engine == "cookies" else "true"
        assert page.inspector_items()[FINDINGS_KEY] == (
            f'{{"engine": "{label}", "factory_has_session": false, '
            '"first_access_saved_a_session": true, "kept": true, '
            f'"kept_without_cookie_update": {kept_before}, "key_after_save": true, '
            '"key_before_save": null, "middleware_attached_session": true, '
            '"unsaved_change_lost": true}'
        )

    @pytest.mark.parametrize("engine_name", ["db", "cached_db", "file"])
    def test_only_the_learners_own_session_is_left(
        self, client, use_settings, db, tmp_path, engine_name
    ):
        """The experiments delete their throwaway sessions: only yours is left."""
        use_settings(engine_name)
        client.post(RUN)
        key = client.cookies[NAME].value
        rows = list(Session.objects.values_list("session_key", flat=True))
        files = [path.name for path in tmp_path.iterdir()]
        if engine_name == "file":
            assert rows == []
            assert len(files) == 1
            assert files[0].endswith(key)
        else:
            assert rows == [key]
            assert files == []

    def test_post_only_and_csrf_protected(self, engine):
        """405 for GET, 403 without the token; the session is untouched."""
        client = Client(enforce_csrf_checks=True)
        client.get(PAGE)
        before = dict(client.session.items())
        assert client.get(RUN).status_code == 405
        assert client.post(RUN).status_code == 403
        assert dict(client.session.items()) == before

    def test_before_a_run_the_page_says_so(self, client, db):
        """No findings yet: the page says so instead of an empty table."""
        assert parse(client.get(PAGE)).text("findings") == "Not run yet."


class TestPage:
    def test_the_run_button_lands_on_the_demo(self, client, db):
        """The form posts to the run view and comes back to #demo."""
        forms = parse(client.get(PAGE)).by_id("demo").find_all("form")
        assert [form["action"] for form in forms] == [RUN + "#demo"]

    def test_the_django_61_command_builds_its_own_virtualenv(self, client, db):
        """make's dry run of the page's command: Python 3.12 creates
        .venv-django61, Django 6.1 is installed into it, and pytest runs there."""
        command = parse(client.get(PAGE)).text("django61-command")
        assert command == (
            'make test PYTHON=python3.12 VENV=.venv-django61 DJANGO="Django>=6.1,<6.2"'
        )
        dry_run = subprocess.run(
            ["make", "--dry-run", "--always-make", *shlex.split(command)[1:]],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        assert "python3.12 -m venv .venv-django61" in dry_run[0]
        assert any(
            line.startswith(".venv-django61/bin/python -m pip install")
            and line.endswith('"Django>=6.1,<6.2"')
            for line in dry_run
        )
        assert dry_run[-1].startswith(".venv-django61/bin/python -m pytest")

    def test_the_fixtures_are_described_as_they_are(self, client, db):
        """The page names every engine the engine fixture runs, and both counts."""
        text = parse(client.get(PAGE)).text("engine-fixture")
        numbers = {5: "five", 6: "six", 7: "seven"}
        assert f"runs {numbers[len(ENGINES)]} times" in text
        assert f"runs the {numbers[len(SERVER_ENGINES)]} that keep" in text
        for name in ENGINES:
            assert name in text
