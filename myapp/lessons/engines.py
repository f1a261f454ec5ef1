"""Lesson 11: where each engine keeps the data, and the settings file that picks it."""

from importlib import import_module

from django import forms
from django.conf import settings
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from myapp.context_processors import engine_label
from myapp.course import render_lesson
from myapp.inspector import stored_records

NOTE_KEY = "engines_note"
# Where the demo's result shows: both forms bring the learner back to it.
LANDED = "#engines-landed"

BUILT_IN_PREFIX = "django.contrib.sessions.backends."
# The settings file of this project that selects each built-in engine.
SETTINGS_FILES = {
    "db": "sitecore/settings/db.py",
    "file": "sitecore/settings/file.py",
    "cache": "sitecore/settings/cache.py",
    "cached_db": "sitecore/settings/cached_db.py",
    "signed_cookies": "sitecore/settings/cookies.py",
}
CACHE_ENGINES = ("cache", "cached_db")
LOCAL_MEMORY_CACHE = "django.core.cache.backends.locmem.LocMemCache"
# Browsers keep at most about 4096 bytes per cookie; a bigger one is dropped
# without an error on either side.
COOKIE_SIZE_LIMIT = 4096


class NoteForm(forms.Form):
    """One short line of text: the same value on every engine, stored differently."""

    note = forms.CharField(
        label="A note to store in your session",
        max_length=100,
        strip=True,
        help_text="Required. At most 100 characters.",
    )


def built_on(engine_path):
    """The built-in engine a custom engine's SessionStore extends, or None.

    Most specific first: cached_db's store is a db store too.
    """
    store_class = import_module(engine_path).SessionStore
    for label in ("cached_db", "db", "file", "cache", "signed_cookies"):
        built_in = import_module(BUILT_IN_PREFIX + label).SessionStore
        if issubclass(store_class, built_in):
            return label
    return None


def running_engine(request):
    """What this server process runs: the engine, its settings and its cache."""
    label = engine_label()
    built_in = label in SETTINGS_FILES
    # A custom engine keeps its data the way the engine it extends does.
    kind = label if built_in else built_on(settings.SESSION_ENGINE)
    running = {
        "label": label,
        "engine": settings.SESSION_ENGINE,
        "settings_module": settings.SETTINGS_MODULE,
        "built_in": built_in,
        "built_on": kind,
    }
    if kind in CACHE_ENGINES:
        backend = settings.CACHES[settings.SESSION_CACHE_ALIAS]["BACKEND"]
        running["cache_backend"] = backend
        # locmem is a dictionary inside this process: no other process sees it.
        running["cache_per_process"] = backend == LOCAL_MEMORY_CACHE
    if kind == "signed_cookies":
        cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
        running["cookie_size"] = len(cookie)
    return running


def where_it_landed(request):
    """This session's stored record(s), read by the inspector's own readers.

    The store is read directly, by key, so this shows what the previous
    request saved. The readers shorten the key in file names and cache keys:
    the page must not print what the HttpOnly cookie hides from scripts.
    """
    return stored_records(request, request.session, request.session.session_key)


def page_context(request, form):
    """What the page shows, for the page itself and for a form with errors."""
    # Reading loads the session first: an unknown key is dropped here, before
    # anything looks it up in the store. (signed_cookies keeps a forged key
    # and replaces the cookie when it saves; the file engine replaces an
    # expired key with a new one.)
    note = request.session.get(NOTE_KEY)
    return {
        "form": form,
        "note": note,
        "running": running_engine(request),
        "landed": where_it_landed(request) if note is not None else [],
        "cookie_size_limit": COOKIE_SIZE_LIMIT,
    }


@require_GET
def page(request):
    """Show the running engine and where this session's note was stored."""
    return render_lesson(request, "engines", page_context(request, NoteForm()))


@require_POST
def store_note(request):
    """Store a note; the same line works on every engine, only the store differs."""
    form = NoteForm(request.POST)
    if not form.is_valid():
        return render_lesson(request, "engines", page_context(request, form))
    request.session[NOTE_KEY] = form.cleaned_data["note"]
    return redirect(reverse("myapp:engines") + LANDED)


@require_POST
def forget_note(request):
    """Remove the note; pop() of a missing key changes nothing and writes nothing."""
    request.session.pop(NOTE_KEY, None)
    return redirect(reverse("myapp:engines") + LANDED)


SHOWN = (
    NoteForm,
    store_note,
    forget_note,
    page,
    where_it_landed,
    running_engine,
    *SETTINGS_FILES.values(),
)

urlpatterns = [
    # ex: /lessons/engines/
    path("", page, name="engines"),
    # ex: /lessons/engines/store/ (POST)
    path("store/", store_note, name="engines-store"),
    # ex: /lessons/engines/forget/ (POST)
    path("forget/", forget_note, name="engines-forget"),
]
