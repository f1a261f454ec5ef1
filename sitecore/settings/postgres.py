"""Sessions in PostgreSQL: the db engine on a database every server can share.

The connection comes from DATABASE_URL (postgres://user:password@host:port/name)
or, when it is unset, from libpq's own PGHOST, PGPORT, PGUSER, PGPASSWORD and
PGDATABASE variables. ``make run`` says how to start PostgreSQL when it does
not answer (myapp/checks.py).
"""

import os
from urllib.parse import unquote, urlsplit

from .db import *  # noqa: F403


def postgres_from_environment():
    url = os.environ.get("DATABASE_URL")
    if not url:
        # Empty values let libpq read the PG* variables itself.
        return {"NAME": os.environ.get("PGDATABASE", "postgres")}
    parts = urlsplit(url)
    return {
        "NAME": unquote(parts.path.lstrip("/")) or "postgres",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


# https://docs.djangoproject.com/en/5.2/ref/databases/#postgresql-notes
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        **postgres_from_environment(),
        # Keep a connection for 60 s, and check it before reusing it: after a
        # server restart the next request reconnects instead of failing.
        # https://docs.djangoproject.com/en/5.2/ref/databases/#persistent-database-connections
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        # A server that does not answer fails the request after 3 seconds.
        # https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNECT-CONNECT-TIMEOUT
        "OPTIONS": {"connect_timeout": 3},
    }
}

# https://docs.djangoproject.com/en/5.2/topics/http/sessions/#using-database-backed-sessions
SESSION_ENGINE = "django.contrib.sessions.backends.db"
