"""sessionbench: what a session costs per request, engine by engine.

A case is one settings module of sitecore/settings/. Each case runs in a
process of its own (a fresh interpreter, or gunicorn with --http), because a
Django process keeps what it started with: the database settings, the
middleware, the file engine's storage path (cached on its class). The same
process also serves a view that never touches the session, interleaved with
the session views, so every ratio compares requests served by one process at
one time. Benchmarks report; nothing here asserts a speed.

The stores are throwaway: SQLite and session files in a temporary directory, a
PostgreSQL database created and dropped for the run, and the sessions a run
leaves in a shared cache deleted at the end.
"""

import http.client
import json
import math
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from importlib import import_module
from pathlib import Path

import django
from django.conf import settings
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIHandler
from django.db import DatabaseError, connection
from django.urls import reverse

BASE_DIR = Path(__file__).resolve().parent.parent
SCHEMA = 1
# `sessionbench --json` writes here (var/ is git-ignored); the lesson page
# shows it, or the reference measured on the course machine when it is absent.
LATEST_RESULTS = Path("var/bench/latest.json")
REFERENCE_RESULTS = Path(__file__).with_name("benchmark_reference.json")

KINDS = ("baseline", "read", "write")
URL_NAMES = {
    "baseline": "myapp:performance-no-session",
    "read": "myapp:performance-read",
    "write": "myapp:performance-write",
}
WARM_UP_REQUESTS = 5
# A run is bounded: counts the command accepts, and time per measuring process.
LIMITS = {"requests": 10_000, "rounds": 50, "concurrency": 64, "workers": 16}
CHILD_TIMEOUT = 1800
# How to start what a case needs, for the message when it does not answer.
START = {
    "redis": 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" '
    "--appendonly no",
    "postgres": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) "
    "main start",
}


@dataclass(frozen=True)
class Case:
    settings: str  # a module of sitecore/settings/
    store: str  # where the sessions live, in words
    needs: str = ""  # a server that must answer: "redis" or "postgres"

    @property
    def module(self):
        return f"sitecore.settings.{self.settings}"


CASES = (
    Case("base", "SQLite, Django's defaults"),
    Case("db", "SQLite, WAL, CONN_MAX_AGE=60"),
    Case("file", "one file per session"),
    Case("cache", "local-memory cache"),
    Case("cached_db", "local-memory cache + SQLite, Django's defaults"),
    Case("cookies", "the cookie itself"),
    Case("redis", "Redis", needs="redis"),
    Case("redis_cached_db", "Redis + SQLite, Django's defaults", needs="redis"),
    Case("postgres", "PostgreSQL", needs="postgres"),
)
CASES_BY_NAME = {case.settings: case for case in CASES}


class BenchmarkError(Exception):
    """A measuring process failed: the benchmark has no number to report."""


class Unavailable(Exception):
    """A store the case needs does not answer; the case is skipped, not failed."""


# ---------------------------------------------------------------------------
# The run: one process per case
# ---------------------------------------------------------------------------

# Each case's settings: its own module, with stores the benchmark may destroy.
SETTINGS_FILE = '''\
"""sessionbench: {module} with throwaway stores (written by myapp/benchmark.py)."""

from {module} import *  # noqa: F403

DATABASES = {{
    "default": {{
        **DATABASES["default"],
        "NAME": {database!r},
        "TEST": {{"NAME": {database!r}}},
    }}
}}
SESSION_FILE_PATH = {files!r}
'''


