"""Lesson 15: several server processes, and the session stores they share."""

import os

from django.conf import settings
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from myapp import checks, store_errors
from myapp.course import render_lesson
from myapp.lessons import performance
from myapp.session_backends import cache, cached_db

# The ids of the processes that wrote to this session, oldest first.
WRITTEN_BY_KEY = "scaling_written_by"
# Keep the last few only: the session stays small however often you press.
KEEP_LAST = 8

# `make run-multi` serves the course from two gunicorn processes on these ports.
RUN_MULTI_PORTS = ("8001", "8002")

# The settings modules whose cost the page shows, in the order it discusses them.
COST_CASES = ("cookies", "redis", "redis_cached_db", "db", "postgres", "cache")


def situation(request):
    """Which setup served this page, and where the learner finds a second process.

    "multi": one of the two gunicorn processes of `make run-multi`;
    "runserver": `make run`, one process; "other": any other server.
    """
    server = request.META.get("SERVER_SOFTWARE", "")
    port = request.get_port()
    if server.startswith("gunicorn") and port in RUN_MULTI_PORTS:
        other = RUN_MULTI_PORTS[1 - RUN_MULTI_PORTS.index(port)]
        # The same host name: a browser keeps cookies per host, not per port.
        host = request.get_host().rpartition(":")[0]
        url = f"http://{host}:{other}{reverse('myapp:scaling-out')}#demo"
        return {"kind": "multi", "port": port, "other_url": url}
    if server.startswith("WSGIServer"):
        return {"kind": "runserver", "port": port}
    return {"kind": "other", "port": port}


def costs():
    """What a read and a write cost under each shared store, from the run that
    lesson 16 charts: one set of numbers for both lessons."""
    results, which, _ = performance.latest_results()
    by_settings = {result["settings"]: result for result in results["results"]}
    rows = [
        performance.cost_row(by_settings[name])
        for name in COST_CASES
        if name in by_settings
    ]
    return {"rows": rows, "which": which, "mode": results["mode"]}


@require_GET
def page(request):
    """Show which process answers this request, and which processes wrote the
    session it found: with a shared store, all of them; with locmem, only this one."""
    return render_lesson(
        request,
        "scaling-out",
        {
            "pid": os.getpid(),
            "server": request.META.get("SERVER_SOFTWARE", "unknown"),
            "situation": situation(request),
            "run_multi_ports": RUN_MULTI_PORTS,
            "cookie_sent": settings.SESSION_COOKIE_NAME in request.COOKIES,
            "written_by": request.session.get(WRITTEN_BY_KEY, []),
            "costs": costs(),
        },
    )


@require_POST
def record(request):
    """Add this process's id to the session: a write made by one process that
    the next request, perhaps served by another, must read back."""
    written_by = request.session.get(WRITTEN_BY_KEY, [])
    # A new list, not append(): assigning marks the session modified.
    request.session[WRITTEN_BY_KEY] = [*written_by, os.getpid()][-KEEP_LAST:]
    return redirect(reverse("myapp:scaling-out") + "#demo")


@require_POST
def forget(request):
    """Remove the demo's key, and only that."""
    request.session.pop(WRITTEN_BY_KEY, None)
    return redirect(reverse("myapp:scaling-out") + "#demo")


SHOWN = (
    page,
    record,
    forget,
    situation,
    cache.SessionStore,
    cached_db.SessionStore,
    store_errors.server_error,
    store_errors.store_unavailable,
    checks.redis_is_reachable,
    checks.postgresql_is_reachable,
    "sitecore/settings/redis.py",
    "sitecore/settings/redis_cached_db.py",
    "sitecore/settings/postgres.py",
)

urlpatterns = [
    # ex: /lessons/scaling-out/
    path("", page, name="scaling-out"),
    # ex: /lessons/scaling-out/record/ (POST)
    path("record/", record, name="scaling-out-record"),
    # ex: /lessons/scaling-out/forget/ (POST)
    path("forget/", forget, name="scaling-out-forget"),
]
