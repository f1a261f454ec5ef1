"""The learner's progress, kept in the session: the course uses what it teaches.

One key holds ``{"opened": [slugs], "done": [slugs]}``: lists, because the
session serializer is JSON and has no sets. Writes replace the whole value,
so Django notices the change (mutating the nested lists in place would not
mark the session modified).

Progress never starts a session for a browser that may not keep cookies. A
crawler or a load test sends none back: a record for it would be a stored
session per request, never read again. So "opened" is written only once the
browser has shown it keeps this site's cookies, and "done" only into a
session the demo itself is saving anyway (see CourseProgressMiddleware).
"""

from django.conf import settings

PROGRESS_KEY = "course_progress"


def read_progress(session):
    progress = session.get(PROGRESS_KEY) or {}
    return {
        "opened": list(progress.get("opened", [])),
        "done": list(progress.get("done", [])),
    }


def keeps_cookies(request):
    """True when the browser has shown that it keeps this site's cookies.

    Either it brought back the CSRF cookie an earlier page set (every lesson
    page sets one), so a learner's second page is recorded; or it brought
    back a session the store still has.
    """
    if not settings.CSRF_USE_SESSIONS and settings.CSRF_COOKIE_NAME in request.COOKIES:
        return True
    # Loading comes first. Until then session_key is whatever the cookie said,
    # even a key the store never issued; the server-side engines set it to
    # None then. signed_cookies keeps it (and replaces the cookie on save).
    read_progress(request.session)
    return request.session.session_key is not None


def _record(session, kind, slug):
    progress = read_progress(session)
    if slug in progress[kind]:
        return  # Already recorded: no write, so no new Set-Cookie.
    progress[kind].append(slug)
    session[PROGRESS_KEY] = progress


def mark_opened(session, slug):
    _record(session, "opened", slug)


def mark_done(session, slug):
    _record(session, "done", slug)


def reset_progress(session):
    """Forget progress only; every other key of the session stays."""
    session.pop(PROGRESS_KEY, None)