def run(
    cases=CASES,
    *,
    requests=200,
    rounds=5,
    over_http=False,
    concurrency=4,
    workers=2,
    note="",
    report=print,
):
    """Measure each case in a process of its own; return one JSON-ready dict.

    ``note`` is kept with the results: which run this is, and why it was made.
    """
    options = {
        "requests": requests,
        "rounds": rounds,
        "http": over_http,
        "concurrency": concurrency if over_http else 1,
        "workers": workers if over_http else None,
    }
    results, skipped = [], []
    with tempfile.TemporaryDirectory(prefix="sessionbench-") as workdir:
        for case in cases:
            report(f"{case.settings}: measuring ({case.store})")
            outcome = run_case(case, Path(workdir), options)
            entry = {"settings": case.settings, "store": case.store}
            if "unavailable" in outcome:
                skipped.append({**entry, "reason": outcome["unavailable"]})
            else:
                results.append({**entry, **outcome})
    return {
        "schema": SCHEMA,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "note": note,
        "mode": "http" if over_http else "in-process",
        "machine": machine(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "options": options,
        "results": results,
        "skipped": skipped,
    }


def run_case(case, workdir, options):
    """Run one case in a fresh interpreter; return what it printed as JSON."""
    if case.needs == "postgres":
        database = f"sessionbench_{secrets.token_hex(4)}"
    else:
        database = str(workdir / f"{case.settings}.sqlite3")
    files = workdir / f"{case.settings}-sessions"
    files.mkdir()
    module = f"sessionbench_{case.settings}"
    (workdir / f"{module}.py").write_text(
        SETTINGS_FILE.format(module=case.module, database=database, files=str(files))
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": module,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(workdir), str(BASE_DIR), os.environ.get("PYTHONPATH")])
        ),
        # Measure what production runs: no debug toolbar, no query log.
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    }
    spec = json.dumps({**options, "start": START.get(case.needs, "")})
    try:
        completed = subprocess.run(
            [sys.executable, "-c", "import myapp.benchmark as b; b.child()", spec],
            cwd=BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise BenchmarkError(
            f"{case.settings}: no result after {CHILD_TIMEOUT} s"
        ) from None
    if completed.returncode != 0:
        raise BenchmarkError(
            f"{case.settings}: the measuring process failed\n{completed.stderr[-3000:]}"
        )
    return json.loads(completed.stdout.splitlines()[-1])


def command_line(data):
    """The command that measures again what `data` (a run's results) measured."""
    options = data["options"]
    words = ["python manage.py sessionbench"]
    if data["mode"] == "http":
        words.append("--http")
        words += [f"--concurrency {options['concurrency']}"]
        words += [f"--workers {options['workers']}"]
    words += [f"--requests {options['requests']}", f"--rounds {options['rounds']}"]
    attempted = [entry["settings"] for entry in data["results"] + data["skipped"]]
    if set(attempted) != set(CASES_BY_NAME):
        words += [f"--only {name}" for name in attempted]
    return " ".join(words)


def machine():
    """What ran the benchmark: ratios from one machine do not transfer to another."""
    return {
        "platform": platform.platform(),
        "processor": processor(),
        "cpu_count": os.cpu_count(),
    }


def processor():
    """The CPU's model name (Linux's /proc/cpuinfo), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# ---------------------------------------------------------------------------
# Inside a measuring process (DJANGO_SETTINGS_MODULE is the case's settings)
# ---------------------------------------------------------------------------


def child():
    """Entry point of a measuring process: print its measurements as JSON."""
    spec = json.loads(sys.argv[1])
    django.setup()
    try:
        with throwaway_stores(spec["start"]):
            if spec["http"]:
                outcome = measure_over_http(**spec)
            else:
                outcome = measure_in_process(**spec)
    except Unavailable as error:
        outcome = {"unavailable": str(error)}
    print(json.dumps(outcome))


@contextmanager
def throwaway_stores(start):
    """Check the case's cache answers and give it a database of its own."""
    engine = settings.SESSION_ENGINE.rsplit(".", 1)[-1]
    hint = f"; start it with: {start}" if start else ""
    if engine in ("cache", "cached_db"):
        cache = caches[settings.SESSION_CACHE_ALIAS]
        try:
            cache.set("sessionbench-probe", 1, 10)
            cache.delete("sessionbench-probe")
        except Exception as error:
            raise Unavailable(f"the cache does not answer ({error}){hint}") from None
    if engine not in ("db", "cached_db"):
        yield
        return
    try:
        if connection.vendor == "sqlite":
            # A new file in the run's temporary directory: only the table the
            # engine needs, without running every app's migrations.
            store = import_module(settings.SESSION_ENGINE).SessionStore
            with connection.schema_editor() as editor:
                editor.create_model(store.get_model_class())
        else:
            # A new database made (and later dropped) the way the test runner does.
            connection.creation.create_test_db(verbosity=0, autoclobber=True)
    except DatabaseError as error:
        raise Unavailable(f"the database does not answer ({error}){hint}") from None
    try:
        yield
    finally:
        if connection.vendor != "sqlite":
            connection.creation.destroy_test_db(verbosity=0)


class SessionClient:
    """A visitor that keeps its session cookie, as a browser does."""

    def __init__(self):
        self.cookie_name = settings.SESSION_COOKIE_NAME
        self.cookie = None

    def get(self, path):
        """Send GET path with the cookie, keep the cookie returned; return the body."""
        raise NotImplementedError

    def keep_cookie(self, set_cookie_headers):
        """Keep the session cookie a response sets; an emptied one is forgotten."""
        for header in set_cookie_headers:
            morsel = SimpleCookie(header).get(self.cookie_name)
            if morsel is not None:
                self.cookie = morsel.value or None

    def cookie_header(self):
        """The Cookie header a browser would send: the session cookie, if any."""
        return f"{self.cookie_name}={self.cookie}" if self.cookie else ""

    def timed_gets(self, path, count):
        """GET path count times; return the latencies and how many said "found"."""
        latencies, found = [], 0
        for _ in range(count):
            start = time.perf_counter()
            body = self.get(path)
            latencies.append(time.perf_counter() - start)
            # The views answer "found" or "missing" on their first line.
            found += body.partition(b"\n")[0] == b"found"
        return latencies, found

    def forget_session(self):
        """Delete this visitor's session from the store (a no-op for cookies)."""
        if self.cookie:
            import_module(settings.SESSION_ENGINE).SessionStore(self.cookie).delete()


class InProcessClient(SessionClient):
    """Call Django's WSGI handler as a WSGI server does, without the network.

    Closing each response sends request_finished, which closes the database
    connection unless CONN_MAX_AGE keeps it (django.test.Client skips that).
    """

    def __init__(self):
        from django.test import RequestFactory  # only measuring processes need it

        super().__init__()
        self.handler = WSGIHandler()
        self.factory = RequestFactory()

    def get(self, path):
        environ = self.factory.get(path, HTTP_COOKIE=self.cookie_header()).environ
        started = {}

        def start_response(status, headers, exc_info=None):
            started.update(status=status, headers=headers)

        response = self.handler(environ, start_response)
        try:
            body = b"".join(response)
        finally:
            response.close()
        if not started["status"].startswith("200"):
            raise BenchmarkError(f"GET {path}: {started['status']}\n{body[:500]}")
        self.keep_cookie(v for k, v in started["headers"] if k == "Set-Cookie")
        return body


class HTTPClient(SessionClient):
    """A visitor over real HTTP, one connection per request (gunicorn's sync
    workers close the connection after each response)."""

    def __init__(self, port):
        super().__init__()
        self.port = port

    def get(self, path):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Cookie": self.cookie_header()} if self.cookie else {}
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise BenchmarkError(f"GET {path}: {response.status}\n{body[:500]}")
        self.keep_cookie(response.headers.get_all("Set-Cookie") or [])
        return body


def measure_in_process(requests, rounds, **spec):
    """One visitor, requests sent one after another through the WSGI handler."""
    clients = [InProcessClient()]
    try:
        return measure(clients, requests, rounds)
    finally:
        clients[0].forget_session()


def measure_over_http(requests, rounds, concurrency, workers, **spec):
    """Several visitors at once against gunicorn serving this case's settings."""
    connection.close()  # gunicorn's workers open their own
    with gunicorn(workers) as port:
        clients = [HTTPClient(port) for _ in range(concurrency)]
        try:
            return measure(clients, requests, rounds)
        finally:
            for client in clients:
                client.forget_session()


def measure(clients, requests, rounds):
    """Time `requests` GETs of each view per round, the views' order rotating
    from round to round; summarize every view against the no-session one."""
    paths = {kind: reverse(name) for kind, name in URL_NAMES.items()}
    # The requests of a batch, shared out between the visitors.
    shares = [
        requests // len(clients) + (i < requests % len(clients))
        for i in range(len(clients))
    ]
    per_second = {kind: [] for kind in KINDS}
    latencies = {kind: [] for kind in KINDS}
    found = dict.fromkeys(KINDS, 0)
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:

        def batch(path, counts):
            """Each visitor GETs path its count of times, all at once."""
            if len(clients) == 1:
                # In process: stay in this thread. Django keeps a database
                # connection per thread, and the cleanup closes this one.
                return [clients[0].timed_gets(path, counts[0])]
            futures = [
                pool.submit(client.timed_gets, path, count)
                for client, count in zip(clients, counts, strict=True)
            ]
            return [future.result() for future in futures]

        # Each visitor starts with a stored session; every process warms up.
        batch(paths["write"], [1] * len(clients))
        for kind in KINDS:
            batch(paths[kind], [WARM_UP_REQUESTS] * len(clients))
        for round_ in range(rounds):
            for kind in KINDS[round_ % 3 :] + KINDS[: round_ % 3]:
                start = time.perf_counter()
                batches = batch(paths[kind], shares)
                per_second[kind].append(requests / (time.perf_counter() - start))
                for batch_latencies, batch_found in batches:
                    latencies[kind].extend(batch_latencies)
                    found[kind] += batch_found
    return summarize(per_second, latencies, found, requests * rounds)


def summarize(per_second, latencies, found, total):
    """Medians over rounds; a ratio compares a view with the no-session view
    measured in the same round, so slow and fast moments of the machine cancel."""
    summary = {}
    for kind in KINDS:
        ordered = sorted(latencies[kind])
        summary[kind] = {
            "requests_per_second": round(statistics.median(per_second[kind]), 1),
            "p50_ms": round(nearest_rank(ordered, 0.50) * 1000, 3),
            "p99_ms": round(nearest_rank(ordered, 0.99) * 1000, 3),
        }
        if kind != "baseline":
            ratios = [
                own / baseline
                for own, baseline in zip(
                    per_second[kind], per_second["baseline"], strict=True
                )
            ]
            summary[kind]["ratio"] = round(statistics.median(ratios), 3)
            summary[kind]["found"] = round(found[kind] / total, 3)
    return {"engine": settings.SESSION_ENGINE.rsplit(".", 1)[-1], **summary}


def nearest_rank(ordered, fraction):
    """The smallest value with at least `fraction` of the values at or below it."""
    return ordered[max(0, math.ceil(len(ordered) * fraction) - 1)]


@contextmanager
def gunicorn(workers):
    """Serve this process's settings with gunicorn on a free port; yield the port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable, "-m", "gunicorn", "sitecore.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        # gunicorn 27 otherwise opens a control socket in the home directory.
        "--no-control-socket",
        "--log-level", "warning",
    ]  # fmt: skip
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        try:
            wait_for_port(port, server, log)
            yield port
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
                    server.wait()


def wait_for_port(port, server, log, timeout=30):
    """Return once gunicorn accepts connections; BenchmarkError if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            error = log.read().decode(errors="replace")[-2000:]
            raise BenchmarkError(f"gunicorn exited with {server.returncode}\n{error}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise BenchmarkError(f"gunicorn did not listen on 127.0.0.1:{port} in {timeout}s")


# ---------------------------------------------------------------------------
# Results files
# ---------------------------------------------------------------------------


def write_results(data, path):
    """Write what `run()` returned as JSON, for the lesson page to read."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def read_results(path):
    """A results file written by `sessionbench --json`; ValueError if it is not one."""
    data = json.loads(Path(path).read_text())
    check_results(data)
    return data


def check_results(data):
    """Raise ValueError unless data has the shape `run()` returns."""

    def number(value):
        return isinstance(value, int | float) and not isinstance(value, bool)

    try:
        if data["schema"] != SCHEMA or data["mode"] not in ("in-process", "http"):
            raise ValueError("unknown schema or mode")
        datetime.fromisoformat(data["date"])
        if not isinstance(data["machine"]["cpu_count"], int):
            raise ValueError("machine.cpu_count is not a number")
        for key in ("platform", "processor"):
            str(data["machine"][key])
        str(data["python"]), str(data["django"])
        if not isinstance(data.get("note", ""), str):
            raise ValueError("note is not text")
        for result in data["results"]:
            if result["settings"] not in CASES_BY_NAME:
                raise ValueError(f"unknown case {result['settings']!r}")
            for kind in KINDS:
                fields = ["requests_per_second", "p50_ms", "p99_ms"]
                if kind != "baseline":
                    fields += ["ratio", "found"]
                for field in fields:
                    value = result[kind][field]
                    if not number(value) or value < 0:
                        raise ValueError(f"{result['settings']} {kind} {field}")
        for skipped in data["skipped"]:
            str(skipped["settings"]), str(skipped["reason"])
    except (KeyError, TypeError) as error:
        raise ValueError(f"not a sessionbench results file ({error!r})") from None
