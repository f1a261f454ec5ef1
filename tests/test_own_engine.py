"""Lesson 27: the session engine written from scratch
(myapp/session_backends/redis_direct.py), and its lesson page.

Redis counts the commands itself (INFO commandstats), on a redis-server of
this module's own: no other test process and no developer's site adds to the
count, and each test starts from an empty database. The store contract
(tests/session_contract.py) runs on this engine in tests/test_session_backends.py;
here are the facts the lesson states: one GET per load, one SET per save,
UpdateError and CreateError from SET's XX and NX, JSON on the wire, the TTL,
and a 503 when Redis fails.
"""

import json
import logging
import time

import pytest
import redis
from asgiref.sync import async_to_sync
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from myapp import ratelimit
from myapp.checks import redis_is_reachable
from myapp.lessons import own_engine
from myapp.session_backends import breaker
from myapp.session_backends import redis_direct as redis_direct_engine
from sitecore.settings import redis_direct as redis_direct_settings
from tests.html import parse
from tests.services import (
    HttpBrowser,
    free_port,
    gunicorn,
    isolated_settings,
    manage,
    private_redis,
)
from tests.test_redis_failures import (
    CAUSES,
    MODES,
    failing,
    options_for,
    redis_server,
)

pytestmark = pytest.mark.services

PAGE = reverse("myapp:own-engine")
COUNT = reverse("myapp:own-engine-count")
RACE = reverse("myapp:own-engine-race")
FORGET = reverse("myapp:own-engine-forget")
COUNTER = reverse("myapp:visit-counter-count")
# Lesson 16's bench view that stores a cart: no inspector reading the store.
WRITE = reverse("myapp:performance-write")
COOKIE = "sessionid"
TWO_WEEKS = 1209600
# The commands a session engine sends; Redis also counts the tests' own
# (CONFIG, INFO, FLUSHDB) and redis-py's greeting on a new connection (HELLO).
SESSION_COMMANDS = {"get", "set", "setex", "exists", "del", "expire"}
DEMO_PREFIX = "sessions-course-demo:session:"


@pytest.fixture(scope="module")
def redis_url():
    with private_redis() as (url, _process):
        yield url


@pytest.fixture
def admin(redis_url):
    """A client of the test's own on the private Redis, emptied first."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


class Commands:
    """What Redis counted since the last reset, session commands only."""

    def __init__(self, admin):
        self.admin = admin

    def reset(self):
        self.admin.config_resetstat()

    def counted(self):
        stats = self.admin.info("commandstats")
        calls = {name.removeprefix("cmdstat_"): s["calls"] for name, s in stats.items()}
        return {name: n for name, n in calls.items() if name in SESSION_COMMANDS}


@pytest.fixture
def commands(admin):
    return Commands(admin)


def on_redis(settings, url, engine="myapp.session_backends.redis_direct"):
    """sitecore/settings/redis_direct.py's engine and cache, on the given Redis."""
    settings.SESSION_ENGINE = engine
    cache = redis_direct_settings.CACHES["default"]
    settings.CACHES = {"default": {**cache, "LOCATION": url}}


@pytest.fixture
def store(settings, db, redis_url, admin):
    """The engine's SessionStore, on the private Redis (no KEY_PREFIX: keys
    read session:<key>)."""
    on_redis(settings, redis_url)
    return redis_direct_engine.SessionStore


def saved(store, **data):
    session = store()
    session.update(data)
    session.save()
    return session.session_key


# --- One command per call -----------------------------------------------------


