"""Per-visitor limits for the demos that create rows or start work.

On a public site anyone may press "Sign up" or "Race" in a loop: each sign-up
is an account nobody deletes, each race starts threads with their own
database connections, each count of lesson 27's demo without its cookie a
Redis key kept two weeks. ``@limited("signup")`` lets one address do that
LIMITS times per window; after that it answers 429 with a page that says when
to retry, and the view does not run.

Only work that was done counts: a demo here answers a redirect when it did
its job and shows the form again when it refused, so only redirects are
counted. A refused form costs little and is not what the limit is for.

With DEBUG on (``make run``) nothing is limited: a learner on their own
machine is never told to wait.
"""

import functools
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

from myapp.course import lesson_for_url_name
from myapp.store_errors import CACHE_UNREACHABLE

logger = logging.getLogger(__name__)

# name: (how many times, per how many seconds), per client address. A
# learner signs up once or twice and races a handful of times; these leave
# room for that and for the project's tests, and stop a script early. The
# counters live in the default cache: on Redis every worker shares them; with
# the local-memory cache each server process counts on its own.
LIMITS = {
    "signup": (20, 600),  # accounts: rows in auth_user that stay
    "race": (30, 600),  # races: up to 20 threads each (concurrency.py)
    # lesson 27's counts: a new demo session is a Redis key kept two weeks
    "own-engine": (120, 600),
}

KEY_PREFIX = "course-ratelimit"


def client_address(request):
    """The address the request came from, as the server saw it.

    REMOTE_ADDR, not X-Forwarded-For: the client writes that header itself,
    so trusting it would let a script claim a new address per request. Only
    behind a proxy you run, which overwrites the header, is it trustworthy;
    there, have the proxy pass the client's address (or set REMOTE_ADDR from
    it in one middleware), or every visitor shares the proxy's limit.
    """
    return request.META.get("REMOTE_ADDR", "")


def window_of(name, address, now):
    """The fixed window ``now`` falls in: its counter's cache key and the
    seconds until it ends (then the count starts again at 0)."""
    _, seconds = LIMITS[name]
    number = int(now // seconds)
    return f"{KEY_PREFIX}:{name}:{address}:{number}", (number + 1) * seconds - now


def limited(name):
    """Answer 429 once this address has done ``name`` LIMITS[name] times in
    the current window. With DEBUG on, a no-op."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if settings.DEBUG:
                return view(request, *args, **kwargs)
            allowed, _ = LIMITS[name]
            key, remaining = window_of(name, client_address(request), time.time())
            try:
                if cache.get(key, 0) >= allowed:
                    return too_many_requests(request, math.ceil(remaining))
            except CACHE_UNREACHABLE as error:
                # No counter, no limit: the demo works while the cache is down.
                logger.warning("Rate limit cache unreachable, not limiting: %s", error)
                return view(request, *args, **kwargs)
            response = view(request, *args, **kwargs)
            if response.status_code in (301, 302, 303):  # the demo did its work
                count(key, math.ceil(remaining))
            return response

        return wrapper

    return decorator


def count(key, timeout):
    """Add one to the window's counter. add() then incr(): add() creates it
    only if missing, incr() is atomic in Redis and in the local memory cache.
    Requests in flight at once may each pass the check before counting: the
    limit can be passed by that many, never more."""
    try:
        cache.add(key, 0, timeout=timeout + 1)
        cache.incr(key)
    except ValueError:  # the window expired between add() and incr()
        cache.add(key, 1, timeout=timeout + 1)
    except CACHE_UNREACHABLE as error:
        logger.warning("Rate limit cache unreachable, not counted: %s", error)


def too_many_requests(request, retry_after):
    """The course's 429 page, with Retry-After in seconds."""
    match = getattr(request, "resolver_match", None)
    lesson, _ = lesson_for_url_name(match.url_name) if match else (None, None)
    response = render(
        request,
        "429.html",
        {
            "lesson": lesson,
            "retry_after": retry_after,
            "minutes": math.ceil(retry_after / 60),
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response
