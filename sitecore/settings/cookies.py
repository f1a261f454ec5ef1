"""Sessions stored in the cookie itself: signed, NOT encrypted, about 4 KB.

Anyone holding the cookie can read the data (it is base64-encoded JSON), and
the signature only proves the server wrote it. Browsers drop cookies over about
4096 bytes. Logging out cannot revoke an old copy of the cookie: it stays valid
until it expires, so keep only non-sensitive data here.
"""

from .base import *  # noqa: F403

# https://docs.djangoproject.com/en/5.2/topics/http/sessions/#using-cookie-based-sessions
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
