"""Lesson 27: a session engine written from scratch, on SessionBase and redis-py.

The demo runs the lesson's engine (myapp/session_backends/redis_direct.py)
against the Redis of REDIS_URL, whatever engine serves the site: the
visitor's own session keeps only the demo session's key and what the last
step sent.
"""

import json
import os

import redis
from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from myapp import benchmark, checks
from myapp.course import render_lesson
from myapp.inspector import shorten
from myapp.ratelimit import limited
from myapp.session_backends import redis_direct
from myapp.session_backends.breaker import Breaker
from myapp.store_errors import CACHE_FAILURES

# The demo's Redis: the one sitecore/settings/redis.py uses, with its timeouts.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
# The demo's keys start with this, apart from the site's own sessions.
DEMO_KEY_PREFIX = "sessions-course-demo:"

# In the visitor's own session: the demo session's key, and the last step.
DEMO_SESSION_KEY = "own_engine_key"
LAST_STEP_KEY = "own_engine_last"
# The one value the demo session holds.
VISITS_KEY = "visits"

# The benchmark run lesson 16 charts; "redis" is Django's cache engine on
# Redis, "redis_direct" this lesson's engine on the same Redis.
REFERENCE_RUN = settings.BASE_DIR / "myapp" / "benchmark_reference.json"
COMPARED = (
    ("redis", "Django's cache engine"),
    ("redis_direct", "this lesson's engine"),
)


# --- The engine, watched ------------------------------------------------------


class RecordingRedis(redis.Redis):
    """redis-py on the engine's connection pool, noting every command it sends
    and the reply, as redis-cli would print them."""

    def __init__(self, client, sent):
        super().__init__(connection_pool=client.connection_pool)
        self.sent = sent

    def execute_command(self, *args, **options):
        step = {"command": command_line(args), "reply": "(no answer)"}
        self.sent.append(step)
        reply = super().execute_command(*args, **options)
        step["reply"] = reply_line(reply)
        return reply


def command_line(args):
    """SET session:abcd1234… {"visits":1} EX 1209600 NX: the key shortened."""
    words = [arg.decode() if isinstance(arg, bytes) else str(arg) for arg in args]
    prefix = DEMO_KEY_PREFIX + redis_direct.KEY_PREFIX
    return " ".join(
        prefix + shorten(word.removeprefix(prefix)) if word.startswith(prefix) else word
        for word in words
    )


def reply_line(reply):
    if reply is True:
        return "OK"
    if reply is None:
        return "(nil)"
    if isinstance(reply, int):
        return f"(integer) {reply}"
    return reply.decode() if isinstance(reply, bytes) else str(reply)


# After a failure the demo, like the site's engines, skips Redis a few seconds.
DEMO_BREAKER = Breaker()


class DemoStore(redis_direct.SessionStore):
    """The lesson's engine, unchanged, on the demo's Redis and keys; every
    command goes through a RecordingRedis into ``sent``."""

    on_failure = "the lesson's demo says so"

    def __init__(self, session_key=None, sent=None):
        self.sent = [] if sent is None else sent
        super().__init__(session_key)

    def connect(self):
        client = redis_direct.client_for(REDIS_URL, REDIS_OPTIONS)
        prefix = DEMO_KEY_PREFIX + redis_direct.KEY_PREFIX
        return RecordingRedis(client, self.sent), DEMO_BREAKER, prefix


def stored(session_key):
    """What Redis holds under the demo session's key and for how long, read by
    this page with GET and TTL (not through the engine)."""
    if not session_key:
        return None
    key = DEMO_KEY_PREFIX + redis_direct.KEY_PREFIX + session_key
    client = redis_direct.client_for(REDIS_URL, REDIS_OPTIONS)
    try:
        value, ttl = client.get(key), client.ttl(key)
    except CACHE_FAILURES as error:
        return {"key": command_line([key]), "error": unreachable(error)}
    return {
        "key": command_line([key]),
        "value": value.decode() if value is not None else None,
        "ttl": ttl,
    }


def unreachable(error):
    where = checks.without_password(REDIS_URL)
    hint = checks.start_redis_hint(REDIS_URL)
    return f"Redis did not answer at {where} ({error}). {hint}"


