"""Lesson 14: sessions outside views: SessionStore, the Session model, a command."""

from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from myapp.course import render_lesson
from myapp.inspector import shorten
from myapp.management.commands.sessions import (
    PAGE_COUNT_LIMIT,
    Command,
    NotListable,
    describe,
    session_counts,
    stored_session,
)

TRANSCRIPT_KEY = "outside_views_transcript"

# What you would type in `python manage.py shell`, one line at a time. The
# demo runs exactly these lines on this server's engine; they are constants
# of this module, never user input.
RECIPE = (
    "from importlib import import_module",
    "from django.conf import settings",
    "from django.contrib.sessions.models import Session",
    "SessionStore = import_module(settings.SESSION_ENGINE).SessionStore",
    "s = SessionStore()",
    "s['made_by'] = 'a script'",
    "s.session_key is None",
    "s.save()",
    "s.session_key",
    "first_key = s.session_key",
    "SessionStore(session_key=first_key)['made_by']",
    "Session.objects.get(pk=first_key).get_decoded()",
    "s.create()",
    "s.session_key == first_key",
    "SessionStore().exists(first_key)",
    "SessionStore(session_key='nosuchsession0000000000000000000').load()",
    "s.delete(first_key)",
    "s.delete()",
)


def run_in_shell(lines):
    """Run lines the way the interactive shell does; return [line, output] pairs.

    An expression shows its repr (None shows nothing), an exception its last
    traceback line. Session keys in the output are shortened.
    """
    namespace = {}
    transcript = []
    for line in lines:
        try:
            try:
                code = compile(line, "<shell>", "eval")
            except SyntaxError:
                exec(compile(line, "<shell>", "exec"), namespace)
                output = ""
            else:
                value = eval(code, namespace)
                output = "" if value is None else repr(value)
        except Exception as error:
            output = f"{type(error).__qualname__}: {error}"
        for key in (
            namespace.get("first_key"),
            getattr(namespace.get("s"), "session_key", None),
        ):
            if key:
                output = output.replace(key, shorten(key))
        # Lists, not tuples: the transcript goes into the session, through JSON.
        transcript.append([line, output])
    return transcript


@require_GET
def page(request):
    """The command's code on a public page: counts for everyone, details for you.

    Other visitors' keys and data stay off this page, and so does their cost:
    the counts stop at a fixed limit, and only your own record is read.
    """
    # Reading loads the session: an unknown key is dropped here (signed_cookies
    # keeps a forged one, which owns no stored record either).
    transcript = request.session.get(TRANSCRIPT_KEY)
    own_key = request.session.session_key
    try:
        counts, not_listable = session_counts(), None
    except NotListable as reason:
        counts, not_listable = None, str(reason)
    own = stored_session(own_key) if counts is not None else None
    context = {
        "recipe": RECIPE,
        "transcript": transcript,
        "counts": counts,
        "count_limit": f"{PAGE_COUNT_LIMIT:,}",
        "not_listable": not_listable,
        "own": describe(own) if own else None,
        "own_key": shorten(own_key),
        "command_help": Command.help,
    }
    return render_lesson(request, "outside-views", context)


@require_POST
def run_recipe(request):
    """Run the shell recipe on this engine; keep its transcript in your session."""
    request.session[TRANSCRIPT_KEY] = run_in_shell(RECIPE)
    return redirect(reverse("myapp:outside-views") + "#outside-transcript")


SHOWN = (run_recipe, run_in_shell, page, "myapp/management/commands/sessions.py")

urlpatterns = [
    # ex: /lessons/outside-views/
    path("", page, name="outside-views"),
    # ex: /lessons/outside-views/run/ (POST)
    path("run/", run_recipe, name="outside-views-run"),
]
