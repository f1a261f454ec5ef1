"""Lesson 23: the toolbar's Request panel, and "Session data corrupted"."""

import logging
import threading
from contextlib import contextmanager

from django import forms
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.backends.file import SessionStore as FileStore
from django.contrib.sessions.backends.signed_cookies import (
    SessionStore as SignedCookieStore,
)
from django.core import signing
from django.core.cache import caches
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from myapp.context_processors import engine_label
from myapp.course import render_lesson
from myapp.inspector import shorten, show

# Where Django reports a session it cannot verify.
SUSPICIOUS_LOGGER = "django.security.SuspiciousSession"
# What the recovery step writes into the fresh session.
RECOVERED_KEY = "debugging_recovered_at"

# A key this site never used: what every old session looks like after a
# deploy that changes SECRET_KEY without listing the old one in
# SECRET_KEY_FALLBACKS.
OLD_SECRET_KEY = "the-secret-key-before-rotation-not-used-for-anything"
# The salt the signed_cookies engine signs with: a literal in its source,
# not key_salt, so renaming that class changes nothing.
SIGNED_COOKIES_SALT = "django.contrib.sessions.backends.signed_cookies"

CAUSES = {
    "renamed": "a renamed SessionStore class",
    "secret-key": "a changed SECRET_KEY",
    "tampered": "one character edited",
}


def causes_for(store_class):
    """Which causes break this engine's records, by the store it builds on
    (so a subclass, such as lesson 19's active sessions, counts too)."""
    if issubclass(store_class, SignedCookieStore):
        return ("secret-key", "tampered")  # a fixed salt, not key_salt
    if issubclass(store_class, (DBStore, FileStore)):  # cached_db is a DBStore
        return tuple(CAUSES)
    return ()  # the cache store keeps the dictionary itself, unsigned


class RenamedSessionStore(SessionBase):
    """Any store class with another name: key_salt is
    "django.contrib.sessions." + __qualname__, so its signatures differ."""


class CorruptForm(forms.Form):
    """Which cause to simulate, confirmed: corruption loses the whole session."""

    cause = forms.ChoiceField()
    understood = forms.BooleanField(
        label="I understand: my session data, course progress included, will be lost",
        error_messages={"required": "Tick the box first: nothing was changed."},
    )

    def __init__(self, *args, store_class, **kwargs):
        super().__init__(*args, **kwargs)
        causes = causes_for(store_class)
        self.fields["cause"].choices = [(cause, CAUSES[cause]) for cause in causes]


def sign(session, data, key=None):
    """Sign data the way this engine does, with SECRET_KEY or another key."""
    salt = (
        SIGNED_COOKIES_SALT
        if isinstance(session, SignedCookieStore)
        else session.key_salt
    )
    return signing.dumps(
        data, key=key, salt=salt, serializer=session.serializer, compress=True
    )


def corrupted(session, data, cause):
    """The same data as Django would find it after the cause: unverifiable."""
    if cause == "renamed":
        return RenamedSessionStore().encode(data)
    if cause == "secret-key":
        return sign(session, data, key=OLD_SECRET_KEY)
    payload, signature = sign(session, data).split(":", 1)
    edited = "A" if payload[-1] != "A" else "B"
    return f"{payload[:-1]}{edited}:{signature}"


def store_raw(session, value):
    """Write a raw value where this engine keeps the session's data."""
    key = session.session_key
    if isinstance(session, DBStore):  # db, and cached_db's database row
        session.get_model_class().objects.filter(session_key=key).update(
            session_data=value
        )
    if hasattr(session, "cache_key_prefix"):  # cached_db
        # Its cache holds the decoded dictionary, not the signed text: drop
        # the entry, as a restart or an eviction would, so the row is read.
        caches[settings.SESSION_CACHE_ALIAS].delete(session.cache_key_prefix + key)
    if isinstance(session, FileStore):
        with open(session._key_to_file(key), "w", encoding="ascii") as session_file:
            session_file.write(value)


