"""Lesson 25: sessions and HTTP caching: Vary: Cookie, cache_page, private pages.

Two demo pages read the same session key and are cached by Django's own
cache_page machinery. One varies on Cookie, so each visitor gets a copy of
their own; the other does not, so the first visitor's copy is served to all.
Both are cached in a sandbox: a cache in this process's memory that nothing
else on the site uses, emptied by a button.
"""

from django.core.cache.backends.locmem import LocMemCache
from django.middleware.cache import CacheMiddleware
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import decorator_from_middleware_with_args
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_cookie

from myapp.course import render_lesson

NOTE_KEY = "caching_note"
NOTE_MAX_LENGTH = 40
SANDBOX_SECONDS = 300

# The sandbox: a cache of this lesson's own, never one of settings.CACHES, so
# emptying it cannot touch anyone's session or another lesson's data.
SANDBOX = LocMemCache("caching-lesson-sandbox", {"TIMEOUT": SANDBOX_SECONDS})


class SandboxCacheMiddleware(CacheMiddleware):
    """The middleware cache_page() is made of, storing in the sandbox."""

    cache = SANDBOX


def sandbox_cache_page(timeout):
    """cache_page(timeout), exactly, but kept in the sandbox."""
    return decorator_from_middleware_with_args(SandboxCacheMiddleware)(
        page_timeout=timeout
    )


@require_GET
@never_cache
def page(request):
    """The lesson page shows your session, so no cache may keep it: never_cache."""
    return render_lesson(
        request,
        "caching",
        {"note": request.session.get(NOTE_KEY, ""), "sandbox_seconds": SANDBOX_SECONDS},
    )


@require_POST
def remember(request):
    """Store a short note in this browser's session, for the cached pages to show."""
    note = " ".join(request.POST.get("note", "").split())[:NOTE_MAX_LENGTH]
    if note:
        request.session[NOTE_KEY] = note
    return redirect(reverse("myapp:caching") + "#demo")


@require_GET
@sandbox_cache_page(SANDBOX_SECONDS)
@vary_on_cookie
def right(request):
    """Cached right: Vary: Cookie is on the response before the cache sees it,
    so the cache keeps one copy per Cookie header, one per visitor."""
    return cached_note(request, "right")


@require_GET
@sandbox_cache_page(SANDBOX_SECONDS)
def wrong(request):
    """Cached wrong, on purpose: SessionMiddleware adds Vary: Cookie only after
    the cache has stored the page, so one copy is served to every visitor."""
    return cached_note(request, "wrong")


@require_POST
def empty(request):
    """Empty the sandbox, so the next visit to either page renders afresh."""
    SANDBOX.clear()
    return redirect(reverse("myapp:caching") + "#demo")


def cached_note(request, kind):
    return render(
        request,
        "lessons/caching/note.html",
        {
            "kind": kind,
            "note": request.session.get(NOTE_KEY, ""),
            "rendered_at": timezone.now(),
            "sandbox_seconds": SANDBOX_SECONDS,
        },
    )


SHOWN = (page, remember, right, wrong, empty)

urlpatterns = [
    # ex: /lessons/caching/
    path("", page, name="caching"),
    # ex: /lessons/caching/remember/ (POST)
    path("remember/", remember, name="caching-remember"),
    # ex: /lessons/caching/right/
    path("right/", right, name="caching-right"),
    # ex: /lessons/caching/wrong/
    path("wrong/", wrong, name="caching-wrong"),
    # ex: /lessons/caching/empty/ (POST)
    path("empty/", empty, name="caching-empty"),
]
