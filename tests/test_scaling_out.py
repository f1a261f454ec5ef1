"""Lesson 15: which engines share sessions between real server processes.

The server tests start gunicorn (127.0.0.1, free ports, DEBUG off, one shared
SECRET_KEY) and talk to it over HTTP, carrying the session cookie by hand: a
session written through one process is read through another.
"""

import json
import os
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.urls import reverse

from myapp import benchmark
from myapp.inspector import stored_row
from myapp.lessons.scaling_out import KEEP_LAST, WRITTEN_BY_KEY
from sitecore.settings import redis_cached_db
from tests.benchmark_results import given_results
from tests.html import parse
from tests.services import (
    PROJECT_DIR,
    fetch,
    gunicorn,
    isolated_settings,
    manage,
    private_redis,
    require_postgres,
    throwaway_postgres_database,
)

PAGE = reverse("myapp:scaling-out")
RECORD = reverse("myapp:scaling-out-record")
FORGET = reverse("myapp:scaling-out-forget")
COOKIE = settings.SESSION_COOKIE_NAME

# How production runs: DEBUG off, the key from the environment, the same key
# in every process.
PRODUCTION = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}

# Engines whose sessions two processes share (settings module names).
SHARED = ("db", "file", "cookies", "redis", "redis_cached_db")
# Engines that sign the stored data with SECRET_KEY.
SIGNED = ("db", "file", "cookies")


# --- Servers ---------------------------------------------------------------


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory):
    """One migrated SQLite database and one session directory for this module's
    servers; each test uses fresh session keys, so they do not meet."""
    directory = tmp_path_factory.mktemp("scaling-out")
    result = manage("migrate", "--no-input", env=isolated_settings(directory, "db"))
    assert result.returncode == 0, result.stderr
    return directory


@contextmanager
def environment(state_dir, engine, **extra):
    """The environment to serve an engine with; Redis engines get a private Redis."""
    env = {**isolated_settings(state_dir, engine), **PRODUCTION, **extra}
    if engine.startswith("redis"):
        with private_redis() as (url, _process):
            yield {**env, "REDIS_URL": url}
    else:
        yield env


@contextmanager
def servers(*environments, workers=1):
    """One gunicorn per environment; yield their base URLs."""
    with ExitStack() as stack:
        yield [
            stack.enter_context(
                gunicorn(env["DJANGO_SETTINGS_MODULE"], workers=workers, env=env)
            )
            for env in environments
        ]


# --- Requests --------------------------------------------------------------


def write_through(url):
    """GET /ssession: store the seed's two values; return the session key."""
    reply = fetch(url + "/ssession")
    assert reply.status_code == 200
    return reply.cookies[COOKIE].value


def read_through(url, key):
    """GET /gsession with the cookie; return the reply."""
    reply = fetch(url + "/gsession", cookies={COOKIE: key})
    assert reply.status_code == 200
    return reply


def stored_values(reply):
    return parse(reply).text("message")


def lesson_page(url, cookies):
    page = parse(fetch(url + PAGE, cookies=cookies))
    return page.text("scaling-pid"), page.text("scaling-written-by")


def record_through(url):
    """POST the demo's button as a browser would (CSRF cookie and token);
    return the cookies to send from then on. A first page view starts no
    session, so the POST's answer is the one that sets the session cookie."""
    first = fetch(url + PAGE)
    assert COOKIE not in first.cookies
    token = parse(first).select("#scaling-record-form [name=csrfmiddlewaretoken]")
    cookies = {"csrftoken": first.cookies["csrftoken"].value}
    reply = fetch(
        url + RECORD,
        cookies=cookies,
        form={"csrfmiddlewaretoken": token[0]["value"]},
    )
    assert reply.status_code == 302
    return {**cookies, COOKIE: reply.cookies[COOKIE].value}


def cookie_deleted(reply):
    cookie = reply.cookies.get(COOKIE)
    return cookie is not None and cookie.value == "" and cookie["max-age"] == "0"


# --- Two servers -----------------------------------------------------------


