"""Lesson 19: a custom session model listing your devices; sign out the others."""

from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.sessions.backends.base import UpdateError
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.http import require_GET, require_POST

from myapp.active_sessions import (
    ActiveSessionMiddleware,
    SessionStore,
    ip_address_of,
    user_agent_of,
)
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


def sessions_for_page(demo):
    """The signed-in user's sessions as the page lists them, this one first.

    No session key leaves this function: the template (and the debug
    toolbar, which shows template context) only gets the public ids.
    """
    current = demo.session.session_key
    rows = [
        {
            "id": public_id(row.session_key),
            "device": describe_device(row.user_agent),
            "user_agent": row.user_agent,
            "ip_address": row.ip_address,
            "last_activity": row.last_activity,
            "expire_date": row.expire_date,
            "current": row.session_key == current,
            "signed_in": still_signed_in(row, demo.user),
        }
        for row in SessionStore.sessions_of(demo.user)
    ]
    return sorted(rows, key=lambda row: not row["current"])


def other_sessions(demo):
    """{public id: session key} of the user's sessions, except this one."""
    keys = (
        SessionStore.sessions_of(demo.user)
        .exclude(session_key=demo.session.session_key)
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


# --- The session the demo runs on ------------------------------------------------
#
# With `make run ENGINE=active` the site's own session is a row of
# myapp_activesession, and the demo uses it. With any other engine (the
# default is db) request.session has no user column to query. Then the demo
# keeps a session of its own, written by the course's engine, in a cookie of
# its own: what SessionMiddleware does for the site's session, done here for
# one page. A real site does not do this: it sets SESSION_ENGINE.

DEMO_COOKIE = "active_sessions_demo"


class Demo:
    """The session this demo runs on, and the request auth reads it from."""

    def __init__(self, request):
        self.own_cookie = not isinstance(request.session, SessionStore)
        if not self.own_cookie:
            self.request = request  # the site's session is one of these rows
            return
        session = SessionStore(request.COOKIES.get(DEMO_COOKIE))
        session.user_agent = user_agent_of(request)
        session.ip_address = ip_address_of(request)
        # login() and get_user() keep the user in request.session: a stand-in
        # request carrying the demo's session lets them run on it unchanged,
        # as AuthenticationMiddleware runs get_user() for the site's.
        self.request = HttpRequest()
        self.request.session = session
        self.request.user = auth.get_user(self.request)

    @property
    def session(self):
        return self.request.session

    @property
    def user(self):
        return self.request.user

    def send_cookie(self, request, response):
        """After the view, what SessionMiddleware does for the site's cookie:
        delete it if the session was emptied, save and send it if changed."""
        if not self.own_cookie:
            return response
        session = self.session
        if session.is_empty():
            if DEMO_COOKIE in request.COOKIES:
                response.delete_cookie(
                    DEMO_COOKIE,
                    path=demo_cookie_path(),
                    samesite=settings.SESSION_COOKIE_SAMESITE,
                )
            return response
        if not session.modified:
            session.record_activity()  # what ActiveSessionMiddleware does
            return response
        try:
            session.save()
        except UpdateError:  # ended elsewhere while this request ran
            response.delete_cookie(DEMO_COOKIE, path=demo_cookie_path())
            return response
        if not response.has_header("Location"):
            # Every page shows its own response headers (lesson 9): a new key
            # goes out on a redirect, never printed into a page.
            response = back_to_demo()
        response.set_cookie(
            DEMO_COOKIE,
            session.session_key,
            max_age=(
                None
                if session.get_expire_at_browser_close()
                else session.get_expiry_age()
            ),
            path=demo_cookie_path(),
            secure=settings.SESSION_COOKIE_SECURE or None,
            httponly=True,
            samesite=settings.SESSION_COOKIE_SAMESITE,
        )
        return response


def demo_cookie_path():
    """The demo's cookie goes only to this lesson's URLs."""
    return reverse("myapp:active-sessions")


def with_demo(view):
    """Call ``view(request, demo)``, then send the demo's cookie if it changed."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        demo = Demo(request)
        response = view(request, demo, *args, **kwargs)
        return demo.send_cookie(request, response)

    return wrapper


def back_to_demo():
    return redirect(reverse("myapp:active-sessions") + "#demo")


# --- The views ------------------------------------------------------------------


class SignInForm(AuthenticationForm):
    """Django's login form: its clean() calls authenticate()."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The form sits below the lesson: it must not grab the focus and scroll.
        self.fields["username"].widget.attrs.pop("autofocus", None)


def render_page(request, demo, end_form=None, sign_in_form=None):
    """The page: the notice of the last action, form errors, the sessions."""
    signed_in = demo.user.is_authenticated
    context = {
        "own_cookie": demo.own_cookie,
        "demo_user": demo.user,
        "notice": request.session.pop(NOTICE_KEY, None),
        "end_form": end_form,
        "sign_in_form": sign_in_form or SignInForm(request, prefix="sign-in"),
        "max_sessions": MAX_SESSIONS_PER_USER,
        "demo_cookie": DEMO_COOKIE,
        "sessions": sessions_for_page(demo) if signed_in else None,
    }
    return render_lesson(request, "active-sessions", context)


@require_GET
@with_demo
def page(request, demo):
    """List the signed-in user's sessions, this one first."""
    return render_page(request, demo)


@require_POST
@with_demo
def sign_in(request, demo):
    """Django's login() on the demo's session: a new key, then the auth keys;
    the store fills the user column when it saves the row."""
    form = SignInForm(request, data=request.POST, prefix="sign-in")
    if not form.is_valid():
        return render_page(request, demo, sign_in_form=form)
    auth.login(demo.request, form.get_user())
    request.session[NOTICE_KEY] = "Signed in: this browser's session now has your user."
    return back_to_demo()


@require_POST
@with_demo
def end_session(request, demo):
    """End one of your other sessions: its row goes, its next request is anonymous.

    The form only accepts ids of this user's own sessions, so another user's
    session cannot be named, let alone ended.
    """
    if not demo.user.is_authenticated:
        return back_to_demo()
    form = EndSessionForm(request.POST, sessions=other_sessions(demo))
    if not form.is_valid():
        return render_page(request, demo, end_form=form)
    SessionStore().delete(form.cleaned_data["session"])
    request.session[NOTICE_KEY] = "Ended 1 session."
    return back_to_demo()


@require_POST
@with_demo
def end_other_sessions(request, demo):
    """Sign out everywhere else: delete every live row of this user but this one.

    The notice counts the sessions that were still signed in: not the ones a
    password change already signed out, nor expired rows, which stay for
    clearsessions like everybody's.
    """
    if not demo.user.is_authenticated:
        return back_to_demo()
    others = list(
        SessionStore.sessions_of(demo.user).exclude(
            session_key=demo.session.session_key
        )
    )
    signed_out = sum(still_signed_in(row, demo.user) for row in others)
    ActiveSession.objects.filter(pk__in=[row.pk for row in others]).delete()
    request.session[NOTICE_KEY] = (
        f"Signed out {signed_out} other session{'s' if signed_out != 1 else ''}."
    )
    return back_to_demo()


@require_POST
@with_demo
def pretend_device(request, demo):
    """Sign the same user in again, as from a phone, so one browser can try "end".

    A real session row with the auth keys of this one; nobody holds its cookie.
    """
    if not demo.user.is_authenticated:
        return back_to_demo()
    if SessionStore.sessions_of(demo.user).count() >= MAX_SESSIONS_PER_USER:
        request.session[NOTICE_KEY] = (
            f"You already have {MAX_SESSIONS_PER_USER} sessions: end some first."
        )
        return back_to_demo()
    phone = SessionStore()
    phone.user_agent = PRETEND_USER_AGENT
    phone.ip_address = PRETEND_IP_ADDRESS
    phone.update({key: demo.session[key] for key in AUTH_KEYS if key in demo.session})
    phone.save()
    request.session[NOTICE_KEY] = "Signed in from a pretend iPhone."
    return back_to_demo()


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
    Demo,
    sign_in,
)

NOT_SHOWN = {
    pretend_device: "A stand-in for a second browser; real sessions are shown.",
}

urlpatterns = [
    # ex: /lessons/active-sessions/
    path("", page, name="active-sessions"),
    # ex: /lessons/active-sessions/sign-in/ (POST)
    path("sign-in/", sign_in, name="active-sessions-sign-in"),
    # ex: /lessons/active-sessions/end/ (POST, session=<id from the list>)
    path("end/", end_session, name="active-sessions-end"),
    # ex: /lessons/active-sessions/end-others/ (POST)
    path("end-others/", end_other_sessions, name="active-sessions-end-others"),
    # ex: /lessons/active-sessions/pretend/ (POST)
    path("pretend/", pretend_device, name="active-sessions-pretend"),
]
