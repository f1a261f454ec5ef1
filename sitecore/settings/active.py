"""The active-sessions engine (lesson 19): sessions that know their user and device.

Database sessions in the course's own table (myapp_activesession), with the
user, user agent, IP address and last activity as columns. Run with
``make run ENGINE=active``.
"""

from .db import *  # noqa: F403
from .db import MIDDLEWARE

# https://docs.djangoproject.com/en/5.2/topics/http/sessions/#extending-database-backed-session-engines
SESSION_ENGINE = "myapp.active_sessions"

# The engine's middleware takes SessionMiddleware's place, at the same spot:
# it is SessionMiddleware, plus handing the store the user agent and IP.
MIDDLEWARE = [
    "myapp.active_sessions.ActiveSessionMiddleware"
    if name == "django.contrib.sessions.middleware.SessionMiddleware"
    else name
    for name in MIDDLEWARE
]
