"""Faults: the session store stops while the site runs.

Against real processes: a private redis-server that the test stops by its
process id, and gunicorn with DEBUG off. Beside them, in process, what
Django's own cache and cached_db engines do in the same outage: the reason
this project's settings use the engines in myapp/session_backends/.
"""

import logging
import os
import secrets
import signal
import time
from contextlib import contextmanager
from importlib import import_module
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.test import Client
from django.urls import reverse

from myapp.store_errors import RETRY_AFTER
from sitecore.settings import redis as redis_settings
from tests.html import parse
from tests.services import (
    fetch,
    free_port,
    gunicorn,
    isolated_settings,
    manage,
    private_redis,
    private_redis_on,
)

COOKIE = settings.SESSION_COOKIE_NAME
PRODUCTION = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
# After a failure the engines skip Redis this long (seconds): short here.
SKIP = 0.5
UNAVAILABLE = "503: the session store is unavailable"


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory):
    """A migrated SQLite database (and session directory) for this module's servers."""
    directory = tmp_path_factory.mktemp("faults")
    result = manage("migrate", "--no-input", env=isolated_settings(directory, "db"))
    assert result.returncode == 0, result.stderr
    return directory


@contextmanager
def site_on_private_redis(state_dir, engine):
    """A private Redis and one gunicorn on it; yield (site URL, Redis port,
    Redis process)."""
    with private_redis() as (url, process):
        env = {**isolated_settings(state_dir, engine), **PRODUCTION, "REDIS_URL": url}
        env["SESSION_CACHE_SKIP_SECONDS"] = str(SKIP)
        with gunicorn(env["DJANGO_SETTINGS_MODULE"], env=env) as site:
            yield site, urlsplit(url).port, process


def stop(process):
    """Stop a server by its process id, at once."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def write_through(site):
    reply = fetch(site + "/ssession")
    assert reply.status_code == 200
    return {COOKIE: reply.cookies[COOKIE].value}


def stored_values(reply):
    return parse(reply).text("message")


def post_form(site, page, action, fields, cookies):
    """Submit a form as a browser would: the CSRF cookie and the page's token."""
    first = fetch(site + page, cookies=cookies)
    token = parse(first).select("[name=csrfmiddlewaretoken]")[0]["value"]
    csrf = first.cookies.get("csrftoken")
    if csrf is not None:
        cookies = {**cookies, "csrftoken": csrf.value}
    reply = fetch(
        site + action,
        cookies=cookies,
        form={"csrfmiddlewaretoken": token, **fields},
    )
    if COOKIE in reply.cookies:
        cookies = {**cookies, COOKIE: reply.cookies[COOKIE].value}
    return reply, cookies


def assert_store_unavailable(reply, store):
    """A 503 page that names the store: no traceback, no cookie change."""
    assert reply.status_code == 503
    assert reply["Retry-After"] == str(RETRY_AFTER)
    page = parse(reply)
    assert UNAVAILABLE in page.text()
    assert store in page.text("message")
    assert "Traceback" not in reply.content.decode()
    assert COOKIE not in reply.cookies  # the visitor keeps the cookie


# --- Redis, cache engine (sitecore.settings.redis) --------------------------


@pytest.mark.services
class TestRedisCacheOutage:
    def test_a_stopped_redis_answers_503_and_the_site_recovers(self, state_dir):
        """While Redis is gone every page that needs the session answers 503;
        started again on its port, the same site serves sessions again."""
        with site_on_private_redis(state_dir, "redis") as (site, port, redis_process):
            cookies = write_through(site)
            stop(redis_process)

            assert_store_unavailable(fetch(site + "/gsession", cookies), "Redis")
            lesson = fetch(site + reverse("myapp:first-session"), cookies)
            assert_store_unavailable(lesson, "Redis")

            with private_redis_on(port):
                # That Redis kept nothing on disk: the old session is gone,
                # but the site answers again without a restart, once the
                # breaker's skip interval has passed.
                time.sleep(SKIP)
                reply = fetch(site + "/gsession", cookies)
                assert reply.status_code == 200
                assert stored_values(reply).startswith("No session values yet")
                assert fetch(site + "/ssession").status_code == 200

    def test_a_paused_redis_loses_nothing(self, state_dir):
        """A Redis that stops answering (paused, still holding the data): 503
        after the one-second socket timeout; once it answers and the skip
        interval has passed, the visitor's
        session is back, because the 503 left the cookie alone."""
        with site_on_private_redis(state_dir, "redis") as (site, _, redis_process):
            cookies = write_through(site)
            os.kill(redis_process.pid, signal.SIGSTOP)
            try:
                reply = fetch(site + "/gsession", cookies)
            finally:
                os.kill(redis_process.pid, signal.SIGCONT)
            assert_store_unavailable(reply, "Redis")
            time.sleep(SKIP)
            reply = fetch(site + "/gsession", cookies)
            assert stored_values(reply) == "irfan irfan@example.com"


# --- Redis, cached_db engine (sitecore.settings.redis_cached_db) ------------


