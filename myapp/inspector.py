"""The session inspector: what the session holds and where it lives, read-only.

Rendering it must not change what it shows: it never sets a key, never marks
the session modified, never touches the expiry, and never creates a session
key (``session.cache_key`` and ``_key_to_file()`` without an argument would).
It reads the store directly, by key, beside ``request.session``.
"""

import base64
import datetime
import json
import zlib
from functools import cache

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.backends.file import SessionStore as FileStore
from django.contrib.sessions.backends.signed_cookies import (
    SessionStore as SignedCookieStore,
)
from django.core import signing
from django.core.cache import caches
from django.db import connections, router
from django.utils import timezone

from myapp.context_processors import engine_label
from myapp.session_backends.breaker import GuardedCache, breaker_for
from myapp.session_backends.redis_direct import SessionStore as RedisDirectStore
from myapp.store_errors import CACHE_UNREACHABLE


def shorten(session_key):
    """Enough of the key to tell sessions apart, not enough to hijack one."""
    return f"{session_key[:8]}…" if session_key else None


def show(value):
    """A value as JSON, the way the serializer will store it: keys sorted
    where they can be (int and str keys side by side cannot)."""
    for sort_keys in (True, False):
        try:
            return json.dumps(value, ensure_ascii=False, sort_keys=sort_keys)
        except (TypeError, ValueError):
            continue
    return f"{value!r} (not JSON-serializable: saving fails on every engine but cache)"


# Shown where a stored record fails its signature check.
UNREADABLE = "(cannot be decoded: signed with another SECRET_KEY, or changed)"


def quietly_decoded(store, text):
    """(data, readable): what ``store.decode()`` returns, without its warning.

    decode() logs "Session data corrupted" for each record it cannot verify;
    after a SECRET_KEY change that is every record. Django has logged it
    once already, when it loaded the session: a page that shows the record
    says so on the page instead of logging it again.
    """
    try:
        data = signing.loads(text, salt=store.key_salt, serializer=store.serializer)
    except Exception:  # BadSignature, or data that is not the serializer's
        return {}, False
    return data, True


def shown_decoded(session, text):
    data, readable = quietly_decoded(session, text)
    return show(data) if readable else UNREADABLE


def shown_time(moment):
    """{"iso": ..., "text": ...}: a datetime as the date filters "c" and
    "Y-m-d H:i:s e" show it, in the current time zone.

    Every lesson page shows two or three; the filters took a third of the
    inspector's time, formatting by hand takes a few microseconds.
    """
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    zone = moment.tzname()
    return {"iso": moment.isoformat(), "text": f"{text} {zone}" if zone else text}


def inspect_session(request):
    """Describe ``request.session`` and its stored record without changing either."""
    session = request.session
    # Read the flags before anything below loads the session and sets accessed.
    accessed, modified = session.accessed, session.modified
    # Loading sets accessed, and rightly: this page now depends on the
    # session, so SessionMiddleware adds Vary: Cookie.
    data = dict(session.items())
    session_key = session.session_key
    return {
        "engine": engine_label(),
        "session_key": shorten(session_key),
        "has_key": session_key is not None,
        # str() as the sort key: int and str keys side by side do not compare.
        "items": [
            (key, show(value))
            for key, value in sorted(data.items(), key=lambda item: str(item[0]))
        ],
        "accessed": accessed,
        "modified": modified,
        "empty": session.is_empty(),
        "expiry_age": session.get_expiry_age(),
        "expiry_date": shown_time(session.get_expiry_date()),
        "expire_at_browser_close": session.get_expire_at_browser_close(),
        "stored": stored_records(request, session, session_key),
    }


def stored_records(request, session, session_key):
    """Where the data lives right now, before this response saves anything.

    A list: cached_db keeps a cache entry and a database row.
    """
    if isinstance(session, SignedCookieStore):
        return [signed_cookie_record(request)]
    if session_key is None:
        return []
    records = []
    if hasattr(session, "cache_key_prefix"):  # cache and cached_db
        records.append(cache_record(session, session_key))
    if isinstance(session, DBStore):
        records.append(database_record(session, session_key))
    if isinstance(session, FileStore):
        records.append(file_record(session, session_key))
    if isinstance(session, RedisDirectStore):
        records.append(redis_record(session, session_key))
    if not records:
        # An engine from a package, or your own: the inspector cannot know
        # where it keeps the data. It says so, rather than show no record,
        # which would read as "this browser has no session key".
        records.append(
            {"kind": "engine", "where": f"the store of {settings.SESSION_ENGINE}"}
        )
    return records


def database_record(session, session_key):
    model = session.get_model_class()
    row = stored_row(model, session_key)
    record = {"kind": "database row", "where": f"{model._meta.db_table} row"}
    if row is None:
        return {**record, "missing": True}
    session_data, expire_date = row
    return {
        **record,
        "raw": session_data,
        "decoded": shown_decoded(session, session_data),
        "expires": shown_time(expire_date),
    }


@cache
def row_query(model, alias):
    """The SELECT of one row's two columns, as the ORM writes it for this
    model and database, with a placeholder for the key."""
    queryset = (
        model.objects.using(alias)
        .filter(session_key="placeholder")
        .values_list("session_data", "expire_date")
    )
    sql, _ = queryset.query.sql_with_params()
    return sql


