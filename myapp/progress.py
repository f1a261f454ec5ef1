"""The learner's progress, kept in the session: the course uses what it teaches.

One key holds ``{"opened": [slugs], "done": [slugs]}``: lists, because the
session serializer is JSON and has no sets. Writes replace the whole value,
so Django notices the change (mutating the nested lists in place would not
mark the session modified).
"""

PROGRESS_KEY = "course_progress"


def read_progress(session):
    progress = session.get(PROGRESS_KEY) or {}
    return {
        "opened": list(progress.get("opened", [])),
        "done": list(progress.get("done", [])),
    }


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
