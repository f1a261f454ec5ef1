"""Lesson 3: seed 000's /ssession and /gsession, and why .get() beats []."""

from django.urls import path
from django.views.decorators.http import require_GET

from myapp import views
from myapp.course import render_lesson

SHOWN = (views.setsession, views.getsession)


@require_GET
def page(request):
    """Explain the two seed views; the demo is a visit to each."""
    return render_lesson(request, "first-session")


urlpatterns = [
    # ex: /lessons/first-session/
    path("", page, name="first-session"),
]