def measured():
    """Each compared engine's read and write ratio in the reference run, None
    where it has none yet."""
    try:
        run = json.loads(REFERENCE_RUN.read_text())
        results = {result["settings"]: result for result in run["results"]}
        command = benchmark.command_line(run)
    except (OSError, ValueError, KeyError, TypeError):
        return {"rows": [], "date": None}
    rows = []
    for name, label in COMPARED:
        result = results.get(name, {})
        read, write = result.get("read") or {}, result.get("write") or {}
        rows.append(
            {
                "settings": name,
                "label": label,
                "read": read.get("ratio"),
                "write": write.get("ratio"),
            }
        )
    return {"rows": rows, "date": run.get("date", "")[:10], "command": command}


# --- The demo's steps ---------------------------------------------------------


def run_step(request, name, store, step):
    """Run one step on the demo session; keep its key and what it sent."""
    failed = True
    try:
        outcome = step()
        failed = False
    except UpdateError:
        outcome = (
            "save() raised UpdateError: SET … XX found no key, so nothing was "
            "written. SessionMiddleware would answer 400 (SessionInterrupted), "
            "not bring the session back."
        )
    except CACHE_FAILURES as error:
        outcome = unreachable(error)
    if store.session_key:
        request.session[DEMO_SESSION_KEY] = store.session_key
    request.session[LAST_STEP_KEY] = {
        "step": name,
        "sent": store.sent,
        "outcome": outcome,
        "failed": failed,
    }
    return redirect(reverse("myapp:own-engine") + "#demo-last")


@require_GET
def page(request):
    """Show the demo session: its key, its value and TTL in Redis, and the
    commands the last step sent."""
    demo_key = request.session.get(DEMO_SESSION_KEY)
    context = {
        "stored": stored(demo_key),
        "last": request.session.get(LAST_STEP_KEY),
        "redis_url": checks.without_password(REDIS_URL),
        "measured": measured(),
    }
    return render_lesson(request, "own-engine", context)


@require_POST
@limited("own-engine")  # a public site: each new demo session is a Redis key
def count(request):
    """Count a visit in the demo session: a load (GET) and a save (SET … XX),
    or, for a new session, only a create (SET … NX)."""
    store = DemoStore(request.session.get(DEMO_SESSION_KEY))

    def step():
        store[VISITS_KEY] = store.get(VISITS_KEY, 0) + 1
        store.save()
        return f"Saved: {VISITS_KEY} = {store[VISITS_KEY]}."

    return run_step(request, "count", store, step)


@require_POST
def race(request):
    """Load the demo session, let another request delete it (a logout), then
    save: SET … XX finds no key, and save() raises UpdateError."""
    store = DemoStore(request.session.get(DEMO_SESSION_KEY))

    def step():
        visits = store.get(VISITS_KEY, 0)
        if store.session_key is None:
            return "No demo session in Redis to delete: count a visit first."
        DemoStore(store.session_key, sent=store.sent).delete()  # the other request
        store[VISITS_KEY] = visits + 1
        store.save()
        return "Saved (unexpected: the key should have been gone)."

    return run_step(request, "race", store, step)


@require_POST
def forget(request):
    """Delete the demo session, as logout() does: flush() sends one DEL."""
    store = DemoStore(request.session.get(DEMO_SESSION_KEY))

    def step():
        store.flush()
        request.session.pop(DEMO_SESSION_KEY, None)
        return "Deleted: the demo session is gone from Redis."

    return run_step(request, "forget", store, step)


SHOWN = (
    "myapp/session_backends/redis_direct.py",
    "sitecore/settings/redis_direct.py",
    page,
    count,
    race,
    forget,
    run_step,
    DemoStore,
    RecordingRedis,
)

urlpatterns = [
    # ex: /lessons/own-engine/
    path("", page, name="own-engine"),
    # ex: /lessons/own-engine/count/ (POST)
    path("count/", count, name="own-engine-count"),
    # ex: /lessons/own-engine/race/ (POST)
    path("race/", race, name="own-engine-race"),
    # ex: /lessons/own-engine/forget/ (POST)
    path("forget/", forget, name="own-engine-forget"),
]
