"""Lesson 16: the views sessionbench times, the command itself, and the page
that charts its results. Benchmarks report; these tests never assert a speed."""

import json
import os
import platform
import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import django
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.utils import ConnectionHandler
from django.template.loader import get_template
from django.template.loader_tags import BlockNode
from django.urls import reverse

from myapp import benchmark
from myapp.lessons.performance import CART, CART_KEY
from myapp.templatetags import fragments
from myapp.templatetags.fragments import PerProcessNode
from sitecore.settings import base as base_settings
from sitecore.settings import cached_db as cached_db_settings
from sitecore.settings import db as db_settings
from sitecore.settings import redis_cached_db as redis_cached_db_settings
from tests import services
from tests.benchmark_results import given_results
from tests.html import parse

# The cases the shared run measures: a few, so the suite stays fast. Every
# machine can run the first two; Redis and PostgreSQL are measured when they
# answer (the http test below runs the tuned "db" settings).
EVERYWHERE = ("base", "cookies")
MEASURED = (*EVERYWHERE, "redis", "postgres")
VIEWS = {
    "baseline": "myapp:performance-no-session",
    "read": "myapp:performance-read",
    "write": "myapp:performance-write",
}


def sessionbench(*arguments):
    """Run the command; return (what it printed, its progress on stderr)."""
    out, err = StringIO(), StringIO()
    call_command("sessionbench", *arguments, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def table_rows(text):
    """The rows of the printed table, as {settings module: [cells]}."""
    rows = {}
    for line in text.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if cells[0] in benchmark.CASES_BY_NAME and len(cells) > 3:
            rows[cells[0]] = cells
    return rows


def vary(response):
    return response.get("Vary", "")


def verdict(response):
    """The first line of a benchmark view's answer: what sessionbench counts."""
    return response.content.decode().partition("\n")[0]


# --- The three views --------------------------------------------------------


class TestNoSessionView:
    def test_never_touches_the_session(self, client, engine):
        """Even with a stored session, no Set-Cookie and no Vary: Cookie."""
        client.get(reverse(VIEWS["write"]))
        response = client.get(reverse(VIEWS["baseline"]))
        assert verdict(response) == "no session"
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        assert "Cookie" not in vary(response)


class TestReadView:
    def test_a_new_visitor_has_nothing_to_read(self, client, engine):
        response = client.get(reverse(VIEWS["read"]))
        assert verdict(response) == "missing"
        assert settings.SESSION_COOKIE_NAME not in response.cookies

    def test_reads_what_the_write_stored_and_saves_nothing(self, client, engine):
        """A read loads the session (Vary: Cookie) but sends no new cookie."""
        client.get(reverse(VIEWS["write"]))
        response = client.get(reverse(VIEWS["read"]))
        assert verdict(response) == "found"
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        assert "Cookie" in vary(response)


class TestWriteView:
    def test_stores_the_cart_in_the_session(self, client, engine):
        response = client.get(reverse(VIEWS["write"]))
        assert verdict(response) == "missing"
        assert settings.SESSION_COOKIE_NAME in response.cookies
        assert client.session[CART_KEY] == CART

    def test_saves_on_every_request(self, client, engine):
        """Setting a key marks the session modified even with the same value."""
        client.get(reverse(VIEWS["write"]))
        again = client.get(reverse(VIEWS["write"]))
        assert verdict(again) == "found"
        assert settings.SESSION_COOKIE_NAME in again.cookies

    def test_is_get_only(self, client, db):
        """The benchmark writes with a GET; a POST is refused and stores nothing."""
        response = client.post(reverse(VIEWS["write"]))
        assert response.status_code == 405
        assert response["Allow"] == "GET"
        assert settings.SESSION_COOKIE_NAME not in response.cookies


class TestWhereAPagesTimeGoes:
    """Go deeper, "Where does a lesson page's time go?": what it says is kept
    per process is, in the template every lesson page extends."""

    def test_the_parts_it_names_are_kept_per_process(self):
        layout = get_template("lesson.html").template
        kept = {
            node.name
            for part in layout.nodelist.get_nodes_by_type(PerProcessNode)
            for node in part.nodelist.get_nodes_by_type(BlockNode)
        }
        assert "explanation" in kept
        assert not {"demo", "deeper"} & kept
        assert "per_process" in fragments.register.tags

    def test_the_page_names_the_tag_and_its_file(self, client, db):
        text = parse(client.get(reverse("myapp:performance"))).text("deeper-page")
        assert "{% per_process %}" in text
        assert "myapp/templatetags/fragments.py" in text
        assert (settings.BASE_DIR / "myapp/templatetags/fragments.py").exists()


class TestTheViewsExplainThemselves:
    @pytest.mark.parametrize(
        ("kind", "says"),
        [
            ("baseline", "'no session' view"),
            ("read", "'read' view"),
            ("write", "'write' view"),
        ],
    )
    def test_a_person_who_opens_one_learns_what_it_is_and_the_way_back(
        self, client, db, kind, says
    ):
        """Opened from the lesson, a benchmark view is no dead end: it says
        which view it is and links back to the demo."""
        response = client.get(reverse(VIEWS[kind]))
        text = response.content.decode()
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert f"This is lesson 16's {says}" in text
        assert "sessionbench" in text
        assert text.rstrip().endswith(
            "Back to lesson 16: http://testserver/lessons/performance/#demo"
        )

    @pytest.mark.parametrize(
        ("kind", "verdict"),
        [("baseline", "no session"), ("read", "missing"), ("write", "missing")],
    )
    def test_a_browser_gets_a_course_page_with_a_link_back(
        self, client, db, kind, verdict
    ):
        """A browser asks for HTML: the verdict (a first visit finds no cart)
        on a course page, styled and accessible, with a link back to the demo;
        Vary: Accept, since the plain and HTML answers differ by that header."""
        response = client.get(reverse(VIEWS[kind]), headers={"Accept": "text/html"})
        page = parse(response)
        assert page.by_id("bench-verdict").strong.get_text() == verdict
        assert "sessionbench" in page.text("bench-what")
        assert page.by_id("bench-back")["href"] == "/lessons/performance/#demo"
        assert "Accept" in response["Vary"]

    def test_the_demo_links_to_all_three(self, client, db):
        links = parse(client.get(reverse("myapp:performance"))).links()
        for path in (
            "/lessons/performance/bench/no-session/",
            "/lessons/performance/bench/read/",
            "/lessons/performance/bench/write/",
        ):
            assert path in links


# --- The database tuning of sitecore/settings/db.py -------------------------


def sqlite_connection(settings_module, path):
    """A connection configured like settings_module's database, on path."""
    handler = ConnectionHandler(
        {"default": {**settings_module.DATABASES["default"], "NAME": str(path)}}
    )
    return handler["default"]


@pytest.fixture
def own_connections(django_db_blocker):
    """Let a test open connections of its own (pytest-django blocks them)."""
    with django_db_blocker.unblock():
        yield


@pytest.mark.usefixtures("own_connections")
class TestDatabaseTuning:
    def test_db_settings_open_sqlite_in_wal_mode(self, tmp_path):
        """OPTIONS init_command runs on every new SQLite connection."""
        connection = sqlite_connection(db_settings, tmp_path / "tuned.sqlite3")
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
        connection.close()

    def test_base_settings_keep_sqlites_rollback_journal(self, tmp_path):
        """On a file never switched to WAL (each benchmark case gets one)."""
        connection = sqlite_connection(base_settings, tmp_path / "default.sqlite3")
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "delete"
        connection.close()

    @pytest.mark.parametrize(
        "untuned", [base_settings, cached_db_settings], ids=["base", "cached_db"]
    )
    def test_a_file_switched_to_wal_stays_in_wal(self, tmp_path, untuned):
        """WAL mode is kept in the database file: once db.py's connection has
        switched it, a connection with Django's defaults uses WAL too."""
        path = tmp_path / "shared.sqlite3"
        tuned = sqlite_connection(db_settings, path)
        tuned.ensure_connection()
        tuned.close()
        connection = sqlite_connection(untuned, path)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
        connection.close()

    def test_the_page_says_wal_stays_with_the_file(self, client, db):
        text = parse(client.get(reverse("myapp:performance"))).text(
            "performance-journal"
        )
        assert "On a file that was never switched to WAL" in text
        assert "WAL mode is stored in the database file itself" in text

    @pytest.mark.parametrize(
        ("module", "name"),
        [
            (cached_db_settings, "cached_db"),
            (redis_cached_db_settings, "redis_cached_db"),
        ],
    )
    def test_cached_db_cases_say_they_run_on_djangos_defaults(self, module, name):
        """Their writes are measured on untuned SQLite, and their label says so."""
        database = module.DATABASES["default"]
        assert database.get("CONN_MAX_AGE", 0) == 0
        assert "init_command" not in database.get("OPTIONS", {})
        assert benchmark.CASES_BY_NAME[name].store.endswith("SQLite, Django's defaults")

    def test_db_settings_keep_the_connection_after_a_request(self, tmp_path):
        """What request_finished does: CONN_MAX_AGE=60 keeps the connection,
        Django's default 0 closes it."""
        tuned = sqlite_connection(db_settings, tmp_path / "tuned.sqlite3")
        default = sqlite_connection(base_settings, tmp_path / "default.sqlite3")
        for connection in (tuned, default):
            connection.ensure_connection()
            connection.close_if_unusable_or_obsolete()
        assert tuned.connection is not None
        assert default.connection is None
        tuned.close()


# --- python manage.py sessionbench ------------------------------------------


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """One tiny in-process run of a few cases, shared by the tests below."""
    path = tmp_path_factory.mktemp("bench") / "latest.json"
    only = [word for name in MEASURED for word in ("--only", name)]
    output, progress = sessionbench(
        "--requests", "3", "--rounds", "2", *only, "--note", "A test run.",
        "--json", str(path),
    )  # fmt: skip
    return output, progress, json.loads(path.read_text())


class TestSessionbench:
    def test_prints_a_row_per_engine_measured(self, bench):
        output, _, results = bench
        rows = table_rows(output)
        measured = [result["settings"] for result in results["results"]]
        assert list(rows) == measured
        assert set(EVERYWHERE) <= set(measured)
        skipped = {entry["settings"] for entry in results["skipped"]}
        assert set(measured) | skipped == set(MEASURED)
        for name in skipped:
            assert f"skipped {name}:" in output

    def test_says_how_to_reproduce_the_run(self, bench):
        """The printed command measures the same cases with the same counts."""
        output, _, _ = bench
        only = " ".join(f"--only {name}" for name in MEASURED)
        expected = f"python manage.py sessionbench --requests 3 --rounds 2 {only}"
        assert f"Reproduce: {expected}\n" in output
        assert "Note: A test run.\n" in output

    def test_ratios_are_positive_and_match_the_json(self, bench):
        output, _, results = bench
        rows = table_rows(output)
        (header_line,) = [
            line for line in output.splitlines() if line.startswith("settings ")
        ]
        header = re.split(r"\s{2,}", header_line.strip())
        assert set(EVERYWHERE) <= {result["settings"] for result in results["results"]}
        for result in results["results"]:
            row = dict(zip(header, rows[result["settings"]], strict=True))
            for kind in ("read", "write"):
                ratio = result[kind]["ratio"]
                assert ratio > 0
                assert row[f"{kind} ratio"] == f"{ratio:.2f}"
                assert float(row[f"{kind} ms"]) > 0

    def test_every_request_found_its_session(self, bench):
        """In process there is one store: every read and write had the session."""
        _, _, results = bench
        assert set(EVERYWHERE) <= {result["settings"] for result in results["results"]}
        for result in results["results"]:
            assert result["read"]["found"] == 1.0
            assert result["write"]["found"] == 1.0

    def test_json_says_when_where_and_with_what(self, bench):
        _, _, results = bench
        benchmark.check_results(results)
        measured_at = datetime.fromisoformat(results["date"])
        assert datetime.now(UTC) - measured_at < timedelta(hours=1)
        assert results["mode"] == "in-process"
        assert results["machine"]["cpu_count"] == os.cpu_count()
        assert results["machine"]["platform"] == platform.platform()
        assert results["python"] == platform.python_version()
        assert results["django"] == django.get_version()
        assert results["options"]["requests"] == 3
        assert results["options"]["rounds"] == 2
        assert results["note"] == "A test run."
        for result in results["results"]:
            for kind in benchmark.KINDS:
                stats = result[kind]
                assert stats["requests_per_second"] > 0
                assert 0 < stats["p50_ms"] <= stats["p99_ms"]

    def test_engines_follow_the_settings_modules(self, bench):
        _, _, results = bench
        engines = {r["settings"]: r["engine"] for r in results["results"]}
        assert engines["base"] == "db"
        assert engines["cookies"] == "signed_cookies"
        assert engines.get("redis", "cache") == "cache"

    def test_measures_redis_when_it_answers(self, bench):
        services.require_redis()
        measured = {result["settings"] for result in bench[2]["results"]}
        assert "redis" in measured

    def test_measures_postgresql_when_it_answers(self, bench):
        services.require_postgres()
        measured = {result["settings"] for result in bench[2]["results"]}
        assert "postgres" in measured


class TestSessionbenchOptions:
    def test_http_measures_gunicorn_workers_sharing_the_database(self, tmp_path):
        """Two workers share the db store: every request found its session."""
        path = tmp_path / "http.json"
        output, _ = sessionbench(
            "--http", "--only", "db", "--requests", "4", "--rounds", "1",
            "--concurrency", "2", "--json", str(path),
        )  # fmt: skip
        results = json.loads(path.read_text())
        benchmark.check_results(results)
        assert results["mode"] == "http"
        assert results["options"]["workers"] == 2
        assert results["options"]["concurrency"] == 2
        (result,) = results["results"]
        assert result["write"]["found"] == result["read"]["found"] == 1.0
        assert "db" in table_rows(output)
        assert "write p99 ms" in output

    def test_an_unreachable_redis_is_skipped_with_how_to_start_it(self, monkeypatch):
        monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{services.free_port()}/0")
        output, _ = sessionbench("--only", "redis", "--requests", "1", "--rounds", "1")
        assert table_rows(output) == {}
        assert "skipped redis: the cache does not answer" in output
        assert "redis-server" in output

    def test_pages_times_a_lesson_page_against_the_no_session_view(self, tmp_path):
        """--pages adds the visit counter's page, a ratio like the others."""
        path = tmp_path / "pages.json"
        output, _ = sessionbench(
            "--pages", "--only", "cookies", "--requests", "2", "--rounds", "1",
            "--json", str(path),
        )  # fmt: skip
        results = json.loads(path.read_text())
        benchmark.check_results(results)
        assert results["options"]["pages"] is True
        (result,) = results["results"]
        assert result["page"]["path"] == "/lessons/visit-counter/"
        assert result["page"]["ratio"] > 0
        assert "lesson page ratio" in output
        assert "--pages" in output.partition("Reproduce: ")[2].splitlines()[0]

    def test_a_case_whose_package_is_missing_is_skipped_with_the_reason(self):
        """An engine from a package outside requirements.txt: no process is
        started for it, and the reason says how to get it."""
        case = benchmark.Case("cookies", "x", package="sessionbench_no_such_package")
        results = benchmark.run([case], requests=1, rounds=1, report=lambda _: None)
        assert results["results"] == []
        (skipped,) = results["skipped"]
        assert (
            "sessionbench_no_such_package package is not installed"
            in (skipped["reason"])
        )

    def test_a_settings_module_not_written_yet_is_skipped(self):
        case = benchmark.Case("sessionbench_nowhere", "x")
        results = benchmark.run([case], requests=1, rounds=1, report=lambda _: None)
        (skipped,) = results["skipped"]
        assert skipped["reason"] == (
            "sitecore.settings.sessionbench_nowhere does not exist (yet)"
        )

    def test_overrides_go_on_top_of_the_base_module(self):
        """How an engine without a settings module of its own is measured:
        base.py's engine is db; the override makes it signed cookies."""
        case = benchmark.Case(
            "cookies",
            "x",
            base="base",
            overrides={
                "SESSION_ENGINE": '"django.contrib.sessions.backends.signed_cookies"'
            },
        )
        results = benchmark.run([case], requests=1, rounds=1, report=lambda _: None)
        (result,) = results["results"]
        assert result["engine"] == "signed_cookies"

    @pytest.mark.parametrize("option", list(benchmark.LIMITS))
    @pytest.mark.parametrize("offset", [-1, 1], ids=["below-one", "above-limit"])
    def test_counts_out_of_bounds_are_refused(self, option, offset):
        """A run is bounded: no count below 1 or above its limit."""
        count = 0 if offset < 0 else benchmark.LIMITS[option] + 1
        limit = benchmark.LIMITS[option]
        with pytest.raises(CommandError, match=f"--{option} must be from 1 to {limit}"):
            sessionbench(f"--{option}", str(count), "--only", "cookies")


# --- The lesson page --------------------------------------------------------


@pytest.fixture
def latest(tmp_path, monkeypatch):
    """Point the page at a results file of the test's own."""
    path = tmp_path / "latest.json"
    monkeypatch.setattr(benchmark, "LATEST_RESULTS", path)
    return path


def bars_of(page):
    return {
        (bar["data-settings"], bar["data-kind"]): bar
        for bar in page.select("#performance-chart rect.bar")
    }


def cells_of(page, row_id):
    row = page.by_id(row_id)
    return [" ".join(cell.get_text(" ").split()) for cell in row("th") + row("td")]


class TestPage:
    def test_charts_a_bar_per_engine_and_view(self, client, db, latest):
        benchmark.write_results(
            given_results(
                base=(1.0, (0.25, 4.0), (0.1, 10.0)),
                cookies=(1.0, (0.9, 1.1), (0.6, 1.5)),
            ),
            latest,
        )
        page = parse(client.get(reverse("myapp:performance")))
        bars = bars_of(page)
        assert {key: bar["data-value"] for key, bar in bars.items()} == {
            ("base", "read"): "0.25",
            ("base", "write"): "0.10",
            ("cookies", "read"): "0.90",
            ("cookies", "write"): "0.60",
        }
        # Lengths are proportional to the ratios.
        per_unit = {float(b["width"]) / float(b["data-value"]) for b in bars.values()}
        assert max(per_unit) - min(per_unit) < 0.01 * max(per_unit)
        labels = [t.get_text() for t in page.select("#performance-chart .bar-value")]
        assert "read 0.25 (+3.00 ms)" in labels
        assert "write 0.60 (+0.50 ms)" in labels

    def test_a_ratio_above_one_stretches_the_axis(self, client, db, latest):
        benchmark.write_results(
            given_results(cache=(1.0, (1.3, 0.9), (0.8, 1.2))), latest
        )
        page = parse(client.get(reverse("myapp:performance")))
        ticks = [t.get_text() for t in page.select("#performance-chart .tick-label")]
        assert ticks[-1] == "1.50"

    def test_the_chart_says_it_scrolls_on_a_phone(self, client, db):
        page = parse(client.get(reverse("myapp:performance")))
        assert "scroll it sideways" in page.text("performance-chart-scrolls")

    def test_table_gives_each_ratio_with_the_milliseconds_added(
        self, client, db, latest
    ):
        benchmark.write_results(
            given_results(
                db=(0.5, (0.5, 0.92), (0.2, 2.5)),
                file=(0.25, (0.7, 0.35), (0.3, 0.8)),
            ),
            latest,
        )
        page = parse(client.get(reverse("myapp:performance")))
        assert cells_of(page, "performance-row-db") == [
            "db",
            "db",
            "SQLite, WAL, CONN_MAX_AGE=60",
            "0.50 (+0.42 ms)",
            "0.20 (+2.00 ms)",
            "0.50",
            "100% / 50%",
        ]
        assert cells_of(page, "performance-row-file") == [
            "file",
            "file",
            "one file per session",
            "0.70 (+0.10 ms)",
            "0.30 (+0.55 ms)",
            "0.25",
            "100% / 50%",
        ]

    def test_found_column_only_when_a_session_went_missing(self, client, db, latest):
        given = given_results(db=(0.5, (0.5, 1.0), (0.2, 2.5)))
        benchmark.write_results(given, latest)
        page = parse(client.get(reverse("myapp:performance")))
        assert "Session found" in page.text("performance-table")
        assert page.has_id("performance-found")
        given["results"][0]["write"]["found"] = 1.0
        benchmark.write_results(given, latest)
        page = parse(client.get(reverse("myapp:performance")))
        assert "Session found" not in page.text("performance-table")
        assert not page.has_id("performance-found")

    def test_says_which_run_it_shows(self, client, db, latest):
        benchmark.write_results(given_results(db=(0.5, (0.5, 1.0), (0.2, 2.5))), latest)
        page = parse(client.get(reverse("myapp:performance")))
        assert "The latest run on this machine" in page.text("performance-source")
        assert page.text("performance-note") == "A run for the tests."
        machine = page.text("performance-machine")
        assert (
            "2030-01-02T03:04:05+00:00, http, 11 requests per view × 3 rounds"
            in machine
        )
        assert "Testix-1.0, Abacus, 7 CPUs" in machine
        assert "Django 9.9, Python 3.99.0" in machine
        assert page.text("performance-command") == (
            "python manage.py sessionbench --http --concurrency 4 --workers 2"
            " --requests 11 --rounds 3 --only db --only redis"
        )
        assert "Not measured: redis (Redis): not here" in page.text(
            "performance-skipped"
        )

    def test_chart_is_labelled_for_screen_readers(self, client, db, latest):
        benchmark.write_results(given_results(db=(0.5, (0.5, 1.0), (0.2, 2.5))), latest)
        page = parse(client.get(reverse("myapp:performance")))
        chart = page.by_id("performance-chart")
        assert chart["role"] == "img"
        for label_id in chart["aria-labelledby"].split():
            assert page.text(label_id)

    def test_without_a_run_it_shows_the_reference(self, client, db, latest):
        reference = json.loads(benchmark.REFERENCE_RESULTS.read_text())
        page = parse(client.get(reverse("myapp:performance")))
        assert "The reference run" in page.text("performance-source")
        assert reference["date"] in page.text("performance-machine")
        bars = bars_of(page)
        expected = {
            (result["settings"], kind): result[kind]["ratio"]
            for result in reference["results"]
            for kind in ("read", "write")
        }
        assert set(bars) == set(expected)
        for key, ratio in expected.items():
            assert abs(float(bars[key]["data-value"]) - ratio) <= 0.005 + 1e-9

    @pytest.mark.parametrize(
        "content", ["{not json", '{"schema": 1}', json.dumps({"schema": 99})]
    )
    def test_a_broken_run_falls_back_to_the_reference(
        self, client, db, latest, content
    ):
        latest.write_text(content)
        response = client.get(reverse("myapp:performance"))
        assert response.status_code == 200
        source = parse(response).text("performance-source")
        assert "The reference run" in source
        assert "could not be read" in source


class TestPageOnTheSameRedis:
    """Lesson 16 shows the engines that share one Redis side by side."""

    @pytest.fixture
    def page(self, client, db, latest):
        benchmark.write_results(
            given_results(
                db=(1.0, (0.5, 1.5), (0.2, 3.0)),
                redis=(1.0, (0.48, 1.6), (0.31, 2.5)),
                redis_cached_db=(1.0, (0.62, 1.4), (0.13, 5.0)),
                redis_direct=(1.0, (0.8, 1.2), (0.65, 1.4)),
            ),
            latest,
        )
        return parse(client.get(reverse("myapp:performance")))

    def test_says_what_each_costs_in_one_sentence(self, page):
        text = page.text("performance-redis")
        assert text.startswith("On the same Redis, side by side:")
        said = [
            "redis (Redis, through Django's cache) reads at 0.48 and writes at 0.31;",
            "redis_cached_db (Redis + SQLite, Django's defaults) reads at 0.62 and "
            "writes at 0.13;",
            "redis_direct (Redis, straight on redis-py: lesson 27) reads at 0.80 and "
            "writes at 0.65.",
        ]
        places = [text.index(part) for part in said]
        assert places == sorted(places)
        assert "db (SQLite" not in text

    def test_one_band_behind_exactly_the_redis_rows(self, page):
        (band,) = page.select("#performance-chart rect.same-redis")
        top = float(band["y"])
        bottom = top + float(band["height"])
        labels = page.select("#performance-chart text.row-label")
        assert [label for label in labels if label.get_text().startswith("redis")]
        for label in labels:
            inside = top < float(label["y"]) < bottom
            assert inside == label.get_text().startswith("redis"), label.get_text()

    def test_no_band_when_the_redis_rows_are_apart(self, client, db, latest):
        benchmark.write_results(
            given_results(
                redis=(1.0, (0.48, 1.6), (0.31, 2.5)),
                db=(1.0, (0.5, 1.5), (0.2, 3.0)),
                redis_direct=(1.0, (0.8, 1.2), (0.65, 1.4)),
            ),
            latest,
        )
        page = parse(client.get(reverse("myapp:performance")))
        assert page.select("#performance-chart rect.same-redis") == []


class TestPageOfALessonPage:
    def test_no_column_without_a_run_made_with_pages(self, client, db, latest):
        benchmark.write_results(given_results(db=(1.0, (0.5, 1.5), (0.2, 3.0))), latest)
        page = parse(client.get(reverse("myapp:performance")))
        assert "Lesson page" not in page.text("performance-table")
        assert not page.has_id("performance-page")

    def test_a_column_with_the_page_ratio_and_a_link_to_the_page(
        self, client, db, latest
    ):
        given = given_results(
            db=(1.0, (0.5, 1.5), (0.2, 3.0)), cookies=(1.0, (0.9, 1.1), (0.6, 1.5))
        )
        given["options"]["pages"] = True
        given["results"][0]["page"] = {
            "path": "/lessons/visit-counter/",
            "requests_per_second": 500.0,
            "p50_ms": 4.0,
            "p99_ms": 10.0,
            "ratio": 0.45,
        }
        benchmark.write_results(given, latest)
        page = parse(client.get(reverse("myapp:performance")))
        assert cells_of(page, "performance-row-db")[6] == "0.45 (+3.00 ms)"
        assert cells_of(page, "performance-row-cookies")[6] == "not measured"
        assert "/lessons/visit-counter/" in page.by_id("performance-page").a["href"]
        assert "--pages" in page.text("performance-command")


class TestReference:
    """The committed run that lessons 15 and 16 show until you measure your own."""

    @pytest.fixture
    def reference(self):
        return json.loads(benchmark.REFERENCE_RESULTS.read_text())

    def test_reference_is_a_complete_run_of_this_command(self, reference):
        """Measured on the course machine with Redis and PostgreSQL running."""
        benchmark.check_results(reference)
        measured = [result["settings"] for result in reference["results"]]
        assert measured == list(benchmark.CASES_BY_NAME)
        assert reference["skipped"] == []

    def test_reference_measured_real_gunicorn_processes(self, reference):
        """--http: several visitors at once against gunicorn workers."""
        assert reference["mode"] == "http"
        assert reference["options"]["http"] is True
        assert reference["options"]["workers"] >= 2
        assert reference["options"]["concurrency"] >= 2

    def test_reference_times_a_lesson_page_under_every_engine(self, reference):
        """Made with --pages: the visit counter's page beside the three views."""
        assert reference["options"]["pages"] is True
        for result in reference["results"]:
            assert result["page"]["path"] == "/lessons/visit-counter/"

    def test_lesson_16_shows_the_page_ratios_of_the_reference(
        self, client, db, latest, reference
    ):
        page = parse(client.get(reverse("myapp:performance")))
        for result in reference["results"]:
            cells = cells_of(page, f"performance-row-{result['settings']}")
            assert cells[6].startswith(f"{result['page']['ratio']:.2f} (")

    def test_reference_says_which_run_it_is_and_on_what_machine(self, reference):
        assert reference["machine"]["cpu_count"] >= 1
        assert reference["machine"]["platform"]
        assert "reference run" in reference["note"]
        assert "2 cores" in reference["note"]

    def test_reference_names_no_path_of_the_machine_it_ran_on(self):
        text = benchmark.REFERENCE_RESULTS.read_text()
        for prefix in ("/home/", "/root", "/tmp/", "/work/", "/Users/"):
            assert prefix not in text