@pytest.mark.services
class TestTwoServers:
    @pytest.mark.parametrize("engine", SHARED)
    def test_a_session_written_through_one_is_read_through_the_other(
        self, state_dir, engine
    ):
        """Two processes (two pids), one session: B reads what A wrote."""
        with (
            environment(state_dir, engine) as env,
            servers(env, env) as (first, second),
        ):
            key = write_through(first)
            assert stored_values(read_through(second, key)) == (
                "irfan irfan@example.com"
            )
            pid_first, _ = lesson_page(first, {COOKIE: key})
            pid_second, _ = lesson_page(second, {COOKIE: key})
            assert pid_first != pid_second

    def test_the_local_memory_cache_is_not_shared(self, state_dir):
        """B has no such session: it answers an empty one and deletes the
        cookie, although A still holds the session."""
        with (
            environment(state_dir, "cache") as env,
            servers(env, env) as (first, second),
        ):
            key = write_through(first)
            reply = read_through(second, key)
            assert stored_values(reply).startswith("No session values yet")
            assert cookie_deleted(reply)
            assert stored_values(read_through(first, key)) == (
                "irfan irfan@example.com"
            )

    @pytest.mark.parametrize("engine", SIGNED)
    def test_another_secret_key_cannot_read_the_session(self, state_dir, engine):
        """db, file and signed_cookies sign what they store: a process with
        another SECRET_KEY cannot read it and sees an empty session."""
        with environment(state_dir, engine) as env:
            other = {**env, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
            with servers(env, other) as (first, second):
                key = write_through(first)
                reply = read_through(second, key)
                assert stored_values(reply).startswith("No session values yet")


# --- Two workers of one server ---------------------------------------------


def pages_by_worker(url, cookies, attempts=120, at_once=4):
    """GET the lesson page until two different workers have answered:
    {pid: the writers it shows}. Requests go `at_once` at a time: one after
    another, the worker that just answered may take every next one too,
    while one busy worker leaves the next request to the other. Bounded: at
    most `attempts` requests."""
    seen = {}
    with ThreadPoolExecutor(at_once) as pool:
        for _ in range(attempts // at_once):
            answers = pool.map(lambda _: lesson_page(url, cookies), range(at_once))
            for pid, written_by in answers:
                seen.setdefault(pid, written_by)
            if len(seen) == 2:
                break
    assert len(seen) == 2, f"one worker answered all {attempts} requests"
    return seen


@pytest.mark.services
class TestTwoWorkers:
    def test_locmem_loses_the_session_on_the_other_worker(self, state_dir):
        """The worker that wrote shows itself in the list; the other worker,
        given the same cookie, sees no session at all."""
        with (
            environment(state_dir, "cache") as env,
            servers(env, workers=2) as (url,),
        ):
            seen = pages_by_worker(url, record_through(url))
        (writer,) = [pid for pid, written_by in seen.items() if written_by == pid]
        (other,) = set(seen) - {writer}
        assert seen[other] == "none that this process can see"

    def test_redis_shows_both_workers_the_same_session(self, state_dir):
        """The same demo on Redis: both workers see the one writer."""
        with (
            environment(state_dir, "redis") as env,
            servers(env, workers=2) as (url,),
        ):
            seen = pages_by_worker(url, record_through(url))
        writers = set(seen.values())
        assert len(writers) == 1
        assert writers.pop() in seen


# --- PostgreSQL -------------------------------------------------------------


@pytest.mark.services
class TestPostgreSQL:
    def test_two_servers_share_sessions_through_postgresql(self):
        with throwaway_postgres_database() as name:
            env = {
                "DJANGO_SETTINGS_MODULE": "sitecore.settings.postgres",
                "PGDATABASE": name,
                "DATABASE_URL": "",
                **PRODUCTION,
            }
            migrated = manage("migrate", "--no-input", env=env)
            assert migrated.returncode == 0, migrated.stderr
            with servers(env, env) as (first, second):
                key = write_through(first)
                assert stored_values(read_through(second, key)) == (
                    "irfan irfan@example.com"
                )

    def test_the_test_client_round_trip_passes_on_postgresql(self):
        """TestDatabaseRoundTrip again, in a pytest of its own on
        sitecore.settings.postgres (pytest-django creates and drops its
        test database)."""
        require_postgres()
        node = f"{__file__}::TestDatabaseRoundTrip"
        pytest_command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
        ]
        result = subprocess.run(
            [*pytest_command, "--ds=sitecore.settings.postgres", node],
            cwd=PROJECT_DIR,
            env={
                **os.environ,
                "PGDATABASE": f"sessions_course_client_{os.getpid()}",
                "DATABASE_URL": "",
                "EXPECTED_DATABASE_VENDOR": "postgresql",
            },
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert " passed" in result.stdout


class TestDatabaseRoundTrip:
    """The db engine through the test client, on whatever database the settings
    name: SQLite in the main run, PostgreSQL when TestPostgreSQL runs it."""

    def test_the_session_is_a_row_of_the_configured_database(
        self, client, use_settings, db
    ):
        use_settings("db")
        expected = os.environ.get("EXPECTED_DATABASE_VENDOR")
        if expected:
            assert connection.vendor == expected
        client.get("/ssession")
        key = client.cookies[COOKIE].value
        row = Session.objects.get(session_key=key)
        assert row.get_decoded()["sname"] == "irfan"
        assert stored_values(client.get("/gsession")) == "irfan irfan@example.com"

    def test_the_inspector_reads_the_row_as_the_orm_does(
        self, client, use_settings, db
    ):
        """The inspector's SELECT, built once (myapp/inspector.py), gives the
        ORM's data and the ORM's timezone-aware expiry on this database too."""
        use_settings("db")
        client.get("/ssession")
        key = client.cookies[COOKIE].value
        row = Session.objects.get(session_key=key)
        assert stored_row(Session, key) == (row.session_data, row.expire_date)
        assert row.expire_date.utcoffset() is not None
        assert stored_row(Session, "no-such-key") is None


# --- The demo's views, in process ------------------------------------------


class TestPage:
    def test_shows_this_process_and_the_server(self, client, db):
        page = parse(client.get(PAGE))
        assert page.text("scaling-pid") == str(os.getpid())
        assert page.text("scaling-cookie-sent") == "no"
        assert page.text("scaling-written-by") == "none that this process can see"

    def test_says_when_the_browser_sent_a_cookie(self, client, engine):
        client.get("/ssession")
        assert parse(client.get(PAGE)).text("scaling-cookie-sent") == "yes"


class TestRecord:
    def test_adds_this_process_id_and_redirects(self, client, engine):
        response = client.post(RECORD)
        assert response.status_code == 302
        assert response["Location"] == f"{PAGE}#demo"
        assert client.session[WRITTEN_BY_KEY] == [os.getpid()]
        page = parse(client.get(PAGE))
        assert page.text("scaling-written-by") == str(os.getpid())

    def test_keeps_only_the_last_few(self, client, engine):
        for _ in range(KEEP_LAST + 3):
            client.post(RECORD)
        assert client.session[WRITTEN_BY_KEY] == [os.getpid()] * KEEP_LAST

    def test_is_post_only(self, client, db):
        assert client.get(RECORD).status_code == 405
        assert COOKIE not in client.cookies


class TestForget:
    def test_removes_the_demo_key_and_keeps_the_rest(self, client, engine):
        client.get("/ssession")
        client.post(RECORD)
        response = client.post(FORGET)
        assert response.status_code == 302
        assert response["Location"] == f"{PAGE}#demo"
        session = client.session
        assert WRITTEN_BY_KEY not in session
        assert session["sname"] == "irfan"

    def test_is_post_only(self, client, db):
        """A GET forgets nothing: the demo key stays."""
        client.get("/ssession")
        client.post(RECORD)
        response = client.get(FORGET)
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert client.session[WRITTEN_BY_KEY] == [os.getpid()]


class TestDemoForms:
    def test_both_buttons_land_back_on_the_demo(self, client, db):
        page = parse(client.get(PAGE))
        for form_id in ("scaling-record-form", "scaling-forget-form"):
            assert page.by_id(form_id)["action"].endswith("#demo")


# --- Which situation the page is in -----------------------------------------


class TestSituation:
    def test_runserver_says_one_process_and_how_to_start_two(self, client, db):
        page = parse(client.get(PAGE, SERVER_SOFTWARE="WSGIServer/0.2 CPython/3.11"))
        text = page.text("scaling-situation")
        assert "one process, so the id below never changes" in text
        assert "make run-multi" in text
        assert "ports 8001 and 8002" in text
        assert not page.has_id("scaling-other")

    @pytest.mark.parametrize(("port", "other"), [("8001", "8002"), ("8002", "8001")])
    def test_a_run_multi_process_links_to_the_other_one(self, client, db, port, other):
        """Same host name, other port: the browser sends the same cookie there."""
        page = parse(
            client.get(
                PAGE,
                SERVER_SOFTWARE="gunicorn/27.0.1",
                SERVER_PORT=port,
                HTTP_HOST=f"127.0.0.1:{port}",
            )
        )
        assert f"make run-multi (port {port})" in page.text("scaling-situation")
        assert page.by_id("scaling-other")["href"] == (
            f"http://127.0.0.1:{other}/lessons/scaling-out/#demo"
        )

    def test_another_server_is_named(self, client, db):
        page = parse(client.get(PAGE, SERVER_SOFTWARE="gunicorn/27.0.1"))
        text = page.text("scaling-situation")
        assert "gunicorn/27.0.1" in text
        assert "make run-multi" not in text

    def test_make_run_multi_starts_two_processes_on_the_pages_ports(self):
        """The command the page names: two gunicorn processes on 127.0.0.1,
        the ports the page links between, one SECRET_KEY, DEBUG off."""
        result = subprocess.run(
            ["make", "-n", "run-multi"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        commands = result.stdout
        for port in ("8001", "8002"):
            assert (
                f"-m gunicorn sitecore.wsgi --bind 127.0.0.1:{port} --no-control-socket"
                in commands
            )
        assert "DJANGO_DEBUG=0" in commands
        assert 'DJANGO_SECRET_KEY="$(cat var/.secret_key)"' in commands


# --- The engines table and the costs ----------------------------------------


def row_cells(page, row_id):
    return [" ".join(cell.get_text(" ").split()) for cell in page.by_id(row_id)("td")]


class TestEnginesTable:
    def test_redis_cached_db_as_shipped_is_one_machine_only(self, client, db):
        """Its database is base.py's SQLite file, which no second machine
        reaches: the row says so."""
        database = redis_cached_db.DATABASES["default"]
        assert database["ENGINE"] == "django.db.backends.sqlite3"
        cells = row_cells(parse(client.get(PAGE)), "scaling-engines-redis_cached_db")
        assert cells[0] == "Yes"
        assert cells[1] == "No, as shipped"
        assert "SQLite" in cells[2]
        assert "PostgreSQL" in cells[2]

    def test_locmem_shares_nothing(self, client, db):
        cells = row_cells(parse(client.get(PAGE)), "scaling-engines-cache")
        assert cells[:2] == ["No", "No"]


@pytest.fixture
def latest(tmp_path, monkeypatch):
    """Point lessons 15 and 16 at a results file of the test's own."""
    path = tmp_path / "latest.json"
    monkeypatch.setattr(benchmark, "LATEST_RESULTS", path)
    return path


class TestCosts:
    def test_the_costs_are_lesson_16s_run_with_the_added_milliseconds(
        self, client, db, latest
    ):
        """Each ratio beside the milliseconds the session added to a median
        request, from the same file lesson 16 charts."""
        latest.write_text(
            json.dumps(
                given_results(
                    redis=(1.5, (0.5, 1.9), (0.25, 2.75)),
                    cookies=(2.0, (0.9, 2.05), (0.8, 2.5)),
                )
            )
        )
        page = parse(client.get(PAGE))
        assert row_cells(page, "scaling-cost-redis") == [
            "0.50 (+0.40 ms)",
            "0.25 (+1.25 ms)",
        ]
        assert row_cells(page, "scaling-cost-cookies") == [
            "0.90 (+0.05 ms)",
            "0.80 (+0.50 ms)",
        ]
        assert not page.has_id("scaling-cost-db")  # not in this run
        text = page.text("deeper-costs")
        assert "latest sessionbench run (real gunicorn processes over HTTP)" in text

    def test_without_a_run_the_reference_run_is_shown(self, client, db, latest):
        page = parse(client.get(PAGE))
        assert "the reference run committed with the course" in page.text(
            "deeper-costs"
        )
        reference = json.loads(benchmark.REFERENCE_RESULTS.read_text())
        redis = next(r for r in reference["results"] if r["settings"] == "redis")
        read_ratio = float(row_cells(page, "scaling-cost-redis")[0].split()[0])
        assert abs(read_ratio - redis["read"]["ratio"]) <= 0.005 + 1e-9

    def test_cached_db_on_redis_is_compared_with_untuned_sqlite(self, client, db):
        """redis_cached_db keeps Django's database defaults (no persistent
        connection, no WAL), and the page says to compare it with base."""
        database = redis_cached_db.DATABASES["default"]
        assert database.get("CONN_MAX_AGE", 0) == 0
        assert "init_command" not in database.get("OPTIONS", {})
        text = parse(client.get(PAGE)).text("deeper-costs")
        assert (
            "redis_cached_db writes its rows to SQLite with Django's defaults" in text
        )
        assert "Compare its write with base" in text