@pytest.mark.services
class TestRedisCachedDbOutage:
    def test_logged_in_visitors_are_served_from_the_database(self, state_dir):
        """Redis stopped: the logged-in name still shows, and a new visitor
        still gets a session. Logout waits for Redis (503) and works once it
        is back."""
        with site_on_private_redis(state_dir, "redis_cached_db") as (
            site,
            port,
            redis_process,
        ):
            login, logout = reverse("myapp:login"), reverse("myapp:logout")
            home = reverse("myapp:home")
            reply, cookies = post_form(site, login, login, {"username": "Ada"}, {})
            assert reply.status_code == 302
            stop(redis_process)

            welcome = parse(fetch(site + home, cookies)).text("welcome")
            assert welcome == "Welcome, Ada!"
            assert COOKIE in fetch(site + "/ssession").cookies

            reply, _ = post_form(site, home, logout, {}, cookies)
            assert_store_unavailable(reply, "Redis")
            assert parse(fetch(site + home, cookies)).text("welcome") == "Welcome, Ada!"

            with private_redis_on(port):
                time.sleep(SKIP)
                reply, _ = post_form(site, home, logout, {}, cookies)
                assert reply.status_code == 302
                guest = parse(fetch(site + home, cookies)).text("welcome")
                assert guest == "Welcome, Guest!"


# --- PostgreSQL --------------------------------------------------------------


class TestPostgreSQLOutage:
    def test_an_unreachable_database_answers_503(self):
        """postgres settings pointed at a closed port: a visitor with a session
        gets the 503 page; a page that needs no session still works."""
        closed = f"postgres://127.0.0.1:{free_port()}/sessions_course"
        env = {
            "DJANGO_SETTINGS_MODULE": "sitecore.settings.postgres",
            "DATABASE_URL": closed,
            **PRODUCTION,
        }
        with gunicorn(env["DJANGO_SETTINGS_MODULE"], env=env) as site:
            reply = fetch(site + "/gsession", cookies={COOKIE: "k" * 32})
            assert_store_unavailable(reply, "database")
            cookieless = fetch(site + "/gsession")
            assert cookieless.status_code == 200
            assert stored_values(cookieless).startswith("No session values yet")


# --- Django's own engines against this project's, in process ----------------


@pytest.fixture
def redis_down(settings, db):
    """The redis settings' cache, pointed at a port where nothing listens."""
    settings.CACHES = {
        "default": {
            **redis_settings.CACHES["default"],
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    return settings


def stored_session(**data):
    """A session saved by the db engine: the row cached_db falls back to."""
    session = DBStore()
    session.update(data)
    session.save()
    return session.session_key


class TestCacheEngineOutage:
    def test_djangos_engine_deletes_the_cookie_of_a_visitor(self, redis_down):
        """Django's cache engine reads an unreachable Redis as "no session":
        a plain read answers 200 and deletes the cookie, a logout for good."""
        redis_down.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
        client = Client()
        client.cookies[COOKIE] = "k" * 32
        response = client.get("/gsession")
        assert response.status_code == 200
        assert response.cookies[COOKIE].value == ""
        assert response.cookies[COOKIE]["max-age"] == 0

    def test_djangos_engine_raises_on_a_write(self, redis_down):
        redis_down.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
        with pytest.raises(redis.ConnectionError):
            Client().get("/ssession")

    def test_this_projects_engine_answers_503_and_keeps_the_cookie(self, redis_down):
        redis_down.SESSION_ENGINE = "myapp.session_backends.cache"
        client = Client(raise_request_exception=False)
        client.cookies[COOKIE] = "k" * 32
        assert_store_unavailable(client.get("/gsession"), "Redis")


class TestCachedDbEngineOutage:
    def test_djangos_engine_fails_every_visitor_with_a_session(self, redis_down):
        """Since 5.1 save() logs a failed cache write, but load() writes the
        row back to the cache unguarded: a stored session cannot be read."""
        redis_down.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
        client = Client()
        client.cookies[COOKIE] = stored_session(sname="irfan")
        with pytest.raises(redis.ConnectionError):
            client.get("/gsession")

    def test_djangos_engine_cannot_start_a_new_session(self, redis_down):
        """exists(), asked for every new key, asks the cache first."""
        redis_down.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
        with pytest.raises(redis.ConnectionError):
            Client().get("/ssession")

    def test_djangos_engine_raises_at_logout_after_deleting_the_row(self, redis_down):
        """delete() (flush(), logout) deletes the row, then the cache entry,
        unguarded: the logout fails, and the cache may keep its copy."""
        redis_down.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
        store_class = import_module(redis_down.SESSION_ENGINE).SessionStore
        key = stored_session(username="Ada")
        with pytest.raises(redis.ConnectionError):
            store_class(key).delete()
        assert not DBStore().exists(key)

    def test_this_projects_engine_reads_the_database_and_logs(self, redis_down, caplog):
        redis_down.SESSION_ENGINE = "myapp.session_backends.cached_db"
        client = Client()
        client.cookies[COOKIE] = stored_session(sname="irfan", semail="i@e.org")
        with caplog.at_level(logging.WARNING, logger="django.contrib.sessions"):
            response = client.get("/gsession")
        assert stored_values(response) == "irfan i@e.org"
        assert "Session cache unreachable" in caplog.text

    def test_this_projects_engine_starts_new_sessions_in_the_database(self, redis_down):
        redis_down.SESSION_ENGINE = "myapp.session_backends.cached_db"
        client = Client()
        client.get("/ssession")
        key = client.cookies[COOKIE].value
        assert DBStore().exists(key)
        assert DBStore(key).load()["sname"] == "irfan"

    def test_this_projects_engine_deletes_nothing_while_the_cache_is_down(
        self, redis_down
    ):
        """Logout answers 503 and the row stays: a Redis that is only
        unreachable may still hold the session."""
        redis_down.SESSION_ENGINE = "myapp.session_backends.cached_db"
        client = Client(raise_request_exception=False)
        key = stored_session(username="Ada")
        client.cookies[COOKIE] = key
        assert_store_unavailable(client.post(reverse("myapp:logout")), "Redis")
        assert DBStore().exists(key)
