"""Lesson 6: a visit counter that says 1 on the first visit, kept per session."""

from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from myapp.course import render_lesson

VISITS_KEY = "visit_count"


@require_GET
def count(request):
    """Count this visit, then show the count: the first visit says 1.

    A GET that writes: every load saves the session and sends Set-Cookie again.
    """
    visits = request.session.get(VISITS_KEY, 0) + 1
    request.session[VISITS_KEY] = visits
    return render(request, "lessons/visit-counter/count.html", {"visits": visits})


@require_GET
def page(request):
    """Show the count without counting: reading alone changes nothing."""
    visits = request.session.get(VISITS_KEY, 0)
    return render_lesson(request, "visit-counter", {"visits": visits})


@require_POST
def reset(request):
    """Forget the count, and only the count: pop() one key, keep the rest.

    Popping a key that is not there leaves the session unmodified: no write.
    """
    request.session.pop(VISITS_KEY, None)
    return redirect(reverse("myapp:visit-counter") + "#demo")


SHOWN = (count, page, reset)

urlpatterns = [
    # ex: /lessons/visit-counter/
    path("", page, name="visit-counter"),
    # ex: /lessons/visit-counter/count/ (every load counts)
    path("count/", count, name="visit-counter-count"),
    # ex: /lessons/visit-counter/reset/ (POST)
    path("reset/", reset, name="visit-counter-reset"),
]
