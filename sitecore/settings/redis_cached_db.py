"""Sessions written through to the database and read from Redis first.

While Redis is down, sessions are read from and written to the database, and
each cache failure is logged. Django's own cached_db does that only for the
cache write in save(); myapp/session_backends/cached_db.py covers the rest.
"""

from .redis import *  # noqa: F403

# https://docs.djangoproject.com/en/5.2/topics/http/sessions/#using-cached-sessions
SESSION_ENGINE = "myapp.session_backends.cached_db"
