"""python manage.py sessions: list what the running engine stores, decoded.

Lesson 14's page runs the same listing (``stored_sessions``) for its demo.
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
from django.core.management.base import BaseCommand
from django.utils import timezone

from myapp.context_processors import engine_label
from myapp.inspector import shorten

LOCAL_MEMORY_CACHE = "django.core.cache.backends.locmem.LocMemCache"


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


def stored_sessions():
    """Every session the running engine stores, expired ones included.

    Raises NotListable for cache and signed_cookies, and for engines this
    command does not know.
    """
    store_class = session_store_class()
    if hasattr(store_class, "get_model_class"):  # db, cached_db, custom models
        model = store_class.get_model_class()
        where = f"the {model._meta.db_table} table"
        sessions = database_sessions(store_class)
    elif issubclass(store_class, FileStore):
        directory = settings.SESSION_FILE_PATH or tempfile.gettempdir()
        where = f"the files {settings.SESSION_COOKIE_NAME}<key> in {directory}"
        sessions = file_sessions(store_class, directory)
    else:
        raise NotListable(why_not_listable(store_class))
    return Listing(where, sorted(sessions, key=lambda session: session.expires))


def database_sessions(store_class):
    """Rows of the engine's model, decoded by the engine's own SessionStore.

    Not ``row.get_decoded()``: that decodes with the model's store class, whose
    signing salt differs from a renamed custom store's.
    """
    decoder = store_class()
    now = timezone.now()
    for row in store_class.get_model_class().objects.iterator():
        yield StoredSession(
            key=row.session_key,
            expires=row.expire_date,
            data=decoder.decode(row.session_data),
            # The engine loads only rows with expire_date > now.
            expired=row.expire_date <= now,
        )


def file_sessions(store_class, directory):
    """Session files read as they are, never through ``load()``.

    ``load()`` deletes an expired file and starts a new session: a listing
    must not change what it lists.
    """
    prefix = settings.SESSION_COOKIE_NAME
    decoder = store_class()
    now = timezone.now()
    for name in os.listdir(directory):
        key = name.removeprefix(prefix)
        # Other files in the directory, and the temporary files of a save in
        # progress (<prefix><key>_out_...), are not sessions.
        if name == key or not key or not set(key) <= set(VALID_KEY_CHARS):
            continue
        path = os.path.join(directory, name)
        try:
            with open(path, encoding="ascii") as session_file:
                text = session_file.read()
            modified = datetime.fromtimestamp(os.stat(path).st_mtime, tz=UTC)
        except (OSError, UnicodeDecodeError):
            continue  # deleted since listdir(), or not a session file
        data = decoder.decode(text) if text else {}
        expiry = data.get("_session_expiry")
        # From the file's last write, as the cookie's Max-Age counts it.
        expires = decoder.get_expiry_date(modification=modified, expiry=expiry)
        # The file engine's own check (in load() and clearsessions) compares
        # an expiry set in seconds, set_expiry(300), with nothing: it never
        # expires such a file. Django 5.2 and 6.1 alike.
        in_seconds = isinstance(expiry, int) and expiry != 0
        past = expires <= now
        yield StoredSession(
            key=key,
            expires=expires,
            data=data,
            expired=past and not in_seconds,
            kept_past_expiry=past and in_seconds,
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
