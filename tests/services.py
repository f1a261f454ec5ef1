"""Real services for the tests that need them: Redis, PostgreSQL, gunicorn.

Outside CI a missing service skips its tests with a reason that says how to
start it. Under CI (any true value: CI=1, CI=true, CI=yes; .ci/run exports
CI=true) it fails them instead, and tests/conftest.py fails a CI run that
skipped any test at all: CI must never count a skipped test as a pass.

Safe under pytest-xdist: every server a test starts gets a port from its own
worker's range, every database and directory a name of its own, and the
tests that use the shared Redis (REDIS_URL) keep their keys under a prefix of
their own process (redis_key_prefix()) instead of flushing the database.
"""

import http.client
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest

from myapp.benchmark import servers

# Servers start, listen and stop the same way for the tests and sessionbench:
# on a port of this worker's own (pytest-xdist), stopped by their process id.
from myapp.benchmark.servers import PROJECT_DIR, free_port, running

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
START_REDIS = (
    'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" '
    "--appendonly no"
)
START_POSTGRES = (
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
)


# What CI=... means "not CI": unset, empty, or one of these (any case).
NOT_CI = {"", "0", "false", "no", "off"}


def in_ci(environ=os.environ):
    """Whether this is a CI run: CI set to anything true (1, true, yes, or the
    name of a CI service), not to 0, false, no, off or nothing."""
    return environ.get("CI", "").strip().lower() not in NOT_CI


def unavailable(reason):
    """Skip with the reason, or fail under CI."""
    if in_ci():
        ci = os.environ["CI"]
        pytest.fail(f"{reason} (CI={ci}: service tests must run, not skip)")
    pytest.skip(reason)


def redis_reachable(url=REDIS_URL):
    try:
        import redis

        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        return False


def require_redis(url=REDIS_URL):
    if not redis_reachable(url):
        unavailable(f"Redis is not running at {url}; start it with: {START_REDIS}")
    return url


def require_command(name, package):
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name} is not installed: apt-get install -y {package}")
    return path


def redis_key_prefix():
    """A cache KEY_PREFIX for this test process on the shared Redis: parallel
    workers (and a developer's own sessions in it) never see its keys."""
    return f"sessions-course-test-{os.getpid()}"


@contextmanager
def gunicorn(settings_module, workers=1, env=None):
    """Serve the project with gunicorn on a free 127.0.0.1 port; yield its base URL."""
    environment = {"DJANGO_SETTINGS_MODULE": settings_module, **(env or {})}
    with servers.gunicorn(workers, env=environment) as port:
        yield f"http://127.0.0.1:{port}"


@contextmanager
def private_redis(*options):
    """A redis-server of the test's own on a free port, started with the
    given extra options; yield (url, process)."""
    with private_redis_on(free_port(), *options) as started:
        yield started


# --- Lesson 15 (scaling-out) and the fault tests ---------------------------
# PostgreSQL, a Redis restarted on its own port, plain HTTP with the cookies
# carried by hand, and settings modules whose state lives in a test directory.


def postgres_reachable():
    """Whether libpq's defaults (PGHOST, PGUSER ...) reach a PostgreSQL server."""
    try:
        import psycopg

        with psycopg.connect(dbname="postgres", connect_timeout=2):
            return True
    except Exception:
        return False


def require_postgres():
    if not postgres_reachable():
        unavailable(f"PostgreSQL is not running; start it with: {START_POSTGRES}")


@contextmanager
def throwaway_postgres_database():
    """A new, empty PostgreSQL database of the test's own; yield its name, then
    drop it. Servers reach it with PGDATABASE=<name> and sitecore.settings.postgres."""
    import psycopg

    require_postgres()
    name = f"sessions_course_{os.getpid()}_{time.monotonic_ns()}"
    with psycopg.connect(dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def private_redis_on(port, *options):
    """A redis-server of the test's own on the given port (also to restart
    one that private_redis() started), keeping nothing on disk; yield (url,
    process)."""
    server = require_command("redis-server", "redis-server")
    command = [server, "--bind", "127.0.0.1", "--port", str(port)]
    command += ["--save", "", "--appendonly", "no", *options]
    with running(command, port) as process:
        yield f"redis://127.0.0.1:{port}/0", process


class Reply:
    """An HTTP response read with http.client, shaped for tests/html.parse()."""

    def __init__(self, status, headers, content):
        self.status_code = status
        self.headers = headers
        self.content = content

    def __getitem__(self, name):
        return self.headers[name]

    @property
    def cookies(self):
        """The Set-Cookie headers, as a SimpleCookie (value, max-age ...)."""
        jar = SimpleCookie()
        for header in self.headers.get_all("Set-Cookie") or ():
            jar.load(header)
        return jar


def fetch(url, cookies=None, form=None, timeout=10):
    """One request, GET or (with form) POST; redirects are not followed and
    cookies are sent exactly as given: the test carries them by hand."""
    parts = urlsplit(url)
    headers = {}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("POST" if form is not None else "GET", path, body, headers)
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def isolated_settings(directory, engine):
    """Write a settings module into directory: sitecore.settings.<engine> with
    its SQLite database and session files moved into directory, so that every
    server started on it shares them. Return the environment to serve it with
    (add directory to PYTHONPATH, name the module)."""
    name = f"isolated_{engine}"
    (directory / "sessions").mkdir(exist_ok=True)
    (directory / f"{name}.py").write_text(
        f"from sitecore.settings.{engine} import *  # noqa: F403\n"
        f"from sitecore.settings.{engine} import DATABASES\n\n"
        'DATABASES = {"default": {**DATABASES["default"], '
        f'"NAME": {str(directory / "db.sqlite3")!r}}}}}\n'
        f"SESSION_FILE_PATH = {str(directory / 'sessions')!r}\n"
    )
    python_path = [str(directory), str(PROJECT_DIR), os.environ.get("PYTHONPATH", "")]
    return {
        "DJANGO_SETTINGS_MODULE": name,
        "PYTHONPATH": os.pathsep.join(filter(None, python_path)),
    }


def manage(*arguments, env=None, timeout=120):
    """Run manage.py in a fresh interpreter with env added; return the result."""
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT_DIR,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class HttpBrowser:
    """A browser for a real server, over plain HTTP: it keeps the cookies the
    server sets (and drops the ones it deletes), sends a User-Agent if given,
    and posts forms with the CSRF token. Redirects are not followed: a POST's
    302 is its answer."""

    def __init__(self, base_url, user_agent=None, timeout=60):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.user_agent = user_agent
        self.timeout = timeout
        self.cookies = {}

    def get(self, path):
        return self.send("GET", path)

    def post(self, path, data=None):
        # The csrftoken cookie holds the CSRF secret, which Django also
        # accepts as the form's token (as JavaScript clients send it).
        data = {**(data or {}), "csrfmiddlewaretoken": self.cookies["csrftoken"]}
        return self.send("POST", path, urlencode(data))

    def send(self, method, path, body=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if self.user_agent:
            headers["User-Agent"] = self.user_agent
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, self.timeout)
        try:
            connection.request(method, path, body, headers)
            answer = connection.getresponse()
            reply = Reply(answer.status, answer.headers, answer.read())
        finally:
            connection.close()
        for name, morsel in reply.cookies.items():
            if morsel["max-age"] == "0":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value
        return reply
