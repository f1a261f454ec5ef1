"""Lesson 21: the async session API (aget, aset, apop, aflush ...) in async views."""

import json

from asgiref.sync import sync_to_async
from django import forms
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.core.exceptions import SynchronousOnlyOperation
from django.core.serializers.json import DjangoJSONEncoder
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from myapp.context_processors import engine_label
from myapp.course import render_lesson

NOTES_KEY = "async_notes"
FIRST_NOTE_AT_KEY = "async_first_note_at"
SYNC_TRAP_KEY = "async_sync_trap"
MAX_NOTES = 20


class NoteForm(forms.Form):
    """One short note; surrounding spaces are stripped."""

    note = forms.CharField(
        label="A note",
        max_length=100,
        help_text=f"Required. At most 100 characters, {MAX_NOTES} notes.",
    )


def page_with(request, form):
    """The lesson page around a form. Sync: its template, like the inspector,
    reads the session and the database synchronously."""
    context = {
        "form": form,
        "notes": request.session.get(NOTES_KEY, []),
        "first_note_at": request.session.get(FIRST_NOTE_AT_KEY),
        "sync_trap": request.session.get(SYNC_TRAP_KEY),
        "engine": engine_label(),
    }
    return render_lesson(request, "async-views", context)


def back_to_demo(anchor="demo"):
    """POST/redirect/GET, back to the buttons (or to the result they wrote)."""
    return redirect(reverse("myapp:async-views") + f"#{anchor}")


@require_GET
def page(request):
    """A plain sync view: nothing here needs to await."""
    return page_with(request, NoteForm())


@require_POST
async def add_note(request):
    """aget() loads by awaiting the store, so a database query runs in a worker
    thread, not on the event loop; aset() then only changes memory, and
    SessionMiddleware saves after the view, as ever."""
    form = NoteForm(request.POST)
    if form.is_valid():
        notes = await request.session.aget(NOTES_KEY, [])
        if len(notes) < MAX_NOTES:
            await request.session.aset(NOTES_KEY, [*notes, form.cleaned_data["note"]])
            now = timezone.now().isoformat(timespec="seconds")
            await request.session.asetdefault(FIRST_NOTE_AT_KEY, now)
            return back_to_demo()
        form.add_error("note", f"There are {MAX_NOTES} notes already.")
    # Rendering reads the session synchronously: do it in a thread.
    return await sync_to_async(page_with)(request, form)


@require_POST
async def delete_notes(request):
    """apop() with a default: no KeyError when there is nothing to delete."""
    await request.session.apop(NOTES_KEY, None)
    await request.session.apop(FIRST_NOTE_AT_KEY, None)
    return back_to_demo()


@require_POST
async def cycle_key(request):
    """acycle_key(): same data, new key (what login does against fixation)."""
    await request.session.acycle_key()
    return back_to_demo()


@require_POST
async def flush(request):
    """aflush(): data, stored record and cookie gone, like logout."""
    await request.session.aflush()
    return back_to_demo()


@require_GET
async def snapshot(request):
    """akeys() and aitems(): the whole session read the async way, shown as JSON."""
    keys = await request.session.akeys()
    items = await request.session.aitems()
    snapshot = {"keys": sorted(keys), "items": dict(items)}
    text = json.dumps(snapshot, indent=2, sort_keys=True, cls=DjangoJSONEncoder)
    context = {
        "snapshot": text,
        # Whether SessionMiddleware saves this read anyway, and why.
        "modified": request.session.modified,
        "save_every_request": settings.SESSION_SAVE_EVERY_REQUEST,
    }
    # The page's footer reads the session synchronously: render in a thread.
    return await sync_to_async(render)(
        request, "lessons/async-views/snapshot.html", context
    )


@require_POST
async def sync_trap(request):
    """Read the session the sync way inside an async view, and keep the outcome.

    Loading from the database is a query, and Django refuses to run a query
    on the event loop's thread: SynchronousOnlyOperation.
    """
    session = request.session
    had_key = session.session_key is not None
    try:
        session.get(NOTES_KEY)
        raised = False
    except SynchronousOnlyOperation:
        raised = True
    outcome = {
        "engine": engine_label(),
        # What loading reads: db and its subclasses the database, cached_db
        # (a subclass) a cache first, the cache engine a cache only.
        "uses_database": isinstance(session, DBStore),
        "uses_cache": hasattr(session, "cache_key_prefix"),
        "had_key": had_key,
        "raised": raised,
    }
    await session.aset(SYNC_TRAP_KEY, outcome)
    return back_to_demo("sync-trap-outcome")


SHOWN = (
    add_note,
    delete_notes,
    cycle_key,
    flush,
    snapshot,
    sync_trap,
    page_with,
    back_to_demo,
)

urlpatterns = [
    # ex: /lessons/async-views/
    path("", page, name="async-views"),
    # ex: /lessons/async-views/add/ (POST)
    path("add/", add_note, name="async-views-add"),
    # ex: /lessons/async-views/delete/ (POST)
    path("delete/", delete_notes, name="async-views-delete"),
    # ex: /lessons/async-views/cycle/ (POST)
    path("cycle/", cycle_key, name="async-views-cycle"),
    # ex: /lessons/async-views/flush/ (POST)
    path("flush/", flush, name="async-views-flush"),
    # ex: /lessons/async-views/snapshot/
    path("snapshot/", snapshot, name="async-views-snapshot"),
    # ex: /lessons/async-views/sync-trap/ (POST)
    path("sync-trap/", sync_trap, name="async-views-sync-trap"),
]