def stored_row(model, session_key):
    """(session_data, expire_date) of the row, or None.

    Every lesson page runs this. The ORM would build the same SELECT again
    on every request, which took ten times as long as running it (about
    0.25 ms against 0.02 ms on SQLite): it is built once, then run with each
    page's key.
    """
    alias = router.db_for_read(model)
    with connections[alias].cursor() as cursor:
        cursor.execute(row_query(model, alias), [session_key])
        row = cursor.fetchone()
    if row is None:
        return None
    session_data, expire_date = row
    # The ORM's own conversion, done by hand: SQLite and MySQL hand back
    # naive datetimes, which Django stores in UTC when USE_TZ is on.
    if settings.USE_TZ and timezone.is_naive(expire_date):
        expire_date = timezone.make_aware(expire_date, datetime.UTC)
    return session_data, expire_date


# What the inspector does when the cache fails, for the breaker's log line.
INSPECTOR_FALLBACKS = {"read": "the inspector shows no cache entry"}


def cache_record(session, session_key):
    cache_key = session.cache_key_prefix + session_key
    alias = settings.SESSION_CACHE_ALIAS
    shown_key = session.cache_key_prefix + shorten(session_key)
    record = {"kind": "cache entry", "where": f"cache {alias!r}, key {shown_key}"}
    # Through the engines' breaker: while Redis is skipped after a failure,
    # the inspector skips it too instead of waiting a socket timeout on every
    # page; and a failure here opens the breaker for the engines as well.
    cache = GuardedCache(caches[alias], breaker_for(alias), INSPECTOR_FALLBACKS)
    try:
        value = cache.get(cache_key)
    except CACHE_UNREACHABLE:
        # cached_db on a stopped Redis still serves the session from the
        # database; the inspector must not turn that page into a 503.
        return {**record, "decoded": "(the cache does not answer)"}
    if value is None:
        return {**record, "missing": True}
    return {**record, "decoded": show(value)}


def redis_record(session, session_key):
    """Lesson 27's engine: the key's JSON, as GET returns it."""
    redis_key = session._redis_key(session_key)
    shown_key = session.key_prefix + shorten(session_key)
    record = {"kind": "Redis key", "where": f"Redis, key {shown_key}"}
    try:
        value = session._send("read", "get", redis_key)
    except CACHE_UNREACHABLE:
        return {**record, "decoded": "(Redis does not answer)"}
    if value is None:
        return {**record, "missing": True}
    raw = value.decode(errors="replace")
    try:
        decoded = show(json.loads(raw))
    except ValueError:
        decoded = "(not JSON: not written by this engine)"
    return {**record, "raw": raw, "decoded": decoded}


def file_record(session, session_key):
    path = session._key_to_file(session_key)
    record = {"kind": "file", "where": path.replace(session_key, shorten(session_key))}
    try:
        with open(path, "rb") as session_file:
            raw = session_file.read()
    except FileNotFoundError:
        return {**record, "missing": True}
    text = raw.decode("ascii", errors="replace")
    decoded = shown_decoded(session, text) if text else show({})
    return {**record, "raw": text, "decoded": decoded}


def signed_cookie_record(request):
    """Decode the cookie's payload without checking the signature: anyone can."""
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    record = {
        "kind": "signed cookie",
        "where": f"cookie {settings.SESSION_COOKIE_NAME}",
    }
    if not cookie:
        return {**record, "missing": True}
    # The cookie is the credential: show its payload, not a usable signature.
    payload, _, signature = cookie.rpartition(":")
    shown = f"{payload}:{signature[:4]}…" if payload else shorten(cookie)
    decoded, stopped = expand_payload(cookie)
    return {**record, "raw": shown, "decoded": decoded, "stopped": stopped}


# The most a payload is expanded to before anything has checked its signature.
# A few kilobytes of zlib can hold megabytes: anyone can send such a cookie,
# and without a bound this page would send all of it back, on every request.
PAYLOAD_LIMIT = 8192


def expand_payload(signed_value, limit=PAYLOAD_LIMIT):
    """The JSON inside a signed cookie, at most ``limit`` bytes of it.

    Returns (text, note): the note says why the text stops, or is None.
    """
    payload = signed_value.split(":", 1)[0]
    compressed = payload.startswith(".")
    payload = payload.removeprefix(".")
    try:
        data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        if compressed:
            inflater = zlib.decompressobj()
            # max_length: zlib stops there, whatever the input would become.
            data = inflater.decompress(data, limit + 1)
        if len(data) <= limit:
            return data.decode(), None
    except (ValueError, zlib.error, UnicodeDecodeError):
        return "(not a payload Django wrote)", None
    text = data[:limit].decode(errors="replace")
    return text, (
        f"Stopped after {limit:,} bytes: the signature is not checked here, "
        "so the inspector expands no more of what anyone could have sent."
    )


def readable_payload(signed_value):
    """The JSON inside a signed cookie: base64, maybe zlib, never encrypted."""
    text, stopped = expand_payload(signed_value)
    return f"{text} … ({stopped})" if stopped else text
