"""Lesson 22: how this project's tests use sessions: client.session, RequestFactory."""

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.shortcuts import redirect
from django.test import Client, RequestFactory
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from myapp.context_processors import engine_label
from myapp.course import render_lesson

FINDINGS_KEY = "testing_findings"


def request_factory_experiment():
    """RequestFactory runs no middleware: its request has no session until
    SessionMiddleware's process_request attaches one, and nothing saves it."""
    request = RequestFactory().get("/")
    factory_has_session = hasattr(request, "session")
    # get_response is required since Django 4.0; process_request never calls it.
    SessionMiddleware(lambda request: HttpResponse()).process_request(request)
    key_before_save = request.session.session_key
    request.session["answer"] = 42
    request.session.save()  # no middleware will do it on the way out
    findings = {
        "factory_has_session": factory_has_session,
        "middleware_attached_session": hasattr(request, "session"),
        "key_before_save": key_before_save,
        "key_after_save": request.session.session_key is not None,
    }
    request.session.delete()  # leave nothing behind in the store
    return findings


def client_session_experiment():
    """client.session is a property that builds a new SessionStore from the
    client's cookie on every access; without a cookie it creates and saves one."""
    client = Client()
    created = client.session
    client.session["answer"] = 42  # changes a throwaway object: lost
    unsaved_change_lost = "answer" not in client.session
    session = client.session
    session["answer"] = 42
    session.save()
    kept_without_cookie_update = client.session.get("answer") == 42
    # signed_cookies: the data is the key, so save() made a new key; the
    # client must send it, or the next request carries the old data.
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    findings = {
        "first_access_saved_a_session": created.session_key is not None
        and settings.SESSION_COOKIE_NAME in client.cookies,
        "unsaved_change_lost": unsaved_change_lost,
        "kept_without_cookie_update": kept_without_cookie_update,
        "kept": client.session.get("answer") == 42,
    }
    client.session.delete()
    return findings


@require_GET
def page(request):
    """Show the findings of the last run, if any."""
    findings = request.session.get(FINDINGS_KEY)
    return render_lesson(request, "testing-sessions", {"findings": findings})


@require_POST
def run(request):
    """Run both experiments live, on the running engine, and keep what they
    found in your session to show after the redirect."""
    request.session[FINDINGS_KEY] = {
        "engine": engine_label(),
        **request_factory_experiment(),
        **client_session_experiment(),
    }
    return redirect(reverse("myapp:testing-sessions") + "#demo")


SHOWN = (
    request_factory_experiment,
    client_session_experiment,
    run,
    "tests/conftest.py",
    "tests/test_testing_sessions.py",
)

urlpatterns = [
    # ex: /lessons/testing-sessions/
    path("", page, name="testing-sessions"),
    # ex: /lessons/testing-sessions/run/ (POST)
    path("run/", run, name="testing-sessions-run"),
]
