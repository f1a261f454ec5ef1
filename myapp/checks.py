"""System checks: the shared stores the settings name must be answering.

``make run`` runs ``migrate`` first, and ``migrate`` runs the system checks:
a Redis or PostgreSQL that is not running stops it with one line that says how
to start it, instead of a traceback at the first request. Registered in
myapp/apps.py.
"""

from urllib.parse import urlsplit

import django
from django.conf import settings
from django.core.cache import caches
from django.core.checks import Error, Tags, register
from django.db import OperationalError, connections

from myapp.store_errors import CACHE_UNREACHABLE

REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
START_POSTGRESQL = (
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
)

# The oldest Django the course runs on: the last of the 2026 session, cookie
# and cache fixes came in 5.2.19 (lesson 25 explains each).
MINIMUM_DJANGO = (5, 2, 19)
SESSION_CACHE_FIXES = (
    "CVE-2026-35192 and CVE-2026-6907 (5.2.14), CVE-2026-6873 (5.2.15), "
    "CVE-2026-48588 (5.2.16) and CVE-2026-113593 (5.2.19)"
)


@register(Tags.compatibility)
def django_has_the_session_cache_fixes(app_configs=None, **kwargs):
    """An Error on any Django older than 5.2.19, which lacks session fixes."""
    if django.VERSION[:3] >= MINIMUM_DJANGO:
        return []
    found = ".".join(str(part) for part in django.VERSION[:3])
    return [
        Error(
            f"Django {found} is installed; this course needs Django 5.2.19 or later.",
            hint=(
                "Install the version requirements.txt pins (pip install -r "
                f"requirements.txt): it has the fixes for {SESSION_CACHE_FIXES}."
            ),
            id="myapp.E003",
        )
    ]


def redis_is_reachable(app_configs=None, **kwargs):
    """An Error for every RedisCache in CACHES whose server does not answer."""
    errors = []
    for alias, config in settings.CACHES.items():
        if config["BACKEND"] != REDIS_CACHE:
            continue
        try:
            caches[alias].get("sessions-course:system-check")
        except CACHE_UNREACHABLE as error:
            location = without_password(first_location(config["LOCATION"]))
            errors.append(
                Error(
                    f"Redis does not answer at {location} (CACHES[{alias!r}]): {error}",
                    hint=start_redis_hint(location),
                    id="myapp.E001",
                )
            )
    return errors


def postgresql_is_reachable(app_configs=None, databases=None, **kwargs):
    """An Error for every PostgreSQL database the command uses that does not answer.

    A database check: Django runs it for the databases a command names
    (``migrate`` names its own; ``check --database default``), not for all.
    """
    errors = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        try:
            connection.ensure_connection()
        except OperationalError as error:
            reason = " ".join(str(error).split())
            errors.append(
                Error(
                    f"PostgreSQL does not answer for DATABASES[{alias!r}]: {reason}",
                    hint=(
                        f"Start it with: {START_POSTGRESQL} (or point "
                        "DATABASE_URL, or PGHOST/PGUSER/PGDATABASE, at a "
                        "running server; createdb NAME makes a missing database)."
                    ),
                    id="myapp.E002",
                )
            )
    return errors


def first_location(location):
    """RedisCache takes one URL, a comma-separated string or a list; it writes
    to the first."""
    if isinstance(location, str):
        location = location.split(",")
    return location[0].strip()


def without_password(url):
    """The URL as it may be printed: no user name or password."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


def start_redis_hint(url):
    parts = urlsplit(url)
    if parts.hostname not in LOCAL_HOSTS:
        return "Start that Redis server, or point REDIS_URL at a running one."
    return (
        "Start it with: redis-server --daemonize yes --bind 127.0.0.1 "
        f'--port {parts.port or 6379} --save "" --appendonly no'
    )
