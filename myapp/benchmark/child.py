"""A measuring process: DJANGO_SETTINGS_MODULE is one case's settings.

runner.py starts it with the run's options as JSON; it prints its
measurements as one line of JSON, or why the case could not run.
"""

import json
import sys
from contextlib import contextmanager
from importlib import import_module

import django
from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connection
from django.urls import reverse

from .cases import PAGE, PAGE_URL_NAME, URL_NAMES, Unavailable
from .in_process import measure_in_process
from .over_http import measure_over_http


def main():
    """Measure the views named in the options; print the outcome as JSON."""
    spec = json.loads(sys.argv[1])
    django.setup()
    paths = {kind: reverse(name) for kind, name in URL_NAMES.items()}
    if spec["pages"]:
        paths[PAGE] = reverse(PAGE_URL_NAME)
    try:
        with throwaway_stores(spec["needs"], spec["start"]):
            if spec["http"]:
                outcome = measure_over_http(
                    paths,
                    spec["requests"],
                    spec["rounds"],
                    spec["concurrency"],
                    spec["workers"],
                )
            else:
                outcome = measure_in_process(paths, spec["requests"], spec["rounds"])
    except Unavailable as error:
        outcome = {"unavailable": str(error)}
    if PAGE in outcome:
        outcome[PAGE]["path"] = paths[PAGE]
    print(json.dumps(outcome))


@contextmanager
def throwaway_stores(needs, start):
    """Check the case's stores answer and give it a database of its own."""
    engine = settings.SESSION_ENGINE.rsplit(".", 1)[-1]
    hint = f"; start it with: {start}" if start else ""
    if engine in ("cache", "cached_db"):
        cache = caches[settings.SESSION_CACHE_ALIAS]
        try:
            cache.set("sessionbench-probe", 1, 10)
            cache.delete("sessionbench-probe")
        except Exception as error:
            raise Unavailable(f"the cache does not answer ({error}){hint}") from None
    elif needs == "redis":
        # An engine on redis-py itself, not on Django's cache.
        import redis

        url = getattr(settings, "REDIS_URL", "redis://127.0.0.1:6379/0")
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        except redis.RedisError as error:
            raise Unavailable(f"Redis does not answer ({error}){hint}") from None
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
