"""Sessions that end when the browser closes: a cookie without Max-Age.

Not Django's default (sessions are persistent for two weeks). The row on the
server still expires after SESSION_COOKIE_AGE; only the cookie is temporary.
"""

from .db import *  # noqa: F403

# https://docs.djangoproject.com/en/5.2/ref/settings/#session-expire-at-browser-close
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
