"""What every page shows: the running engine and expiry policy, and the theme."""

from django.conf import settings

# The preferences lesson stores the learner's theme here; base.html applies it.
THEME_KEY = "theme"
THEMES = ("light", "dark", "contrast")
DEFAULT_THEME = "light"


def engine_label():
    """'db', 'file', 'cache', 'cached_db' or 'signed_cookies' (or a custom path)."""
    engine = settings.SESSION_ENGINE
    prefix = "django.contrib.sessions.backends."
    return engine.removeprefix(prefix)


def readable_seconds(seconds):
    """1209600 -> '14 days', 3600 -> '1 hour', 90 -> '90 seconds'."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def expiry_policy():
    """Describe the running expiry settings in one sentence."""
    if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE:
        policy = "ends when the browser closes"
    else:
        age = readable_seconds(settings.SESSION_COOKIE_AGE)
        policy = f"expires {age} after the last change"
    if settings.SESSION_SAVE_EVERY_REQUEST:
        policy += ", renewed on every request"
    return policy


def theme_of(request):
    """The visitor's theme, if the session holds one the site knows.

    Reading stores nothing: a new visitor gets the default and no session.
    """
    session = getattr(request, "session", None)
    theme = session.get(THEME_KEY) if session is not None else None
    return theme if theme in THEMES else DEFAULT_THEME


def course(request):
    return {
        "session_engine": engine_label(),
        "session_settings_module": settings.SETTINGS_MODULE,
        "session_expiry_policy": expiry_policy(),
        "theme": theme_of(request),
    }
