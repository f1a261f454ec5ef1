"""Lesson 26: sessions from JavaScript: fetch(), the CSRF header, and SameSite."""

import json
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from myapp.course import render_lesson

NOTES_KEY = "javascript_notes"
MOST_NOTES = 5
LONGEST_NOTE = 80

# The demo cookies, one per SameSite value. SameSite=None needs Secure.
DEMO_COOKIES = {"demo_lax": "Lax", "demo_strict": "Strict", "demo_none": "None"}
DEMO_COOKIE_AGE = 60 * 60  # an hour: a demo, not a preference

# Two names for this machine that a browser counts as two different sites.
OTHER_HOST = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}


class NoteForm(forms.Form):
    note = forms.CharField(label="A note", max_length=LONGEST_NOTE)


# --- JSON errors ---------------------------------------------------------------


def json_error(message, status=400):
    """A refusal a script can read: {"error": "..."} with a 4xx status."""
    return JsonResponse({"error": message}, status=status)


class CsrfCheckInJson(CsrfViewMiddleware):
    """Django's own CSRF check; a JSON request it refuses gets a JSON 403."""

    def _reject(self, request, reason):
        if request.content_type == "application/json":
            return json_error(f"CSRF check failed: {reason}", status=403)
        return super()._reject(request, reason)


def csrf_in_json(view):
    """csrf_protect with JSON refusals; the site-wide check then skips the view."""
    return csrf_exempt(decorator_from_middleware(CsrfCheckInJson)(view))


# --- The notes: JSON views that read and write the session --------------------


def notes_of(session):
    return session.get(NOTES_KEY, [])


@require_GET
def notes(request):
    """GET: the notes in this browser's session, as JSON. Reading saves nothing
    (unless SESSION_SAVE_EVERY_REQUEST is on)."""
    return JsonResponse({"notes": notes_of(request.session)})


def read_json_note(request):
    """The note a script sent as {"note": "..."}, or the JSON 400 that refuses it."""
    try:
        data = json.loads(request.body)
    except RequestDataTooBig:
        return None, json_error("The body is too large.")
    # Not JSON, not in an encoding json.loads() detects (UTF-8, -16 or -32),
    # or nested deeper than its parser goes (RecursionError, not a ValueError).
    except (ValueError, RecursionError):
        return None, json_error("The body is not valid JSON.")
    if not isinstance(data, dict) or not isinstance(data.get("note"), str):
        return None, json_error('Send an object with a string: {"note": "…"}.')
    form = NoteForm({"note": data["note"]})
    if not form.is_valid():
        return None, json_error(" ".join(form.errors["note"]))
    return form.cleaned_data["note"], None


@require_POST
@csrf_in_json
def add_note(request):
    """POST a note. From fetch(): JSON in, JSON out (201, or a 4xx that says why).

    From the page's form, without JavaScript: the same note, then back to the demo.
    """
    if request.content_type != "application/json":
        return add_note_from_form(request)
    note, refusal = read_json_note(request)
    if refusal:
        return refusal
    current = notes_of(request.session)
    if len(current) >= MOST_NOTES:
        return json_error(f"At most {MOST_NOTES} notes: clear them first.")
    request.session[NOTES_KEY] = [*current, note]  # a new list: a change Django sees
    return JsonResponse({"notes": request.session[NOTES_KEY]}, status=201)


def add_note_from_form(request):
    """The fallback: a plain form POST adds the same note and redirects."""
    form = NoteForm(request.POST)
    current = notes_of(request.session)
    if form.is_valid() and len(current) >= MOST_NOTES:
        form.add_error("note", f"At most {MOST_NOTES} notes: clear them first.")
    if not form.is_valid():
        return render_page(request, form, status=400)
    request.session[NOTES_KEY] = [*current, form.cleaned_data["note"]]
    return redirect(reverse("myapp:javascript-clients") + "#notes")


@require_POST
@csrf_in_json
def clear_notes(request):
    """POST: forget the notes. JSON for a script, a redirect for the form."""
    request.session.pop(NOTES_KEY, None)
    if request.content_type == "application/json":
        return JsonResponse({"notes": []})
    return redirect(reverse("myapp:javascript-clients") + "#notes")


# --- SameSite: three demo cookies, and an echo of which ones came back ----------


