"""Sessions written through to the database and read from Redis first.

A lost or unreachable Redis loses nothing: since Django 5.1 the cached_db
engine logs the cache error and serves the session from the database.
"""

from .redis import *  # noqa: F403

# https://docs.djangoproject.com/en/5.2/topics/http/sessions/#using-cached-sessions
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
