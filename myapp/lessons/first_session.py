"""Lesson 3: a popular tutorial's /ssession and /gsession, and why .get() beats []."""

from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from myapp import views
from myapp.course import render_lesson

# The two keys /ssession writes, and nothing else.
STUDENT_KEYS = (views.STUDENT_NAME_KEY, views.STUDENT_EMAIL_KEY)


@require_GET
def page(request):
    """Explain the two views; the demo is a visit to each, read here with .get()."""
    stored = {key: request.session.get(key) for key in STUDENT_KEYS}
    return render_lesson(request, "first-session", {"stored": stored})


@require_POST
def forget(request):
    """Forget sname and semail, and only those: the course progress and other
    lessons' keys stay, so "open /gsession first" can be tried again."""
    for key in STUDENT_KEYS:
        request.session.pop(key, None)
    return redirect(reverse("myapp:first-session") + "#demo")


SHOWN = (views.setsession, views.getsession, forget)

urlpatterns = [
    # ex: /lessons/first-session/
    path("", page, name="first-session"),
    # ex: /lessons/first-session/forget/ (POST)
    path("forget/", forget, name="first-session-forget"),
]
