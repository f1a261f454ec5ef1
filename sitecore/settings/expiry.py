"""Expiry settings on the db engine: one hour, as in a popular tutorial.

Run with ``make run ENGINE=expiry``; change the values below to try each policy.
"""

from .db import *  # noqa: F403

# One hour, counted from the session's last modification.
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-cookie-age
SESSION_COOKIE_AGE = 3600

# True would make a browser-session cookie (no Max-Age), gone when the browser
# quits. Django's default is False: sessions are persistent.
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-expire-at-browser-close
SESSION_EXPIRE_AT_BROWSER_CLOSE = False

# Sliding expiry: save on every request, so each visit restarts the hour.
# https://docs.djangoproject.com/en/5.2/ref/settings/#session-save-every-request
SESSION_SAVE_EVERY_REQUEST = True
