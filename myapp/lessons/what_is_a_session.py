"""Lesson 1: HTTP forgets; a cookie carries a key, the server keeps the data."""

from django import forms
from django.conf import settings
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from myapp.course import render_lesson
from myapp.inspector import shorten

WORD_KEY = "remembered_word"


class RememberForm(forms.Form):
    """Something small for the server to remember; surrounding spaces are stripped."""

    word = forms.CharField(
        label="A word for the server to remember",
        max_length=30,
        help_text="Required. At most 30 characters.",
    )


def cookies_received(request):
    """The Cookie header this request brought, cookie by cookie.

    The session cookie's value is shortened as the inspector shortens it:
    HttpOnly keeps it from page scripts, so the page must not print it whole.
    """
    cookies = []
    for pair in request.headers.get("Cookie", "").split(";"):
        name, _, value = pair.strip().partition("=")
        if not name:
            continue
        is_session = name == settings.SESSION_COOKIE_NAME
        cookies.append(
            {
                "name": name,
                "value": (shorten(value) or "") if is_session else value,
                "length": len(value),
                "is_session": is_session,
                # Not the session: the token that this page's forms carry.
                "is_csrf": name == settings.CSRF_COOKIE_NAME,
            }
        )
    return cookies


def lesson_context(request, form, message=""):
    """What every answer of this lesson shows: the Cookie header and the word."""
    cookies = cookies_received(request)
    return {
        "form": form,
        "message": message,
        "cookies": cookies,
        "cookie_header": "; ".join(f"{c['name']}={c['value']}" for c in cookies),
        "session_cookie_name": settings.SESSION_COOKIE_NAME,
        "remembered_word": request.session.get(WORD_KEY),
    }


@require_GET
def page(request):
    """Show the Cookie header this request arrived with: the only memory HTTP has."""
    return render_lesson(
        request, "what-is-a-session", lesson_context(request, RememberForm())
    )


@require_POST
def remember(request):
    """Store one small value, then answer with the page itself, not a redirect,
    so the inspector shows the Set-Cookie of the very response that saved it."""
    form = RememberForm(request.POST)
    if not form.is_valid():
        return render_lesson(
            request, "what-is-a-session", lesson_context(request, form)
        )
    request.session[WORD_KEY] = form.cleaned_data["word"]
    message = "Stored. This response carries Set-Cookie: see the inspector's headers."
    context = lesson_context(request, RememberForm(), message)
    return render_lesson(request, "what-is-a-session", context)


@require_POST
def forget(request):
    """Remove the value. The session changed, so it is saved and the cookie resent;
    popping a key that is not there changes nothing and sends no Set-Cookie."""
    request.session.pop(WORD_KEY, None)
    message = "Forgotten, if it was there. Check the inspector's headers again."
    context = lesson_context(request, RememberForm(), message)
    return render_lesson(request, "what-is-a-session", context)


SHOWN = (RememberForm, page, remember, forget, cookies_received)

urlpatterns = [
    # ex: /lessons/what-is-a-session/
    path("", page, name="what-is-a-session"),
    # ex: /lessons/what-is-a-session/remember/ (POST)
    path("remember/", remember, name="what-is-a-session-remember"),
    # ex: /lessons/what-is-a-session/forget/ (POST)
    path("forget/", forget, name="what-is-a-session-forget"),
]