class CapturingHandler(logging.Handler):
    """Keeps the records of one thread: other requests may log meanwhile."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.thread = threading.get_ident()
        self.records = []

    def emit(self, record):
        if record.thread == self.thread:
            self.records.append(record)


@contextmanager
def captured_log(name):
    """Collect what one logger reports while the block runs."""
    handler = CapturingHandler()
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


# --- The lesson page --------------------------------------------------------


@require_GET
def page(request):
    """Explain the tools; the demo corrupts this visitor's own session."""
    return lesson_page(request, CorruptForm(store_class=type(request.session)))


def lesson_page(request, form, check=None):
    """The lesson page, with the form fresh or with its errors, and what the
    check found, if this is the check."""
    return render_lesson(
        request,
        "debugging",
        {
            "form": form,
            "check": check,
            "toolbar_enabled": settings.DEBUG_TOOLBAR,
            "engine": engine_label(),
            "cookie_is_record": isinstance(request.session, SignedCookieStore),
            "recovered_at": request.session.get(RECOVERED_KEY),
        },
    )


# --- The demo: corrupt, load, recover ---------------------------------------


@require_POST
def corrupt(request):
    """Replace this visitor's stored session with data Django cannot verify.

    The view never modifies request.session, so SessionMiddleware does not
    save over the damage. With signed_cookies the cookie is the record.
    """
    form = CorruptForm(request.POST, store_class=type(request.session))
    if not form.is_valid():
        return lesson_page(request, form)
    session = request.session
    # Loaded first: a cookie for an unknown or expired session loses its key
    # (signed_cookies keeps the value it could not verify, but loads nothing).
    data = dict(session.items())
    if session.session_key is None:
        form.add_error(None, "You have no stored session yet: open a lesson first.")
        return lesson_page(request, form)
    if settings.SESSION_SAVE_EVERY_REQUEST:
        form.add_error(
            None,
            "SESSION_SAVE_EVERY_REQUEST is on: the save after this request would "
            "write your intact session over the damage. Run the course with "
            "other settings, such as make run ENGINE=db.",
        )
        return lesson_page(request, form)
    damaged = corrupted(session, data, form.cleaned_data["cause"])
    response = redirect(reverse("myapp:debugging-check") + "#check-result")
    if isinstance(session, SignedCookieStore):
        response.set_cookie(
            settings.SESSION_COOKIE_NAME,
            damaged,
            max_age=session.get_expiry_age(),
            domain=settings.SESSION_COOKIE_DOMAIN,
            path=settings.SESSION_COOKIE_PATH,
            secure=settings.SESSION_COOKIE_SECURE or None,
            httponly=settings.SESSION_COOKIE_HTTPONLY or None,
            samesite=settings.SESSION_COOKIE_SAMESITE,
        )
    else:
        store_raw(session, damaged)
    return response


@require_GET
def check(request):
    """Load the session while listening to django.security.SuspiciousSession.

    A record that fails its signature check logs "Session data corrupted"
    and loads as an empty session: no error page, just everything gone.
    """
    with captured_log(SUSPICIOUS_LOGGER) as records:
        data = dict(request.session.items())
    result = {
        # signed_cookies resets silently: a failed load marks it modified.
        "reset": request.session.modified,
        "records": [
            {"level": r.levelname, "logger": r.name, "message": r.getMessage()}
            for r in records
        ],
        "data": show(data),
        "empty": not data,
        "session_key": shorten(request.session.session_key),
    }
    form = CorruptForm(store_class=type(request.session))
    return lesson_page(request, form, check=result)


@require_POST
def recover(request):
    """Write into the fresh session: the save replaces the damaged record."""
    request.session[RECOVERED_KEY] = timezone.now().isoformat(timespec="seconds")
    return redirect(reverse("myapp:debugging") + "#recovered")


SHOWN = (
    RenamedSessionStore,
    corrupted,
    corrupt,
    captured_log,
    check,
    recover,
)

urlpatterns = [
    # ex: /lessons/debugging/
    path("", page, name="debugging"),
    # ex: /lessons/debugging/corrupt/ (POST)
    path("corrupt/", corrupt, name="debugging-corrupt"),
    # ex: /lessons/debugging/check/
    path("check/", check, name="debugging-check"),
    # ex: /lessons/debugging/recover/ (POST)
    path("recover/", recover, name="debugging-recover"),
]
