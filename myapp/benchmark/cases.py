"""What sessionbench measures: the cases (one settings module each) and views."""

from dataclasses import dataclass, field
from importlib.util import find_spec


@dataclass(frozen=True)
class Case:
    settings: str  # a module of sitecore/settings/ (or the case's name, with base)
    store: str  # where the sessions live, in words
    needs: str = ""  # a server that must answer: "redis" or "postgres"
    # An engine from a package that is not in requirements.txt: the case is
    # skipped, with the reason, where it is not installed.
    package: str = ""
    # For an engine without a settings module of its own in the course: the
    # module it starts from, and the settings it changes (each value a Python
    # expression, written into the case's settings file).
    base: str = ""
    overrides: dict = field(default_factory=dict, hash=False)

    @property
    def module(self):
        return f"sitecore.settings.{self.base or self.settings}"

    def missing(self):
        """Why this case cannot run in this environment, or "" when it can."""
        if find_spec(self.module) is None:
            return f"{self.module} does not exist (yet)"
        if self.package and find_spec(self.package) is None:
            return (
                f"the {self.package} package is not installed (not in "
                "requirements.txt: pip install it, or put it on PYTHONPATH)"
            )
        return ""


CASES = (
    Case("base", "SQLite, Django's defaults"),
    Case("db", "SQLite, WAL, CONN_MAX_AGE=60"),
    Case("file", "one file per session"),
    Case("cache", "local-memory cache"),
    Case("cached_db", "local-memory cache + SQLite, Django's defaults"),
    Case("cookies", "the cookie itself"),
    # The engines on the same Redis, side by side: Django's cache engine,
    # cached_db in front of SQLite, the course's own one-round-trip engine and
    # a published one.
    Case("redis", "Redis, through Django's cache", needs="redis"),
    Case("redis_cached_db", "Redis + SQLite, Django's defaults", needs="redis"),
    Case("redis_direct", "Redis, straight on redis-py: lesson 27", needs="redis"),
    # A published engine for the same job, measured where it is installed:
    # pip install --target <dir> django-redis-sessions==0.6.2, then
    # PYTHONPATH=<dir> python manage.py sessionbench --only redis_sessions
    Case(
        "redis_sessions",
        "Redis, django-redis-sessions 0.6.2",
        needs="redis",
        package="redis_sessions",
        base="redis",
        overrides={
            "SESSION_ENGINE": '"redis_sessions.session"',
            "SESSION_REDIS": '{"url": REDIS_URL, "prefix": "sessionbench"}',
        },
    ),
    Case("postgres", "PostgreSQL", needs="postgres"),
)
CASES_BY_NAME = {case.settings: case for case in CASES}

# The views a case times. Each ratio compares a view with "baseline", measured
# by the same process in the same round.
KINDS = ("baseline", "read", "write")
URL_NAMES = {
    "baseline": "myapp:performance-no-session",
    "read": "myapp:performance-read",
    "write": "myapp:performance-write",
}
# With --pages, a whole lesson page as well: the visit counter (lesson 6) reads
# the session and shows the inspector, its code and its response headers, like
# every lesson page.
PAGE = "page"
PAGE_URL_NAME = "myapp:visit-counter"

# How to start what a case needs, for the message when it does not answer.
START = {
    "redis": 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" '
    "--appendonly no",
    "postgres": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) "
    "main start",
}


class BenchmarkError(Exception):
    """A measuring process failed: the benchmark has no number to report."""


class Unavailable(Exception):
    """A store the case needs does not answer; the case is skipped, not failed."""
