"""URLs of the course. Templates and views use names ({% url 'myapp:home' %}),
never paths; the seeds' own paths (/ssession, /gsession, /login/ ...) are kept."""

from django.shortcuts import render
from django.urls import include, path
from django.views.generic import RedirectView

from myapp import views
from myapp.course import live_lessons

app_name = "myapp"

urlpatterns = [
    # ex: /
    path("", views.index, name="index"),
    # ex: /progress/reset/ (POST)
    path("progress/reset/", views.reset_course_progress, name="reset-progress"),
    # Seed 000. ex: /ssession, /gsession
    path("ssession", views.setsession, name="setsession"),
    path("gsession", views.getsession, name="getsession"),
    # Seed 002. ex: /login/, /home/, /logout/ (POST)
    path("login/", views.login, name="login"),
    path("home/", views.home, name="home"),
    path("logout/", views.logout, name="logout"),
    # "Why is my session…?", a page, not a lesson. ex: /troubleshooting/
    path("troubleshooting/", include("myapp.troubleshooting")),
]

# Each live lesson brings its own URLs. ex: /lessons/visit-counter/
urlpatterns += [
    path(f"lessons/{lesson.slug}/", include(lesson.module_name))
    for lesson in live_lessons()
]


def lesson_not_found(request, rest):
    """The course's own 404 for an unknown address under /lessons/, listing the
    lessons: a learner sees it with DEBUG on too, where Django would show its
    technical 404, a page for the developer."""
    context = {"request_path": request.path, "lessons": live_lessons()}
    return render(request, "404.html", context, status=404)


# Addresses a learner guesses lead somewhere. ex: /lessons/ -> the index,
# /lessons/6/ -> /lessons/visit-counter/, /lessons/nope/ -> the lesson list.
urlpatterns += [
    path("lessons/", RedirectView.as_view(pattern_name="myapp:index"), name="lessons"),
    *(
        path(
            f"lessons/{lesson.number}/",
            RedirectView.as_view(pattern_name=f"myapp:{lesson.slug}"),
            name=f"lesson-{lesson.number}",
        )
        for lesson in live_lessons()
    ),
    # Last: every lesson's own URLs above come first.
    path("lessons/<path:rest>/", lesson_not_found, name="lesson-not-found"),
]
