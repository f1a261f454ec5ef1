"""python manage.py sessions: list what the running engine stores, decoded.

Lesson 14's page uses the same code for its demo, but never the whole listing:
a public page counts (up to PAGE_COUNT_LIMIT) and reads only the visitor's
own record, so it costs the same however many sessions are stored.
"""

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.cache import SessionStore as CacheStore
from django.contrib.sessions.backends.file import SessionStore as FileStore
from django.contrib.sessions.backends.signed_cookies import (
    SessionStore as SignedCookieStore,
)
from django.core.exceptions import SuspiciousOperation
from django.core.management.base import BaseCommand
from django.utils import timezone

from myapp.context_processors import engine_label
from myapp.inspector import quietly_decoded, shorten

LOCAL_MEMORY_CACHE = "django.core.cache.backends.locmem.LocMemCache"

# A page counts this many sessions at most, then says "more than". Anyone can
# add sessions; a count that grew with them would slow the page for everyone.
PAGE_COUNT_LIMIT = 1000


class NotListable(Exception):
    """The engine keeps its sessions where no process can enumerate them."""


@dataclass(frozen=True)
class StoredSession:
    key: str
    expires: datetime
    data: dict
    expired: bool
    # Past its expiry date, yet the engine still loads it and clearsessions
    # keeps it (the file engine and an expiry set in seconds).
    kept_past_expiry: bool = False
    # False: signed with another SECRET_KEY, or changed since (data is {}).
    readable: bool = True


@dataclass(frozen=True)
class Listing:
    where: str
    sessions: list

    @property
    def live(self):
        return [session for session in self.sessions if not session.expired]

    @property
    def expired(self):
        return [session for session in self.sessions if session.expired]


def session_store_class():
    """The running engine's SessionStore, found the way SessionMiddleware finds it."""
    return import_module(settings.SESSION_ENGINE).SessionStore


@dataclass(frozen=True)
class Count:
    """A number counted up to a limit: past it, only "more than the limit"."""

    number: int
    limit: int

    @property
    def more(self):
        return self.number > self.limit

    def __str__(self):
        return f"more than {self.limit:,}" if self.more else f"{self.number:,}"


@dataclass(frozen=True)
class Counts:
    where: str
    # Database engines: live and expired rows. The file engine: files only,
    # since telling live from expired means reading every file.
    live: Count = None
    expired: Count = None
    files: Count = None


def has_model(store_class):
    return hasattr(store_class, "get_model_class")  # db, cached_db, custom models


def file_directory():
    return settings.SESSION_FILE_PATH or tempfile.gettempdir()


def where_stored(store_class):
    """Where the running engine keeps its sessions, in words.

    Raises NotListable for cache and signed_cookies, and for engines this
    command does not know.
    """
    if has_model(store_class):
        return f"the {store_class.get_model_class()._meta.db_table} table"
    if issubclass(store_class, FileStore):
        prefix = settings.SESSION_COOKIE_NAME
        return f"the files {prefix}<key> in {file_directory()}"
    raise NotListable(why_not_listable(store_class))


def stored_sessions():
    """Every session the running engine stores, expired ones included.

    Reads and decodes every record: for the command, run by hand. Raises
    NotListable where nothing can be listed.
    """
    store_class = session_store_class()
    where = where_stored(store_class)
    if has_model(store_class):
        sessions = database_sessions(store_class)
    else:
        sessions = file_sessions(store_class, file_directory())
    return Listing(where, sorted(sessions, key=lambda session: session.expires))


def session_counts(limit=PAGE_COUNT_LIMIT):
    """How many sessions are stored, counted up to ``limit``; nothing decoded.

    The same work at a million sessions as at none: a count query stops after
    limit + 1 rows, a directory scan after limit + 1 session files.
    """
    store_class = session_store_class()
    where = where_stored(store_class)
    if has_model(store_class):
        rows = store_class.get_model_class().objects.values("pk")
        now = timezone.now()
        # A sliced count is a COUNT over a LIMIT subquery.
        live = rows.filter(expire_date__gt=now)[: limit + 1].count()
        expired = rows.filter(expire_date__lte=now)[: limit + 1].count()
        return Counts(where, live=Count(live, limit), expired=Count(expired, limit))
    files = 0
    prefix = settings.SESSION_COOKIE_NAME
    with os.scandir(file_directory()) as entries:
        for entry in entries:
            if session_key_of(entry.name, prefix) is not None:
                files += 1
                if files > limit:
                    break
    return Counts(where, files=Count(files, limit))


def stored_session(key):
    """The one session stored under ``key``, read by key, or None.

    For a page: it reads only its visitor's record, never anyone else's.
    """
    store_class = session_store_class()
    where_stored(store_class)  # NotListable where nothing is stored here
    if not key:
        return None
    if has_model(store_class):
        row = store_class.get_model_class().objects.filter(session_key=key).first()
        if row is None:
            return None
        return database_session(store_class(), row, timezone.now())
    try:
        path = store_class()._key_to_file(key)
    except SuspiciousOperation:  # InvalidSessionKey: not a key the engine writes
        return None
    return file_session(store_class(), key, path, timezone.now())


