"""Lesson 19: a custom session model listing your devices; sign out the others."""

from django import forms
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.shortcuts import redirect
from django.urls import path
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.http import require_GET, require_POST

from myapp.active_sessions import ActiveSessionMiddleware, SessionStore
from myapp.course import render_lesson
from myapp.models import ActiveSession

# What login() stores: the user id, the backend, the password HMAC.
AUTH_KEYS = (SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY)

# What the last action did, shown once on the next page view.
NOTICE_KEY = "active_sessions_notice"

# The "pretend device" button signs you in a second time, as if from a phone.
PRETEND_USER_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
PRETEND_IP_ADDRESS = "203.0.113.7"  # TEST-NET-3: reserved for documentation
MAX_SESSIONS_PER_USER = 10

# Most specific first: Edge and Opera also say Chrome, Chrome also says Safari.
BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_device(user_agent):
    """'Firefox on Linux' from a User-Agent header: a hint for humans, not proof."""
    if not user_agent:
        return "Unknown device"
    browser = next((name for mark, name in BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in SYSTEMS if mark in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or user_agent.split(" ", 1)[0][:40]


def public_id(session_key):
    """A stand-in for a session key in HTML: the key itself would let anyone
    who reads the page (a script, a screenshot) take over that session."""
    salt = "myapp.lessons.active_sessions"
    return salted_hmac(salt, session_key, algorithm="sha256").hexdigest()[:20]


def still_signed_in(row, user):
    """Whether Django would still accept this session for ``user``.

    login() stores an HMAC of the password in the session; a password change
    makes the old HMACs stale and get_user() flushes such a session on its
    next request. Until then its row is still here.
    """
    stored = row.get_decoded().get(HASH_SESSION_KEY, "")
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return any(constant_time_compare(stored, known) for known in hashes)


def sessions_for_page(request):
    """The signed-in user's sessions as the page lists them, this one first.

    No session key leaves this function: the template (and the debug
    toolbar, which shows template context) only gets the public ids.
    """
    current = request.session.session_key
    rows = [
        {
            "id": public_id(row.session_key),
            "device": describe_device(row.user_agent),
            "user_agent": row.user_agent,
            "ip_address": row.ip_address,
            "last_activity": row.last_activity,
            "expire_date": row.expire_date,
            "current": row.session_key == current,
            "signed_in": still_signed_in(row, request.user),
        }
        for row in SessionStore.sessions_of(request.user)
    ]
    return sorted(rows, key=lambda row: not row["current"])


def other_sessions(request):
    """{public id: session key} of the user's sessions, except this one."""
    keys = (
        SessionStore.sessions_of(request.user)
        .exclude(session_key=request.session.session_key)
        .values_list("session_key", flat=True)
    )
    return {public_id(key): key for key in keys}


class EndSessionForm(forms.Form):
    """Which session to end: only an id from the user's own list validates."""

    session = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.sessions = sessions

    def clean_session(self):
        session_key = self.sessions.get(self.cleaned_data["session"])
        if session_key is None:
            raise forms.ValidationError(
                "That is not one of your other sessions, or it has already ended."
            )
        return session_key


def can_manage_sessions(request):
    """This engine is running and someone is signed in."""
    return isinstance(request.session, SessionStore) and request.user.is_authenticated


def render_page(request, end_form=None):
    """The page: the notice of the last action, form errors, the sessions."""
    context = {
        "engine_active": isinstance(request.session, SessionStore),
        "notice": request.session.pop(NOTICE_KEY, None),
        "end_form": end_form,
        "max_sessions": MAX_SESSIONS_PER_USER,
    }
    if can_manage_sessions(request):
        context["sessions"] = sessions_for_page(request)
    return render_lesson(request, "active-sessions", context)


@require_GET
def page(request):
    """List the signed-in user's sessions; with another engine, say what is needed."""
    return render_page(request)


@require_POST
def end_session(request):
    """End one of your other sessions: its row goes, its next request is anonymous.

    The form only accepts ids of this user's own sessions, so another user's
    session cannot be named, let alone ended.
    """
    if not can_manage_sessions(request):
        return redirect("myapp:active-sessions")
    form = EndSessionForm(request.POST, sessions=other_sessions(request))
    if not form.is_valid():
        return render_page(request, end_form=form)
    SessionStore().delete(form.cleaned_data["session"])
    request.session[NOTICE_KEY] = "Ended 1 session."
    return redirect("myapp:active-sessions")


@require_POST
def end_other_sessions(request):
    """Sign out everywhere else: one DELETE of every row of this user but this one."""
    if not can_manage_sessions(request):
        return redirect("myapp:active-sessions")
    ended, _ = (
        ActiveSession.objects.filter(user=request.user)
        .exclude(session_key=request.session.session_key)
        .delete()
    )
    request.session[NOTICE_KEY] = (
        f"Ended {ended} other session{'s' if ended != 1 else ''}."
    )
    return redirect("myapp:active-sessions")


@require_POST
def pretend_device(request):
    """Sign the same user in again, as from a phone, so one browser can try "end".

    A real session row with the auth keys of this one; nobody holds its cookie.
    """
    if not can_manage_sessions(request):
        return redirect("myapp:active-sessions")
    if SessionStore.sessions_of(request.user).count() >= MAX_SESSIONS_PER_USER:
        request.session[NOTICE_KEY] = (
            f"You already have {MAX_SESSIONS_PER_USER} sessions: end some first."
        )
        return redirect("myapp:active-sessions")
    phone = SessionStore()
    phone.user_agent = PRETEND_USER_AGENT
    phone.ip_address = PRETEND_IP_ADDRESS
    phone.update(
        {key: request.session[key] for key in AUTH_KEYS if key in request.session}
    )
    phone.save()
    request.session[NOTICE_KEY] = "Signed in from a pretend iPhone."
    return redirect("myapp:active-sessions")


SHOWN = (
    ActiveSession,
    SessionStore,
    ActiveSessionMiddleware,
    "sitecore/settings/active.py",
    page,
    sessions_for_page,
    end_session,
    EndSessionForm,
    end_other_sessions,
)

urlpatterns = [
    # ex: /lessons/active-sessions/
    path("", page, name="active-sessions"),
    # ex: /lessons/active-sessions/end/ (POST, session=<id from the list>)
    path("end/", end_session, name="active-sessions-end"),
    # ex: /lessons/active-sessions/end-others/ (POST)
    path("end-others/", end_other_sessions, name="active-sessions-end-others"),
    # ex: /lessons/active-sessions/pretend/ (POST)
    path("pretend/", pretend_device, name="active-sessions-pretend"),
]
