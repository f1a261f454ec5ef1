"""Sessions in the database (the django_session table): Django's default."""

from .base import *  # noqa: F403

# https://docs.djangoproject.com/en/5.2/topics/http/sessions/#using-database-backed-sessions
SESSION_ENGINE = "django.contrib.sessions.backends.db"
