"""URLs of the course. Templates and views use names ({% url 'myapp:home' %}),
never paths; the seeds' own paths (/ssession, /gsession, /login/ ...) are kept."""

from django.urls import include, path

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
]

# Each live lesson brings its own URLs. ex: /lessons/visit-counter/
urlpatterns += [
    path(f"lessons/{lesson.slug}/", include(lesson.module_name))
    for lesson in live_lessons()
]
