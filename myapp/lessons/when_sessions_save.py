"""Lesson 9: when SessionMiddleware saves the session, sends Set-Cookie and Vary."""

from django import forms
from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from myapp.context_processors import engine_label, expiry_policy
from myapp.course import render_lesson

# The value the write demo stores, and the one the 500 demo tries to store.
WRITTEN_KEY = "save_demo_written"
LOST_KEY = "save_demo_lost"

RESULTS = "lessons/when-sessions-save/"


class EmptyForm(forms.Form):
    """Emptying erases the whole session, course progress included: ask first."""

    understood = forms.BooleanField(
        label="I understand: this erases my whole session, course progress included",
        error_messages={"required": "Tick the box first: nothing was erased."},
    )
    # Set by the button pressed: flush() or clear().
    how = forms.ChoiceField(choices=[("flush", "flush()"), ("clear", "clear()")])


def session_flags(request, status=200):
    """What SessionMiddleware will decide on, as the view left it, and what
    it will do: the same tests as its process_response, in the same order.

    Reading these loads nothing: is_empty() answers False for a session that
    has a key without looking at its data.
    """
    session = request.session
    had_cookie = settings.SESSION_COOKIE_NAME in request.COOKIES
    if had_cookie and session.is_empty():
        cookie = "deleted"
    elif (
        session.modified or settings.SESSION_SAVE_EVERY_REQUEST
    ) and not session.is_empty():
        cookie = "set" if status < 500 else "skipped"
    else:
        cookie = "none"
    return {
        "accessed": session.accessed,
        "modified": session.modified,
        "empty": session.is_empty(),
        "had_cookie": had_cookie,
        "save_every_request": settings.SESSION_SAVE_EVERY_REQUEST,
        "cookie": cookie,
    }


def demo_result(request, template, context=None, status=200):
    """Render a demo's own result page with the flags as the view left them.

    The flags are read before rendering: the site's theme lookup in every
    page's context reads the session too. Every view that gets here has
    loaded the session already, so asking for its expiry loads nothing new.
    """
    flags = session_flags(request, status)
    session = request.session
    # The Max-Age a Set-Cookie carries: none for a browser-session cookie.
    flags["max_age"] = (
        None if session.get_expire_at_browser_close() else session.get_expiry_age()
    )
    return render(
        request, RESULTS + template, {**flags, **(context or {})}, status=status
    )


# --- The lesson page --------------------------------------------------------


@require_GET
def page(request):
    """Show the demo values; each button below is a request of its own."""
    return lesson_page(request, EmptyForm())


def lesson_page(request, empty_form):
    """The lesson page, with the emptying form fresh or with its errors."""
    return render_lesson(
        request,
        "when-sessions-save",
        {
            "written": request.session.get(WRITTEN_KEY),
            "lost": request.session.get(LOST_KEY),
            "empty_form": empty_form,
        },
    )


# --- One request per case ---------------------------------------------------


@require_GET
def read(request):
    """Only read: accessed becomes True, modified stays False.

    SessionMiddleware saves nothing and sends no Set-Cookie, but adds
    Vary: Cookie, because this page now depends on the cookie. Unless
    SESSION_SAVE_EVERY_REQUEST saves it anyway, or the cookie's session is
    gone: then the cookie is deleted, or (signed_cookies, an expired file)
    loading starts a new session that is saved. read.html says which.
    """
    written = request.session.get(WRITTEN_KEY)
    return demo_result(request, "read.html", {"written": written})


@require_POST
def write(request):
    """Assign a key: modified becomes True, so the session is saved and the
    cookie sent again with a fresh Max-Age."""
    request.session[WRITTEN_KEY] = timezone.now().isoformat(timespec="seconds")
    return demo_result(request, "write.html", {"written": request.session[WRITTEN_KEY]})


@require_POST
def write_then_fail(request):
    """Write, then answer 500: SessionMiddleware skips the save for any
    status of 500 or more, so the value is lost."""
    request.session[LOST_KEY] = timezone.now().isoformat(timespec="seconds")
    return demo_result(request, "server-error.html", status=500)


@require_POST
def empty(request):
    """flush() empties the data and drops the key, so the cookie is deleted;
    clear() empties the data but keeps the key, so the empty session is saved."""
    form = EmptyForm(request.POST)
    if not form.is_valid():
        return lesson_page(request, form)
    # Read first, to show what goes. Reading also drops a key the store no
    # longer has: clear() alone does not load, and saving under that key fails.
    context = {"erased": sorted(request.session.keys())}
    if form.cleaned_data["how"] == "flush":
        request.session.flush()
        return demo_result(request, "flush.html", context)
    request.session.clear()
    return demo_result(request, "clear.html", context)


@require_GET
def untouched(request):
    """Never touch request.session: no load, no save, no Set-Cookie, no Vary,
    unless SESSION_SAVE_EVERY_REQUEST saves it or the cookie is too short to
    be a key (it is deleted). untouched.html says which.

    Rendered without the request, because the site's context processor
    reads the theme from the session, and that read alone would add Vary.
    """
    context = {
        **session_flags(request),
        # What base.html's footer needs, from settings only.
        "session_engine": engine_label(),
        "session_settings_module": settings.SETTINGS_MODULE,
        "session_expiry_policy": expiry_policy(),
    }
    return HttpResponse(render_to_string(RESULTS + "untouched.html", context))


# Django's own decision first: when it saves, sets or deletes the cookie, varies.
SHOWN = (
    SessionMiddleware.process_response,
    read,
    write,
    write_then_fail,
    EmptyForm,
    empty,
    untouched,
    session_flags,
    demo_result,
)

urlpatterns = [
    # ex: /lessons/when-sessions-save/
    path("", page, name="when-sessions-save"),
    # ex: /lessons/when-sessions-save/read/
    path("read/", read, name="when-sessions-save-read"),
    # ex: /lessons/when-sessions-save/write/ (POST)
    path("write/", write, name="when-sessions-save-write"),
    # ex: /lessons/when-sessions-save/write-then-fail/ (POST, answers 500)
    path(
        "write-then-fail/", write_then_fail, name="when-sessions-save-write-then-fail"
    ),
    # ex: /lessons/when-sessions-save/empty/ (POST)
    path("empty/", empty, name="when-sessions-save-empty"),
    # ex: /lessons/when-sessions-save/untouched/
    path("untouched/", untouched, name="when-sessions-save-untouched"),
]
