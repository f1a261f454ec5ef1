"""The learner's progress, kept in the session: the course uses what it teaches.

One key holds ``{"opened": [slugs], "done": [slugs]}``: lists, because the
session serializer is JSON and has no sets. Writes replace the whole value,
so Django notices the change (mutating the nested lists in place would not
mark the session modified).

Progress never starts a session on its own. A browser that has sent no
session cookie may not keep cookies at all (a crawler, a load test): a
record for it would be a stored session per request, never read again. So
"opened" is written only into a session that already exists, and "done" only
into one the demo itself is saving anyway (see CourseProgressMiddleware).
"""

PROGRESS_KEY = "course_progress"


def read_progress(session):
    progress = session.get(PROGRESS_KEY) or {}
    return {
        "opened": list(progress.get("opened", [])),
        "done": list(progress.get("done", [])),
    }


def is_kept(session):
    """True when the request brought back the cookie of a session the store
    still has: the browser has shown that it keeps the session cookie.

    Loading comes first. Until then ``session_key`` is whatever the cookie
    said, even a key the store never issued; loading sets it to None when the
    store has no such session.
    """
    read_progress(session)
    return session.session_key is not None


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
