"""Production as a teacher runs it: `make production` (migrate, collectstatic,
gunicorn) serves the site and its static files, on SQLite or on PostgreSQL and
Redis; HSTS is short unless raised; the cookies carry __Host- names."""

import http.client
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from myapp.course import LESSONS
from tests.html import parse
from tests.services import (
    Reply,
    free_port,
    private_redis,
    require_command,
    running,
    throwaway_postgres_database,
)

PROJECT_DIR = Path(settings.BASE_DIR)
MODULE = "sitecore.settings.production"
ENVIRONMENT = {
    "DJANGO_SECRET_KEY": "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    # The proxy in front terminates TLS and says so (README).
    "DJANGO_BEHIND_HTTPS_PROXY": "1",
}
# Variables of the environment the tests run in that production would read.
READ_BY_PRODUCTION = ("DATABASE_URL", "REDIS_URL", "DJANGO_STATIC_ROOT")
ONE_YEAR = 31536000


def python(code, **env):
    """Run Python with the production settings imported as ``s``; stdout."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("DJANGO_") and name not in READ_BY_PRODUCTION
    }
    environment.update(ENVIRONMENT, **env)
    return subprocess.run(
        [sys.executable, "-c", f"import {MODULE} as s\n{code}"],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_values(expression, **env):
    result = python(f"print(repr(({expression})))", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def check_deploy(**env):
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("DJANGO_") and name not in READ_BY_PRODUCTION
    }
    environment.update(ENVIRONMENT, **env)
    command = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    return subprocess.run(
        [sys.executable, *command, f"--settings={MODULE}"],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


class TestHsts:
    HSTS = (
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD"
    )

    def test_the_default_is_an_hour_without_subdomains_or_preload(self):
        """A trial on a real domain is undone within the hour; nothing is
        submitted to the browsers' preload list."""
        assert production_values(self.HSTS) == "(3600, False, False)"

    def test_environment_variables_raise_it(self):
        printed = production_values(
            self.HSTS,
            DJANGO_HSTS_SECONDS=str(ONE_YEAR),
            DJANGO_HSTS_INCLUDE_SUBDOMAINS="1",
            DJANGO_HSTS_PRELOAD="true",
        )
        assert printed == f"({ONE_YEAR}, True, True)"

    def test_preload_without_a_year_and_subdomains_is_refused(self):
        """hstspreload.org accepts nothing less: better an error at start than
        a header that asks for something that cannot be granted."""
        result = python("", DJANGO_HSTS_PRELOAD="1")
        assert result.returncode != 0
        assert "DJANGO_HSTS_PRELOAD=1 needs DJANGO_HSTS_SECONDS=31536000" in (
            result.stderr
        )

    @pytest.mark.parametrize(
        ("name", "value"),
        [("DJANGO_HSTS_PRELOAD", "maybe"), ("DJANGO_HSTS_SECONDS", "one hour")],
    )
    def test_a_value_that_means_nothing_is_a_clear_error(self, name, value):
        result = python("", **{name: value})
        assert result.returncode != 0
        assert f"ImproperlyConfigured: {name} must be" in result.stderr

    @pytest.mark.parametrize(
        ("env", "silenced"),
        [
            ({}, ["security.W005", "security.W021"]),
            ({"DJANGO_HSTS_INCLUDE_SUBDOMAINS": "1"}, ["security.W021"]),
            (
                {
                    "DJANGO_HSTS_SECONDS": str(ONE_YEAR),
                    "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "1",
                    "DJANGO_HSTS_PRELOAD": "1",
                },
                [],
            ),
        ],
        ids=["default", "subdomains", "preload"],
    )
    def test_check_deploy_is_clean_and_silences_only_the_choices_left_off(
        self, env, silenced
    ):
        """The warnings a teacher accepts are exactly the HSTS choices left
        off on purpose: W005 (no subdomains) and W021 (no preload)."""
        result = check_deploy(**env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "WARNING" not in result.stdout + result.stderr
        assert f"no issues ({len(silenced)} silenced)" in result.stdout
        assert production_values("s.SILENCED_SYSTEM_CHECKS", **env) == repr(silenced)


class TestCookiesAndStores:
    def test_session_and_csrf_cookies_have_host_names_and_what_they_require(self):
        """__Host- cookies are kept only with Secure, Path=/ and no Domain."""
        code = (
            "(s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_PATH,"
            " s.SESSION_COOKIE_DOMAIN), (s.CSRF_COOKIE_NAME, s.CSRF_COOKIE_SECURE,"
            " getattr(s, 'CSRF_COOKIE_PATH', '/'),"
            " getattr(s, 'CSRF_COOKIE_DOMAIN', None))"
        )
        assert production_values(code) == repr(
            (
                ("__Host-sessionid", True, "/", None),
                ("__Host-csrftoken", True, "/", None),
            )
        )

    def test_sqlite_and_the_database_engine_by_default(self):
        code = "s.DATABASES['default']['ENGINE'], s.SESSION_ENGINE"
        assert production_values(code) == repr(
            ("django.db.backends.sqlite3", "django.contrib.sessions.backends.db")
        )

    def test_database_url_and_redis_url_select_postgresql_and_redis(self):
        code = (
            "d = s.DATABASES['default']; "
            "print(repr((d['ENGINE'], d['NAME'], d['HOST'], d['PORT'], "
            "s.CACHES['default']['LOCATION'], s.SESSION_ENGINE)))"
        )
        result = python(
            code,
            DATABASE_URL="postgres://teacher:secret@db.internal:5433/course",
            REDIS_URL="redis://cache.internal:6380/2",
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == repr(
            (
                "django.db.backends.postgresql",
                "course",
                "db.internal",
                "5433",
                "redis://cache.internal:6380/2",
                "myapp.session_backends.cached_db",
            )
        )


# --- make production, for real -----------------------------------------------


class Browser:
    """Plain HTTP to the server, as the HTTPS proxy in front forwards it."""

    def __init__(self, port, https=True):
        self.port = port
        self.https = https
        self.cookies = {}

    def get(self, path):
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.https:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path, headers=headers)
            answer = connection.getresponse()
            reply = Reply(answer.status, answer.headers, answer.read())
        finally:
            connection.close()
        for name, morsel in reply.cookies.items():
            self.cookies[name] = morsel.value
        return reply


@contextmanager
def make_production(directory, **env):
    """`make production` on a free port, its database and static files in
    directory; the installed virtualenv is used as it is (-o: not rebuilt)."""
    require_command("make", "make")
    port = free_port()
    venv = Path(sys.prefix)
    command = ["make", "-o", str(venv / ".installed"), "production"]
    command += [f"VENV={venv}", f"BIND=127.0.0.1:{port}"]
    environment = {
        **ENVIRONMENT,
        "DJANGO_DB_PATH": str(directory / "db.sqlite3"),
        "DJANGO_STATIC_ROOT": str(directory / "static"),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        **env,
    }
    with running(command, port, env=environment, timeout=180):
        yield port


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    with make_production(tmp_path_factory.mktemp("production")) as port:
        yield port


class TestMakeProduction:
    def test_the_stylesheet_is_served(self, production_server):
        reply = Browser(production_server).get("/static/css/course.css")
        assert reply.status_code == 200
        assert reply["Content-Type"].startswith("text/css")
        assert reply.content == (PROJECT_DIR / "static/css/course.css").read_bytes()

    def test_an_unknown_address_gets_the_styled_404(self, production_server):
        """The course's 404 page, whose stylesheet link answers too."""
        browser = Browser(production_server)
        reply = browser.get("/no-such-page/")
        assert reply.status_code == 404
        page = parse(reply)
        assert page.text("main").startswith("404: no page at this address")
        stylesheet = page.soup.find("link", rel="stylesheet")["href"]
        # The hashed name collectstatic wrote: a new file is a new URL.
        assert re.fullmatch(r"/static/css/course\.[0-9a-f]{12}\.css", stylesheet)
        css = browser.get(stylesheet)
        assert css.status_code == 200
        assert css.content == (PROJECT_DIR / "static/css/course.css").read_bytes()
        assert "max-age=315360000" in css["Cache-Control"]

    def test_every_lesson_page_renders(self, production_server):
        """Every {% static %} a page uses is in the manifest collectstatic
        wrote: a missing one would be a 500 in production only."""
        browser = Browser(production_server)
        static = set()
        for lesson in LESSONS:
            if lesson.available:
                reply = browser.get(lesson.url)
                assert reply.status_code == 200, lesson.url
                page = parse(reply)
                assert page.soup.h1.get_text() == f"{lesson.number}. {lesson.title}"
                for tag in page.soup.find_all(["link", "script", "img"]):
                    url = tag.get("href") or tag.get("src") or ""
                    if url.startswith("/static/"):
                        static.add(url)
        assert static  # the stylesheet at least
        for url in sorted(static):
            # The hashed name collectstatic wrote, and the server has it.
            assert re.search(r"\.[0-9a-f]{12}\.\w+$", url), url
            assert browser.get(url).status_code == 200, url

    def test_plain_http_is_sent_to_https(self, production_server):
        reply = Browser(production_server, https=False).get("/static/css/course.css")
        assert reply.status_code == 301
        location = f"https://127.0.0.1:{production_server}/static/css/course.css"
        assert reply["Location"] == location

    def test_the_session_cookie_is_host_prefixed_and_hsts_is_an_hour(
        self, production_server
    ):
        reply = Browser(production_server).get("/ssession")
        assert reply.status_code == 200
        assert reply["Strict-Transport-Security"] == "max-age=3600"
        header = next(
            line
            for line in reply.headers.get_all("Set-Cookie")
            if line.startswith("__Host-sessionid=")
        )
        attributes = [part.strip().split("=")[0] for part in header.split(";")]
        assert {"Secure", "Path", "HttpOnly"} <= set(attributes)
        assert "Domain" not in attributes
        assert "Path=/;" in header.replace(" ", "") + ";"


def test_make_production_on_postgresql_and_redis(tmp_path):
    """A session stored through the running site lands in PostgreSQL's table
    and in Redis, and is read back on the next request."""
    import psycopg
    import redis

    with throwaway_postgres_database() as name, private_redis() as (redis_url, _):
        env = {"DATABASE_URL": f"postgres:///{name}", "REDIS_URL": redis_url}
        with make_production(tmp_path, **env) as port:
            browser = Browser(port)
            assert browser.get("/ssession").status_code == 200
            key = browser.cookies["__Host-sessionid"]
            assert b"irfan" in browser.get("/gsession").content
        with psycopg.connect(dbname=name) as connection:
            rows = connection.execute(
                "SELECT count(*) FROM django_session WHERE session_key = %s", (key,)
            ).fetchone()
        assert rows == (1,)
        assert any(
            key in k.decode() for k in redis.Redis.from_url(redis_url).scan_iter()
        )