class TestOneCommandPerCall:
    def test_a_load_is_one_get(self, store, commands):
        key = saved(store, cart={"apples": 3})
        commands.reset()
        assert store(key).load() == {"cart": {"apples": 3}}
        assert commands.counted() == {"get": 1}

    def test_saving_a_change_is_one_set_after_the_load(self, store, commands):
        """No second GET to ask whether the key still exists: XX asks."""
        key = saved(store, x=1)
        commands.reset()
        later = store(key)
        later["x"] = 2
        later.save()
        assert commands.counted() == {"get": 1, "set": 1}

    def test_a_new_session_is_one_set(self, store, commands):
        """No EXISTS to pick the key: NX refuses a taken one."""
        session = store()
        session["x"] = 1
        commands.reset()
        session.save()
        assert commands.counted() == {"set": 1}

    def test_exists_is_one_exists_and_delete_one_del(self, store, commands):
        key = saved(store, x=1)
        commands.reset()
        assert store().exists(key) is True
        store().delete(key)
        assert commands.counted() == {"exists": 1, "del": 1}

    def test_clear_expired_sends_nothing(self, store, commands):
        """Redis deletes each key when its EX runs out."""
        saved(store, x=1)
        commands.reset()
        store.clear_expired()
        async_to_sync(store.aclear_expired)()
        assert commands.counted() == {}

    def test_the_async_methods_send_the_same_single_commands(self, store, commands):
        async def scenario():
            new = store()
            await new.aset("x", 1)
            await new.asave()  # acreate(): SET NX
            later = store(new.session_key)
            await later.aset("x", 2)  # aload(): GET
            await later.asave()  # SET XX
            assert await store().aexists(new.session_key) is True
            await store().adelete(new.session_key)

        commands.reset()
        async_to_sync(scenario)()
        assert commands.counted() == {"set": 2, "get": 1, "exists": 1, "del": 1}

    def test_a_request_that_changes_the_session_sends_a_get_and_a_set(
        self, store, commands
    ):
        browser = Client()
        browser.get(WRITE)
        commands.reset()
        assert browser.get(WRITE).content.startswith(b"found")
        assert commands.counted() == {"get": 1, "set": 1}

    def test_the_first_request_of_a_visitor_sends_one_set(self, store, commands):
        commands.reset()
        assert Client().get(WRITE).content.startswith(b"missing")
        assert commands.counted() == {"set": 1}


class TestDjangosCacheEngineOnTheSameRedis:
    """The other column of the lesson's table: Django's cache engine."""

    @pytest.fixture
    def browser(self, settings, db, redis_url, admin):
        on_redis(settings, redis_url, "django.contrib.sessions.backends.cache")
        return Client()

    def test_a_change_is_three_commands(self, browser, commands):
        """The load's GET, then save()'s GET to learn whether the key still
        exists, then the SET."""
        browser.get(WRITE)
        commands.reset()
        assert browser.get(WRITE).content.startswith(b"found")
        assert commands.counted() == {"get": 2, "set": 1}

    def test_a_new_session_is_two_commands(self, browser, commands):
        commands.reset()
        browser.get(WRITE)
        assert commands.counted() == {"exists": 1, "set": 1}


# --- Django's rules, kept by SET's NX and XX ----------------------------------


class TestDjangosRules:
    def test_a_save_after_a_delete_elsewhere_raises_update_error(self, store, admin):
        """SET ... XX finds no key and writes nothing: the session stays gone."""
        key = saved(store, user="ada")
        slow = store(key)
        assert slow["user"] == "ada"  # loaded by this request
        store().delete(key)  # a logout in another request
        slow["user"] = "eve"
        with pytest.raises(UpdateError):
            slow.save()
        assert admin.exists(f"session:{key}") == 0

    def test_asave_after_a_delete_elsewhere_raises_update_error(self, store, admin):
        key = saved(store, user="ada")
        slow = store(key)

        async def scenario():
            assert await slow.aget("user") == "ada"
            await store().adelete(key)
            await slow.aset("user", "eve")
            await slow.asave()

        with pytest.raises(UpdateError):
            async_to_sync(scenario)()
        assert admin.exists(f"session:{key}") == 0

    def test_must_create_on_a_stored_key_raises_create_error(self, store, admin):
        """SET ... NX leaves the stored session as it was."""
        key = saved(store, user="ada")
        other = store(key)
        other["user"] = "eve"
        with pytest.raises(CreateError):
            other.save(must_create=True)
        assert admin.get(f"session:{key}") == b'{"user":"ada"}'

    def test_create_takes_another_key_after_a_collision(
        self, store, admin, commands, monkeypatch
    ):
        """The first key drawn is taken: SET NX answers nil, create() draws again."""
        taken = saved(store, user="ada")
        keys = iter([taken, "b" * 32])
        monkeypatch.setattr(
            redis_direct_engine, "get_random_string", lambda *a: next(keys)
        )
        session = store()
        commands.reset()
        session.create()
        assert session.session_key == "b" * 32
        assert commands.counted() == {"set": 2}
        assert admin.get(f"session:{taken}") == b'{"user":"ada"}'

    def test_an_unknown_key_is_never_adopted(self, store, admin):
        session = store("unknownkeythatnobodyissued012345")
        session["cat"] = "dog"
        session.save()
        assert session.session_key != "unknownkeythatnobodyissued012345"
        assert admin.exists("session:unknownkeythatnobodyissued012345") == 0

    def test_a_value_that_is_not_json_is_a_new_session_and_logged(
        self, store, admin, caplog
    ):
        admin.set("session:" + "k" * 32, b"\x80\x04not json")
        session = store("k" * 32)
        with caplog.at_level(logging.WARNING, "django.security.SuspiciousSession"):
            assert session.load() == {}
        assert session.session_key is None
        assert "Session data corrupted" in caplog.text