@require_POST
def set_demo_cookies(request):
    """Set demo_lax, demo_strict and demo_none for this host, one per SameSite value."""
    response = redirect(reverse("myapp:javascript-clients") + "#samesite")
    for name, samesite in DEMO_COOKIES.items():
        response.set_cookie(
            name,
            samesite.lower(),
            max_age=DEMO_COOKIE_AGE,
            samesite=samesite,
            secure=samesite == "None",  # browsers refuse None without Secure
            httponly=True,
        )
    return response


def arrived(request):
    """Which demo cookies, and whether the session cookie, came with this request."""
    names = [*DEMO_COOKIES, settings.SESSION_COOKIE_NAME]
    return {name: name in request.COOKIES for name in names}


@require_GET
def echo(request):
    """A page that lists the cookies this request carried, and how the browser
    labelled the request (its Sec-Fetch-Site header)."""
    context = {
        "arrived": arrived(request),
        "fetch_site": request.headers.get("Sec-Fetch-Site", "not sent"),
    }
    return render(request, "lessons/javascript-clients/echo.html", context)


def other_origin(request):
    """This server under its other local name: http://localhost:8000 for a page
    on http://127.0.0.1:8000, and the other way round; None elsewhere."""
    here = urlsplit(f"//{request.get_host()}")
    other = OTHER_HOST.get(here.hostname)
    if other is None:
        return None
    try:
        port = f":{here.port}" if here.port else ""
    except ValueError:  # Host: localhost:99999 passes ALLOWED_HOSTS; no port is that
        return None
    return f"{request.scheme}://{other}{port}"


@require_GET
def echo_json(request):
    """The echo as JSON, for fetch(). A script on the other local name may read
    it: this view allows that one origin, with credentials (CORS)."""
    response = JsonResponse(
        {
            "arrived": arrived(request),
            "fetch_site": request.headers.get("Sec-Fetch-Site", "not sent"),
        }
    )
    origin = request.headers.get("Origin")
    if origin is not None and origin == other_origin(request):
        response["Access-Control-Allow-Origin"] = origin  # never * with credentials
        response["Access-Control-Allow-Credentials"] = "true"
    patch_vary_headers(response, ["Origin"])
    return response


# --- The page ---------------------------------------------------------------------


def render_page(request, form=None, status=200):
    here = f"{request.scheme}://{request.get_host()}"
    context = {
        "form": form or NoteForm(),
        "notes": notes_of(request.session),
        # What GET notes/ answers right now: the view's own response (unwrapped
        # from require_GET, since a refused form re-renders this page on a POST).
        "notes_json": notes.__wrapped__(request).content.decode(),
        "most_notes": MOST_NOTES,
        "longest_note": LONGEST_NOTE,
        "demo_cookies": DEMO_COOKIES,
        "here": here,
        "other": other_origin(request),
        "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
        "csrf_cookie_httponly": settings.CSRF_COOKIE_HTTPONLY,
    }
    return render_lesson(request, "javascript-clients", context, status=status)


@require_GET
def page(request):
    """The notes as the server holds them, and the SameSite demo."""
    return render_page(request)


SHOWN = (
    notes,
    add_note,
    read_json_note,
    CsrfCheckInJson,
    set_demo_cookies,
    echo_json,
    "static/js/javascript-clients.js",
)
NOT_SHOWN = {
    clear_notes: "one pop() and a redirect, as in lesson 6's reset",
    echo: "the HTML twin of echo_json, for a link to follow",
}

urlpatterns = [
    # ex: /lessons/javascript-clients/
    path("", page, name="javascript-clients"),
    # ex: /lessons/javascript-clients/notes/ (JSON)
    path("notes/", notes, name="javascript-clients-notes"),
    # ex: /lessons/javascript-clients/notes/add/ (POST, JSON or a form)
    path("notes/add/", add_note, name="javascript-clients-add"),
    # ex: /lessons/javascript-clients/notes/clear/ (POST)
    path("notes/clear/", clear_notes, name="javascript-clients-clear"),
    # ex: /lessons/javascript-clients/cookies/ (POST)
    path("cookies/", set_demo_cookies, name="javascript-clients-cookies"),
    # ex: /lessons/javascript-clients/echo/
    path("echo/", echo, name="javascript-clients-echo"),
    # ex: /lessons/javascript-clients/echo.json
    path("echo.json", echo_json, name="javascript-clients-echo-json"),
]
