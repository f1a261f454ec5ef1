"""Lesson 2: the sessions app, SessionMiddleware, migrate and django_session."""

import inspect

from django.apps import apps
from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET, require_POST

from myapp.context_processors import engine_label
from myapp.course import render_lesson
from myapp.inspector import shorten

SESSION_APP = "django.contrib.sessions"
SAVED_AT_KEY = "setup_saved_at"

# Middleware that must come after SessionMiddleware: most use request.session.
NEEDS_SESSION = {
    "django.contrib.auth.middleware.AuthenticationMiddleware": (
        "reads the logged-in user's id from the session"
    ),
    "django.contrib.messages.middleware.MessageMiddleware": (
        "the default message storage (FallbackStorage) keeps what does not fit "
        "in its cookie in the session"
    ),
    "myapp.middleware.CourseProgressMiddleware": (
        "this course's own: writes your progress into the session"
    ),
    "django.middleware.cache.FetchFromCacheMiddleware": (
        "picks a cached page by the Vary headers, and SessionMiddleware adds "
        "Vary: Cookie"
    ),
}
# Middleware that must see what SessionMiddleware adds to the response on the
# way out, so it must come before it.
NEEDS_SESSION_RESPONSE = {
    "myapp.middleware.ShowResponseHeadersMiddleware": (
        "this course's own: shows the Set-Cookie SessionMiddleware adds"
    ),
    "django.middleware.cache.UpdateCacheMiddleware": (
        "must see Vary: Cookie, or it caches one visitor's page for everyone"
    ),
}


def is_session_middleware(dotted_path):
    """SessionMiddleware or a subclass (lesson 19's engine brings one), as
    the admin's system check counts it."""
    try:
        middleware = import_string(dotted_path)
    except ImportError:
        return False
    return inspect.isclass(middleware) and issubclass(middleware, SessionMiddleware)


def middleware_report(middleware):
    """Each MIDDLEWARE entry in order, with what it needs from SessionMiddleware
    and whether the order gives it that."""
    needs_session = dict(NEEDS_SESSION)
    if settings.CSRF_USE_SESSIONS:
        needs_session["django.middleware.csrf.CsrfViewMiddleware"] = (
            "CSRF_USE_SESSIONS is on: the CSRF token lives in the session"
        )
    found = [at for at, entry in enumerate(middleware) if is_session_middleware(entry)]
    session_at = found[0] if found else None
    report = []
    for position, dotted_path in enumerate(middleware):
        entry = {
            "position": position + 1,
            "path": dotted_path,
            # For the template: a long path may break after each dot.
            "parts": dotted_path.split("."),
            "is_session": position == session_at,
            "role": "",
            "ok": True,
        }
        if entry["is_session"]:
            entry["role"] = (
                "attaches request.session on the way in, saves it on the way out"
            )
        elif dotted_path in needs_session:
            entry["role"] = f"after SessionMiddleware: {needs_session[dotted_path]}"
            entry["ok"] = session_at is not None and position > session_at
        elif dotted_path in NEEDS_SESSION_RESPONSE:
            entry["role"] = (
                f"before SessionMiddleware: {NEEDS_SESSION_RESPONSE[dotted_path]}"
            )
            entry["ok"] = session_at is not None and position < session_at
        report.append(entry)
    return report


def table_report(table):
    """The session table as the database describes it: columns, indexes, rows."""
    with connection.cursor() as cursor:
        if table not in connection.introspection.table_names(cursor):
            return {"exists": False, "name": table}
        description = connection.introspection.get_table_description(cursor, table)
        constraints = connection.introspection.get_constraints(cursor, table)
    fields = {field.column: field for field in Session._meta.fields}
    columns = [
        {
            "name": column.name,
            "type": fields[column.name].db_type(connection)
            if column.name in fields
            else "",
            "field": type(fields[column.name]).__name__
            if column.name in fields
            else "",
            "null": column.null_ok,
            "primary_key": fields.get(column.name) is not None
            and fields[column.name].primary_key,
        }
        for column in description
    ]
    indexes = [
        {"name": name, "columns": ", ".join(constraint["columns"])}
        for name, constraint in sorted(constraints.items())
        if constraint["index"] and not constraint["primary_key"]
    ]
    return {
        "exists": True,
        "name": table,
        "columns": columns,
        "indexes": indexes,
        "rows": Session.objects.count(),
        "live_rows": Session.objects.filter(expire_date__gt=timezone.now()).count(),
    }


def your_row(session_key):
    """This browser's row in django_session, if the engine keeps one there."""
    if session_key is None:
        return None
    return Session.objects.filter(session_key=session_key).first()


@require_GET
def page(request):
    """Show the session setup as the running project has it: apps, middleware, table."""
    table = table_report(Session._meta.db_table)
    middleware = middleware_report(settings.MIDDLEWARE)
    context = {
        "installed_apps": settings.INSTALLED_APPS,
        "session_app": SESSION_APP,
        "sessions_installed": apps.is_installed(SESSION_APP),
        "middleware": middleware,
        "session_middleware": next((e for e in middleware if e["is_session"]), None),
        "engine": engine_label(),
        "table": table,
        "migrated": ("sessions", "0001_initial")
        in MigrationRecorder(connection).applied_migrations(),
        "saved_at": request.session.get(SAVED_AT_KEY),
    }
    row = your_row(request.session.session_key) if table["exists"] else None
    if row is not None:
        context.update(row=row, row_key=shorten(row.session_key))
    return render_lesson(request, "setup", context)


@require_POST
def save(request):
    """Change the session so SessionMiddleware saves it: with the db engine that
    writes (or rewrites) this browser's row."""
    request.session[SAVED_AT_KEY] = timezone.now().isoformat(timespec="seconds")
    return redirect(reverse("myapp:setup") + "#demo")


@require_POST
def flush(request):
    """flush(): the row is deleted, and the cookie with it; a later save makes a
    new key and a new row."""
    request.session.flush()
    return redirect(reverse("myapp:setup") + "#demo")


SHOWN = (page, middleware_report, table_report, your_row, save, flush)

urlpatterns = [
    # ex: /lessons/setup/
    path("", page, name="setup"),
    # ex: /lessons/setup/save/ (POST)
    path("save/", save, name="setup-save"),
    # ex: /lessons/setup/flush/ (POST)
    path("flush/", flush, name="setup-flush"),
]