# --- What Redis holds ---------------------------------------------------------


class TestOnTheWire:
    def test_the_value_is_json_not_a_pickle(self, store, admin):
        key = saved(store, cart={"apples": 3})
        assert admin.get(f"session:{key}") == b'{"cart":{"apples":3}}'

    def test_the_ttl_is_the_session_age(self, store, admin):
        key = saved(store, x=1)
        assert admin.ttl(f"session:{key}") in (TWO_WEEKS - 1, TWO_WEEKS)

    def test_set_expiry_sets_the_ttl(self, store, admin):
        session = store()
        session["x"] = 1
        session.set_expiry(60)
        session.save()
        assert admin.ttl(f"session:{session.session_key}") in (59, 60)

    def test_a_browser_close_session_keeps_the_cookie_age_in_redis(self, store, admin):
        session = store()
        session["x"] = 1
        session.set_expiry(0)
        session.save()
        assert admin.ttl(f"session:{session.session_key}") in (TWO_WEEKS - 1, TWO_WEEKS)

    def test_a_session_saved_already_expired_is_deleted(self, store, admin, commands):
        """set_expiry() in the past: the save is one DEL, no SET."""
        key = saved(store, x=1)
        session = store(key)
        session.set_expiry(-10)
        commands.reset()
        session.save()
        assert commands.counted() == {"del": 1}  # loaded by set_expiry()
        assert admin.exists(f"session:{key}") == 0

    def test_options_only_the_cache_client_takes_are_left_out(
        self, store, settings, admin
    ):
        """A RedisCache entry may name its serializer or pool class: Django's
        cache client takes those, redis-py would refuse them."""
        cache = settings.CACHES["default"]
        options = {
            **cache.get("OPTIONS", {}),
            "serializer": "django.core.cache.backends.redis.RedisSerializer",
            "pool_class": "redis.ConnectionPool",
        }
        settings.CACHES = {"default": {**cache, "OPTIONS": options}}
        key = saved(store, x=1)
        assert admin.get(f"session:{key}") == b'{"x":1}'

    def test_the_caches_key_prefix_comes_first(self, store, settings, admin):
        settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": "a"}}
        key = saved(store, x=1)
        assert admin.get(f"a:session:{key}") == b'{"x":1}'


class TestTheInspector:
    def test_shows_the_key_and_its_json_as_redis_holds_them(
        self, client, settings, redis_url, admin
    ):
        """Every lesson page's inspector shows this engine's record too: the
        Redis key (shortened) and the JSON text GET returns."""
        on_redis(settings, redis_url)
        client.get("/ssession")
        key = client.cookies[COOKIE].value
        as_stored = admin.get(f"session:{key}").decode()  # before the page saves
        page = parse(client.get(reverse("myapp:own-engine")))
        stored = page.text("inspector-stored")
        assert f"Redis, key session:{key[:8]}" in stored
        assert f"As stored {as_stored}" in stored
        assert '"sname":"irfan"' in as_stored

    def test_a_lesson_page_sends_two_gets_the_load_and_the_inspectors(
        self, client, settings, redis_url, monkeypatch
    ):
        """Lesson 16, "Where does a lesson page's time go?": on Redis the
        inspector's look is a second GET of the same key, after the load's."""
        on_redis(settings, redis_url)
        client.get("/ssession")
        key = client.cookies[COOKIE].value
        sent = []
        real_get = redis.Redis.get

        def get(self, name):
            sent.append(name)
            return real_get(self, name)

        monkeypatch.setattr(redis.Redis, "get", get)
        client.get(reverse("myapp:own-engine"))
        assert sent == [f"session:{key}"] * 2