def database_session(decoder, row, now):
    data, readable = quietly_decoded(decoder, row.session_data)
    return StoredSession(
        key=row.session_key,
        expires=row.expire_date,
        data=data,
        # The engine loads only rows with expire_date > now.
        expired=row.expire_date <= now,
        readable=readable,
    )


def database_sessions(store_class):
    """Rows of the engine's model, decoded by the engine's own SessionStore.

    Not ``row.get_decoded()``: that decodes with the model's store class, whose
    signing salt differs from a renamed custom store's.
    """
    decoder = store_class()
    now = timezone.now()
    for row in store_class.get_model_class().objects.iterator():
        yield database_session(decoder, row, now)


KEY_CHARS = frozenset(VALID_KEY_CHARS)


def session_key_of(name, prefix):
    """The key in a session file's name, or None for any other file."""
    key = name.removeprefix(prefix)
    # Other files in the directory, and the temporary files of a save in
    # progress (<prefix><key>_out_...), are not sessions.
    if name == key or not key or not KEY_CHARS.issuperset(key):
        return None
    return key


def file_sessions(store_class, directory):
    """Session files read as they are, never through ``load()``.

    ``load()`` deletes an expired file and starts a new session: a listing
    must not change what it lists.
    """
    decoder = store_class()
    now = timezone.now()
    prefix = settings.SESSION_COOKIE_NAME
    for name in os.listdir(directory):
        key = session_key_of(name, prefix)
        if key is not None:
            session = file_session(decoder, key, os.path.join(directory, name), now)
            if session is not None:
                yield session


def file_session(decoder, key, path, now):
    """One session file as the engine would load it, or None if none is there."""
    try:
        with open(path, encoding="ascii") as session_file:
            text = session_file.read()
        modified = datetime.fromtimestamp(os.stat(path).st_mtime, tz=UTC)
    except (OSError, UnicodeDecodeError):
        return None  # deleted since listdir(), or not a session file
    data, readable = quietly_decoded(decoder, text) if text else ({}, True)
    expiry = data.get("_session_expiry")
    # From the file's last write, as the cookie's Max-Age counts it.
    expires = decoder.get_expiry_date(modification=modified, expiry=expiry)
    # The file engine's own check (in load() and clearsessions) compares
    # an expiry set in seconds, set_expiry(300), with nothing: it never
    # expires such a file. Django 5.2 and 6.1 alike.
    in_seconds = isinstance(expiry, int) and expiry != 0
    past = expires <= now
    return StoredSession(
        key=key,
        expires=expires,
        data=data,
        expired=past and not in_seconds,
        kept_past_expiry=past and in_seconds,
        readable=readable,
    )


def why_not_listable(store_class):
    if issubclass(store_class, SignedCookieStore):
        return (
            "The signed_cookies engine keeps each session in the visitor's own "
            "cookie. The server stores no copy: there is nothing here to list, "
            "count or delete."
        )
    if issubclass(store_class, CacheStore):
        alias = settings.SESSION_CACHE_ALIAS
        backend = settings.CACHES[alias]["BACKEND"]
        reason = (
            f"The cache engine keeps sessions only in the cache {alias!r} "
            f"({backend}). Django's cache API reads, writes and deletes by key "
            "but cannot list keys, so no portable command can enumerate them."
        )
        if backend == LOCAL_MEMORY_CACHE:
            reason += (
                " This local-memory cache also lives inside each server process: "
                "a command run from a shell is another process and sees it empty."
            )
        return reason
    return (
        f"The engine {settings.SESSION_ENGINE} has no database model and keeps "
        "no session files: this command does not know how to list it."
    )


def describe(session, full_keys=False):
    """One line: key, expiry and the decoded data as JSON."""
    key = session.key if full_keys else shorten(session.key)
    expires = session.expires.strftime("%Y-%m-%d %H:%M:%S %Z")
    mark = " [expired]" if session.expired else ""
    if session.kept_past_expiry:
        mark = " [past its expiry, but the file engine keeps it]"
    if not session.readable:
        mark += " [cannot be decoded: signed with another SECRET_KEY, or changed]"
    data = json.dumps(session.data, ensure_ascii=False, sort_keys=True, default=str)
    return f"{key}  expires {expires}{mark}  {data}"


class Command(BaseCommand):
    help = (
        "List the sessions the running engine stores: key, expiry and decoded "
        "data, live sessions only unless --expired. Works for the database "
        "engines (db, cached_db, custom session models) and the file engine. "
        "For cache and signed_cookies it prints why nothing can be listed and "
        "exits with status 0, as clearsessions does nothing for them either."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--full-keys",
            action="store_true",
            help="Print whole session keys. A key is a credential: whoever has "
            "it has the session. Shortened by default.",
        )
        parser.add_argument(
            "--expired",
            action="store_true",
            help="Also list expired sessions, marked [expired]: the ones "
            "clearsessions would delete.",
        )

    def handle(self, *args, full_keys=False, expired=False, **options):
        try:
            listing = stored_sessions()
        except NotListable as reason:
            self.stdout.write(str(reason))
            return
        shown = listing.sessions if expired else listing.live
        hidden = "" if expired else " (not listed; add --expired to list them)"
        self.stdout.write(
            f"Engine {engine_label()}, {listing.where}: {len(listing.live)} live, "
            f"{len(listing.expired)} expired{hidden}."
        )
        for session in shown:
            self.stdout.write(describe(session, full_keys))
