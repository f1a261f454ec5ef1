"""A session engine that records who, from where and when: lesson 19.

The database engine with a richer row (``myapp.models.ActiveSession``): the
signed-in user, the browser's user agent, its IP address and the last
activity, as plain columns a page can query. Turn it on with
``SESSION_ENGINE = "myapp.active_sessions"`` and put ``ActiveSessionMiddleware``
in place of Django's SessionMiddleware (sitecore/settings/active.py does both).
https://docs.djangoproject.com/en/5.2/topics/http/sessions/#extending-database-backed-session-engines
"""

import ipaddress
from datetime import timedelta

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import ValidationError
from django.utils import timezone

# A request that only reads its session updates last_activity at most this
# often (unless the browser or its address changed); a save always does.
ACTIVITY_RESOLUTION = timedelta(minutes=5)


# The class MUST be called SessionStore: SessionMiddleware and clearsessions
# look it up by that name, and the signing salt is built from it
# ("django.contrib.sessions." + the class's __qualname__). Renaming it makes
# every stored session fail to decode ("Session data corrupted"): everybody
# is logged out.
class SessionStore(DBStore):
    """Django's database store, filling the extra columns on every save."""

    def __init__(self, session_key=None):
        super().__init__(session_key)
        # Set by ActiveSessionMiddleware; empty in scripts and the shell.
        self.user_agent = ""
        self.ip_address = None
        # (last_activity, user_agent, ip_address) as stored, once loaded or saved.
        self._stored_activity = None

    @classmethod
    def get_model_class(cls):
        # Imported here, as DBStore does: the engine module must be
        # importable before the app registry is ready.
        from myapp.models import ActiveSession

        return ActiveSession

    def create_model_instance(self, data):
        row = super().create_model_instance(data)
        row.user_id = self._existing_user_id(data)
        return self._fill(row)

    async def acreate_model_instance(self, data):
        # asave() calls this one, not create_model_instance(): override both.
        row = await super().acreate_model_instance(data)
        row.user_id = await self._aexisting_user_id(data)
        return self._fill(row)

    def _fill(self, row):
        row.user_agent = self.user_agent
        row.ip_address = self.ip_address
        row.last_activity = timezone.now()
        self._stored_activity = self._activity_of(row)
        return row

    @staticmethod
    def _activity_of(row):
        return (row.last_activity, row.user_agent, row.ip_address) if row else None

    def _user_lookup(self, data):
        """The users matching the session's ``_auth_user_id`` (set by login())."""
        user_id = data.get(SESSION_KEY)
        if user_id is None:
            return None
        User = get_user_model()
        try:
            return User._default_manager.filter(pk=user_id).values_list("pk", flat=True)
        except (ValueError, TypeError, ValidationError):
            return None

    def _existing_user_id(self, data):
        # Only a user that exists: a dangling id would break the foreign key,
        # and the save with it (create() would retry a failing insert forever).
        users = self._user_lookup(data)
        return users.first() if users is not None else None

    async def _aexisting_user_id(self, data):
        users = self._user_lookup(data)
        return await users.afirst() if users is not None else None

    # DBStore's loaders, extended to remember the row's activity columns
    # without a second query. They are private: Django documents only
    # get_model_class() and create_model_instance() for subclasses. A public
    # override of load() would need a copy of this method or another query
    # per request. It is the same in Django 5.2 and 6.1, cached_db calls it
    # too, and tests/test_active_sessions.py's last-activity tests fail if a
    # Django release renames it.
    def _get_session_from_db(self):
        row = super()._get_session_from_db()
        self._stored_activity = self._activity_of(row)
        return row

    async def _aget_session_from_db(self):
        row = await super()._aget_session_from_db()
        self._stored_activity = self._activity_of(row)
        return row

    def record_activity(self):
        """Update the activity columns of a session this request read but did
        not save: when the browser or its address changed, or the stored time
        is older than ACTIVITY_RESOLUTION.

        Not on every request: a write per request would cost what
        SESSION_SAVE_EVERY_REQUEST costs. An UPDATE of three columns, never an
        insert, so it cannot bring back a deleted session, and it leaves the
        data and the expiry alone.
        """
        if self._stored_activity is None or self.session_key is None:
            return
        last_activity, user_agent, ip_address = self._stored_activity
        now = timezone.now()
        if now - last_activity < ACTIVITY_RESOLUTION and (user_agent, ip_address) == (
            self.user_agent,
            self.ip_address,
        ):
            return
        self.model.objects.filter(session_key=self.session_key).update(
            last_activity=now, user_agent=self.user_agent, ip_address=self.ip_address
        )
        self._stored_activity = (now, self.user_agent, self.ip_address)

    @classmethod
    def sessions_of(cls, user):
        """The user's sessions that have not expired, most recent first."""
        return (
            cls.get_model_class()
            .objects.filter(user=user, expire_date__gt=timezone.now())
            .order_by("-last_activity")
        )


class ActiveSessionMiddleware(SessionMiddleware):
    """SessionMiddleware that tells the store which browser it serves.

    A store never sees the request, so the middleware hands it the user
    agent and the IP address; on the way out it records a read as activity.
    """

    def process_request(self, request):
        super().process_request(request)
        if isinstance(request.session, SessionStore):
            request.session.user_agent = user_agent_of(request)
            request.session.ip_address = ip_address_of(request)

    def process_response(self, request, response):
        response = super().process_response(request, response)
        session = getattr(request, "session", None)
        if isinstance(session, SessionStore) and response.status_code < 500:
            session.record_activity()
        return response


def column(name):
    """A field of the session model: its max_length and spelling rule the values."""
    return SessionStore.get_model_class()._meta.get_field(name)


def user_agent_of(request):
    # A header is free text: cut it to the column and drop NUL, which
    # PostgreSQL refuses in text.
    user_agent = request.headers.get("User-Agent", "").replace("\x00", "")
    return user_agent[: column("user_agent").max_length]


def ip_address_of(request):
    """REMOTE_ADDR: the peer that connected.

    Behind a proxy this is the proxy. X-Forwarded-For is written by the
    client, so trust it only as set by your own proxy (and configure that
    proxy to overwrite it, not append to it).
    """
    address = request.META.get("REMOTE_ADDR", "")
    try:
        ipaddress.ip_address(address)
        # The column's own spelling (IPv6 compressed, no zone), so it compares
        # equal to what a load reads back.
        return column("ip_address").to_python(address)
    except (ValueError, ValidationError):
        return None  # no address, or one the column cannot hold
