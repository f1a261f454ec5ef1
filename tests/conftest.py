"""Shared fixtures: every engine settings file, applied to one test at a time.

Also two rules for the whole run: tests that share a server keep together
when pytest-xdist runs them in parallel, and under CI a skipped test fails
the run.
"""

import importlib
import zlib

import pytest
import redis
from django.contrib.sessions.backends.file import SessionStore as FileStore
from django.core.cache import caches

from myapp.session_backends import breaker
from tests.browser import chromium, live_site
from tests.services import in_ci, redis_key_prefix, require_redis

# The engine settings modules of sitecore/settings/ that run on any machine;
# "active" is the course's own engine (lesson 19).
ENGINES = ("db", "file", "cache", "cached_db", "cookies", "active")
# Engines whose data lives on the server, so a stored record can be checked.
SERVER_ENGINES = ("db", "file", "cache", "cached_db", "active")
# The project's own engines for a shared Redis (myapp/session_backends/): they
# need Redis running, so only the tests that name them run them.
REDIS_ENGINES = ("redis", "redis_cached_db", "redis_direct")


def settings_of(module_name):
    """The session, cache and middleware settings a settings module defines
    (the active-sessions engine brings its own SessionMiddleware)."""
    module = importlib.import_module(f"sitecore.settings.{module_name}")
    return {
        name: getattr(module, name)
        for name in dir(module)
        if name.startswith("SESSION_") or name in ("CACHES", "MIDDLEWARE")
    }


def forget_file_storage_path():
    # The file engine caches SESSION_FILE_PATH on its class the first time.
    if "_storage_path" in vars(FileStore):
        del FileStore._storage_path


def on_redis(cache_settings):
    return cache_settings["BACKEND"].endswith("RedisCache")


def own_redis_keys(cache_settings):
    """The cache on the shared Redis with this test process's own key prefix:
    parallel workers never see each other's sessions."""
    require_redis(cache_settings["LOCATION"])
    return {**cache_settings, "KEY_PREFIX": redis_key_prefix()}


def clear_caches(settings):
    """Empty every cache; on Redis only this process's keys (a flush would
    empty them for every worker, and a developer's sessions too)."""
    prefix = redis_key_prefix()
    for alias, cache_settings in settings.CACHES.items():
        if not on_redis(cache_settings):
            caches[alias].clear()
        elif cache_settings.get("KEY_PREFIX") == prefix:
            client = redis.Redis.from_url(cache_settings["LOCATION"])
            keys = list(client.scan_iter(f"{prefix}:*"))
            if keys:
                client.delete(*keys)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests log users in by the hundred: a fast hasher, as Django's docs advise.
    The production hashers are what the authentication lesson's pages use."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def use_settings(settings, tmp_path):
    """Apply one settings module's session settings (files go to tmp_path)."""

    def apply(module_name):
        for name, value in settings_of(module_name).items():
            setattr(settings, name, value)
        if settings.SESSION_FILE_PATH is not None:
            settings.SESSION_FILE_PATH = str(tmp_path)
        if any(on_redis(cache) for cache in settings.CACHES.values()):
            settings.CACHES = {
                alias: own_redis_keys(cache) if on_redis(cache) else cache
                for alias, cache in settings.CACHES.items()
            }
        forget_file_storage_path()
        clear_caches(settings)
        return module_name

    yield apply
    forget_file_storage_path()
    clear_caches(settings)


@pytest.fixture(params=ENGINES)
def engine(request, use_settings, db):
    """Run the test once under each engine settings file."""
    return use_settings(request.param)


@pytest.fixture(params=SERVER_ENGINES)
def server_engine(request, use_settings, db):
    """Run the test under each engine that keeps the data on the server."""
    return use_settings(request.param)


@pytest.fixture(params=ENGINES + REDIS_ENGINES)
def every_engine(request, use_settings, db):
    """Run the test under every engine the project ships, the Redis ones too."""
    return use_settings(request.param)


@pytest.fixture(params=SERVER_ENGINES + REDIS_ENGINES)
def every_server_engine(request, use_settings, db):
    """Every engine the project ships that keeps the data on the server."""
    return use_settings(request.param)


# --- The Redis breaker's clock, moved by the test ------------------------------


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """myapp/session_backends/breaker.py reads this clock instead of time's:
    a test skips its interval by moving ``clock.now`` forward."""
    fake = Clock()
    monkeypatch.setattr(breaker, "clock", fake)
    return fake


# --- In parallel: tests that share a server stay on one worker ---------------


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """A test module's module-scoped fixture (a live site, a browser, a
    migrated database) is started once per worker that runs its tests. Group
    those tests, so that `--dist loadgroup` sends them all to one worker."""
    for item in items:
        if any(
            definitions[-1].scope == "module"
            and definitions[-1].func.__module__.startswith("tests.")
            for definitions in item._fixtureinfo.name2fixturedefs.values()
        ):
            item.add_marker(pytest.mark.xdist_group(group_of(item)))


def group_of(item):
    """The module, or for a module marked split_in(n) one of n groups. Each
    group starts the module's fixtures once, and the groups can run on
    different workers; the tests of one parameter stay in one group."""
    marker = item.get_closest_marker("split_in")
    callspec = getattr(item, "callspec", None)
    if marker is None or callspec is None:
        return item.module.__name__
    parameter = "-".join(str(value) for value in callspec.params.values())
    return f"{item.module.__name__}[{zlib.crc32(parameter.encode()) % marker.args[0]}]"


# --- Under CI a skipped test fails the run ------------------------------------
# A skip says "not tested here". On a developer's machine without Redis that
# is honest; in CI it would let a green run hide an untested engine. With
# pytest-xdist the reports of every worker reach the main process, so these
# hooks see them all there.

SKIPPED = []


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        SKIPPED.append(report.nodeid)


def pytest_collectreport(report):
    if report.skipped:
        SKIPPED.append(report.nodeid)


def skips_fail_this_run(config):
    """Under CI, in the main process (a pytest-xdist worker reports to it)."""
    return in_ci() and SKIPPED and not hasattr(config, "workerinput")


def pytest_sessionfinish(session):
    if skips_fail_this_run(session.config) and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config):
    if skips_fail_this_run(config):
        terminalreporter.section("CI: skipped tests fail the run", red=True)
        for nodeid in SKIPPED:
            terminalreporter.line(f"SKIPPED {nodeid}")
        terminalreporter.line(f"{len(SKIPPED)} skipped: under CI every test must run.")


# --- A real browser ----------------------------------------------------------
# One site and one Chromium per test module (tests/browser.py starts both); a
# module that needs another site (its own settings, a private Redis) defines
# its own `site` fixture, which takes precedence over this one.


@pytest.fixture(scope="module")
def site():
    with live_site() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    """A fresh browser context (its own cookies) and page for each test."""
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