# --- When Redis fails: a 503, never a silent logout ---------------------------

TIMEOUT = 0.3  # socket_timeout and socket_connect_timeout, seconds
SKIP = 5  # SESSION_CACHE_SKIP_SECONDS


@pytest.fixture
def site_on(settings, db, clock):
    """The redis_direct settings on a port, with short timeouts."""

    def use(port):
        on_redis(settings, f"redis://127.0.0.1:{port}/0")
        options = {"socket_timeout": TIMEOUT, "socket_connect_timeout": TIMEOUT}
        settings.CACHES["default"]["OPTIONS"] = options
        settings.SESSION_CACHE_SKIP_SECONDS = SKIP
        return Client(raise_request_exception=False)

    return use


class TestWhenRedisFails:
    @pytest.mark.parametrize("mode", MODES)
    def test_a_write_answers_503_keeps_the_cookie_and_logs_once(
        self, site_on, clock, caplog, mode
    ):
        """Down, hung, full (OOM) or a read-only replica (READONLY): every
        request answers the 503 page, the cookie stays, one warning names
        the cause."""
        with redis_server(*options_for(mode)) as (client, process, port):
            browser = site_on(port)
            assert browser.get(COUNTER).status_code == 200
            key = browser.cookies[COOKIE].value
            with caplog.at_level(logging.WARNING), failing(mode, client, process):
                for _ in range(2):
                    response = browser.get(COUNTER)
                    assert response.status_code == 503
                    assert response["Retry-After"] == "10"
                    assert "cache (Redis)" in response.content.decode()
                    assert COOKIE not in response.cookies
                    clock.now += SKIP + 1
            assert browser.cookies[COOKIE].value == key
            logged = [r for r in caplog.records if r.name == "django.contrib.sessions"]
            assert len(logged) == 1
            assert CAUSES[mode] in logged[0].getMessage()

    def test_a_hung_redis_costs_one_timeout_then_is_skipped(self, site_on, clock):
        with redis_server() as (client, process, port):
            browser = site_on(port)
            browser.get(COUNTER)
            with failing("hung", client, process):
                assert browser.get(COUNTER).status_code == 503  # waits TIMEOUT
                started = time.monotonic()
                for _ in range(3):
                    assert browser.get(COUNTER).status_code == 503
                assert time.monotonic() - started < TIMEOUT
            clock.now += SKIP + 1
            assert browser.get(COUNTER).status_code == 200

    def test_load_raises_and_keeps_the_key(self, site_on):
        site_on(free_port())
        session = redis_direct_engine.SessionStore("k" * 32)
        with pytest.raises(redis.ConnectionError):
            session.load()
        assert session.session_key == "k" * 32

    def test_make_runs_check_names_the_redis(self, site_on):
        """myapp/checks.py reads CACHES, where this engine finds Redis too."""
        port = free_port()
        site_on(port)
        (error,) = redis_is_reachable()
        assert error.id == "myapp.E001"
        assert f"redis://127.0.0.1:{port}/0" in error.msg


class TestMakeRun:
    """`make run ENGINE=redis_direct`: migrate (with its checks), then a server."""

    def test_migrate_stops_with_the_command_to_start_redis(self):
        port = free_port()
        env = {
            "DJANGO_SETTINGS_MODULE": "sitecore.settings.redis_direct",
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        }
        result = manage("migrate", env=env)
        assert result.returncode == 1
        assert "(myapp.E001) Redis does not answer" in result.stderr
        assert f"--port {port}" in result.stderr

    def test_two_server_processes_count_in_one_session(
        self, tmp_path, redis_url, admin
    ):
        env = isolated_settings(tmp_path, "redis_direct")
        env["REDIS_URL"] = redis_url
        assert manage("migrate", "--no-input", env=env).returncode == 0
        with gunicorn(env["DJANGO_SETTINGS_MODULE"], workers=2, env=env) as url:
            browser = HttpBrowser(url)
            counts = [browser.get(COUNTER).content.decode() for _ in range(4)]
        for number, page in enumerate(counts, start=1):
            times = "time" if number == 1 else "times"
            assert f"You have visited this page {number} {times}." in page
        key = browser.cookies[COOKIE]
        assert json.loads(admin.get(f"session:{key}"))["visit_count"] == 4


