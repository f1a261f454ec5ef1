"""Lesson 5: a popular tutorial's login, home and logout, validated and POST-only."""

from django.urls import path
from django.views.decorators.http import require_GET

from myapp import views
from myapp.course import render_lesson
from myapp.forms import LoginForm

SHOWN = (LoginForm, views.login, views.home, views.logout)


@require_GET
def page(request):
    """Explain the three views; the demo is the login form itself."""
    username = request.session.get(views.USERNAME_KEY)
    return render_lesson(request, "login-form", {"username": username})


urlpatterns = [
    # ex: /lessons/login-form/
    path("", page, name="login-form"),
]
