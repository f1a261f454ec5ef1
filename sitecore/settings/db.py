"""Sessions in the database (the django_session table): Django's default.

The SQLite database is tuned the way lesson 16 measures it: one connection kept
across requests, and the write-ahead log. base.py keeps Django's defaults.
"""

from .base import *  # noqa: F403
from .base import DATABASES

# https://docs.djangoproject.com/en/5.2/topics/http/sessions/#using-database-backed-sessions
SESSION_ENGINE = "django.contrib.sessions.backends.db"

DATABASES = {
    "default": {
        **DATABASES["default"],
        # Reuse a connection for 60 s instead of opening one for every request.
        # https://docs.djangoproject.com/en/5.2/ref/databases/#persistent-database-connections
        "CONN_MAX_AGE": 60,
        "OPTIONS": {
            # Write-ahead log: a commit appends to a log, readers never wait.
            # https://docs.djangoproject.com/en/5.2/ref/databases/#setting-pragma-options
            "init_command": "PRAGMA journal_mode=WAL",
        },
    }
}