# --- The lesson page ------------------------------------------------------------


@pytest.fixture
def demo(monkeypatch, db, redis_url, admin):
    """The demo on the private Redis, with a fresh breaker; the site itself
    runs the default settings (db)."""
    monkeypatch.setattr(own_engine, "REDIS_URL", redis_url)
    monkeypatch.setattr(own_engine, "DEMO_BREAKER", breaker.Breaker())
    return Client()


class TestALimitOnAPublicSite:
    def test_counts_past_the_limit_answer_429_and_store_nothing(
        self, demo, admin, monkeypatch
    ):
        """A script that clears its cookies would add a Redis key per count:
        after the limit (per address, DEBUG off) the count does not run."""
        cache.clear()
        monkeypatch.setitem(ratelimit.LIMITS, "own-engine", (2, 600))
        for _ in range(2):
            demo.cookies.clear()
            assert demo.post(COUNT).status_code == 302
        demo.cookies.clear()
        response = demo.post(COUNT)
        assert response.status_code == 429
        assert 0 < int(response["Retry-After"]) <= 600
        assert len(admin.keys(DEMO_PREFIX + "*")) == 2
        cache.clear()


def sent_lines(response):
    page = parse(response)
    return [
        " ".join(li.get_text(" ").split()) for li in page.by_id("own-engine-sent")("li")
    ]


class TestDemo:
    def test_the_page_works_on_the_default_settings(self, demo):
        page = parse(demo.get(PAGE))
        assert page.text("footer-engine") == "db"
        assert page.text("own-engine-stored") == "No demo session yet."

    def test_the_first_count_creates_the_session_with_set_nx(self, demo, admin):
        demo.post(COUNT)
        key = demo.session[own_engine.DEMO_SESSION_KEY]
        response = demo.get(PAGE)
        assert sent_lines(response) == [
            f'SET {DEMO_PREFIX}{key[:8]}… {{"visits":1}} NX EX 1209600 → OK'
        ]
        page = parse(response)
        assert page.text("own-engine-value") == '{"visits":1} (JSON, not a pickle)'
        assert page.text("own-engine-ttl") in ("1209599 seconds", "1209600 seconds")
        assert admin.get(DEMO_PREFIX + key) == b'{"visits":1}'

    def test_a_later_count_is_a_get_and_a_set_xx(self, demo):
        demo.post(COUNT)
        demo.post(COUNT)
        key = demo.session[own_engine.DEMO_SESSION_KEY][:8]
        assert sent_lines(demo.get(PAGE)) == [
            f'GET {DEMO_PREFIX}{key}… → {{"visits":1}}',
            f'SET {DEMO_PREFIX}{key}… {{"visits":2}} XX EX 1209600 → OK',
        ]

    def test_the_race_ends_in_update_error_and_nothing_is_written(self, demo, admin):
        demo.post(COUNT)
        full_key = demo.session[own_engine.DEMO_SESSION_KEY]
        key = full_key[:8]
        demo.post(RACE)
        response = demo.get(PAGE)
        assert sent_lines(response) == [
            f'GET {DEMO_PREFIX}{key}… → {{"visits":1}}',
            f"DEL {DEMO_PREFIX}{key}… → (integer) 1",
            f'SET {DEMO_PREFIX}{key}… {{"visits":2}} XX EX 1209600 → (nil)',
        ]
        outcome = parse(response).by_id("own-engine-outcome")
        assert outcome["role"] == "alert"
        assert "save() raised UpdateError" in outcome.get_text()
        assert admin.exists(DEMO_PREFIX + full_key) == 0

    def test_after_the_race_a_count_starts_a_new_session(self, demo):
        """The key now names nothing: GET answers nil, and SET NX stores the
        session under a new key, never the old one."""
        demo.post(COUNT)
        old = demo.session[own_engine.DEMO_SESSION_KEY]
        demo.post(RACE)
        demo.post(COUNT)
        new = demo.session[own_engine.DEMO_SESSION_KEY]
        assert new != old
        assert sent_lines(demo.get(PAGE)) == [
            f"GET {DEMO_PREFIX}{old[:8]}… → (nil)",
            f'SET {DEMO_PREFIX}{new[:8]}… {{"visits":1}} NX EX 1209600 → OK',
        ]

    def test_delete_sends_one_del(self, demo, admin):
        demo.post(COUNT)
        key = demo.session[own_engine.DEMO_SESSION_KEY]
        demo.post(FORGET)
        response = demo.get(PAGE)
        assert sent_lines(response) == [f"DEL {DEMO_PREFIX}{key[:8]}… → (integer) 1"]
        assert parse(response).text("own-engine-stored") == "No demo session yet."
        assert admin.exists(DEMO_PREFIX + key) == 0

    def test_with_redis_down_the_demo_says_so(self, demo, monkeypatch):
        port = free_port()
        monkeypatch.setattr(own_engine, "REDIS_URL", f"redis://127.0.0.1:{port}/0")
        assert demo.post(COUNT).status_code == 302
        response = demo.get(PAGE)
        assert response.status_code == 200
        outcome = parse(response).by_id("own-engine-outcome")
        assert outcome["role"] == "alert"
        text = " ".join(outcome.get_text().split())
        assert f"Redis did not answer at redis://127.0.0.1:{port}/0" in text
        assert f"redis-server --daemonize yes --bind 127.0.0.1 --port {port}" in text

    def test_each_step_is_a_post_with_a_csrf_token(self, demo, admin):
        """A GET, or a POST without the token, runs no step: Redis still holds
        the first count, and the page still shows that count's command."""
        demo.post(COUNT)
        key = demo.session[own_engine.DEMO_SESSION_KEY]
        strict = Client(enforce_csrf_checks=True)
        strict.cookies = demo.cookies  # the same session, without a token
        for url in (COUNT, RACE, FORGET):
            response = demo.get(url)
            assert response.status_code == 405
            assert response["Allow"] == "POST"
            assert strict.post(url).status_code == 403
        assert admin.get(DEMO_PREFIX + key) == b'{"visits":1}'
        response = demo.get(PAGE)
        assert sent_lines(response) == [
            f'SET {DEMO_PREFIX}{key[:8]}… {{"visits":1}} NX EX 1209600 → OK'
        ]
        value = parse(response).text("own-engine-value")
        assert value == '{"visits":1} (JSON, not a pickle)'


