"""The timing loop, shared by both ways of measuring: visitors, rounds, ratios.

Benchmarks report; nothing here asserts a speed.
"""

import math
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from importlib import import_module

from django.conf import settings

WARM_UP_REQUESTS = 5


class SessionClient:
    """A visitor that keeps the cookies it is given, as a browser does: the
    session cookie, and the CSRF cookie of a page with a form."""

    def __init__(self):
        self.cookies = {}

    def get(self, path):
        """Send GET path with the cookies, keep the cookies set; return the body."""
        raise NotImplementedError

    def keep_cookies(self, set_cookie_headers):
        """Keep the cookies a response sets; an emptied one is forgotten."""
        for header in set_cookie_headers:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)

    def cookie_header(self):
        """The Cookie header a browser would send, "" without cookies."""
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

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
        if key := self.cookies.get(settings.SESSION_COOKIE_NAME):
            import_module(settings.SESSION_ENGINE).SessionStore(key).delete()


def measure(clients, requests, rounds, paths):
    """Time `requests` GETs of each view per round, the views' order rotating
    from round to round; summarize every view against the no-session one.

    ``paths`` maps each kind of view to its path, "baseline" first.
    """
    kinds = list(paths)
    # The requests of a batch, shared out between the visitors.
    shares = [
        requests // len(clients) + (i < requests % len(clients))
        for i in range(len(clients))
    ]
    per_second = {kind: [] for kind in kinds}
    latencies = {kind: [] for kind in kinds}
    found = dict.fromkeys(kinds, 0)
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
        for kind in kinds:
            batch(paths[kind], [WARM_UP_REQUESTS] * len(clients))
        for round_ in range(rounds):
            turn = round_ % len(kinds)
            for kind in kinds[turn:] + kinds[:turn]:
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
    for kind in per_second:
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
        if kind in ("read", "write"):
            summary[kind]["found"] = round(found[kind] / total, 3)
    return {"engine": engine_label(settings.SESSION_ENGINE), **summary}


def engine_label(engine):
    """Django's and the project's engines by their module's name ("db",
    "redis_direct"); an engine from another package by its full path."""
    for package in ("django.contrib.sessions.backends.", "myapp.session_backends."):
        if engine.startswith(package):
            return engine.removeprefix(package)
    return engine


def nearest_rank(ordered, fraction):
    """The smallest value with at least `fraction` of the values at or below it."""
    return ordered[max(0, math.ceil(len(ordered) * fraction) - 1)]