class TestSpeedFigures:
    """Read from the reference run at render time; nothing invented."""

    def run_with(self, tmp_path, monkeypatch, results):
        path = tmp_path / "reference.json"
        run = {
            "date": "2026-12-24T10:00:00+00:00",
            "mode": "http",
            "options": {"concurrency": 2, "workers": 2, "requests": 50, "rounds": 3},
            "results": results,
            "skipped": [],
        }
        path.write_text(json.dumps(run))
        monkeypatch.setattr(own_engine, "REFERENCE_RUN", path)

    def test_not_measured_yet_without_figures_for_this_engine(
        self, client, db, tmp_path, monkeypatch
    ):
        redis = {"settings": "redis", "read": {"ratio": 0.48}, "write": {"ratio": 0.31}}
        self.run_with(tmp_path, monkeypatch, [redis])
        text = parse(client.get(PAGE)).text("own-engine-speed")
        assert text.startswith("Not measured yet")

    def test_the_figures_of_the_reference_run(self, client, db, tmp_path, monkeypatch):
        self.run_with(
            tmp_path,
            monkeypatch,
            [
                {
                    "settings": "redis",
                    "read": {"ratio": 0.48},
                    "write": {"ratio": 0.31},
                },
                {
                    "settings": "redis_direct",
                    "read": {"ratio": 0.8},
                    "write": {"ratio": 0.6},
                },
            ],
        )
        page = parse(client.get(PAGE))
        assert page.text("own-engine-speed-redis").endswith("0.48 0.31")
        assert page.text("own-engine-speed-redis_direct").endswith("0.80 0.60")
        assert (
            "(2026-12-24, python manage.py sessionbench --http --concurrency 2 "
            "--workers 2 --requests 50 --rounds 3 --only redis --only redis_direct"
        ) in page.text("deeper-speed")

    def test_an_unreadable_run_is_not_measured_yet(
        self, client, db, tmp_path, monkeypatch
    ):
        path = tmp_path / "reference.json"
        path.write_text("{not json")
        monkeypatch.setattr(own_engine, "REFERENCE_RUN", path)
        response = client.get(PAGE)
        assert response.status_code == 200
        assert parse(response).text("own-engine-speed").startswith("Not measured yet")
