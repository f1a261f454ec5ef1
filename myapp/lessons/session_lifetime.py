"""Lesson 24: session lifetime as one policy: remember me, idle timeout, cap."""

from datetime import datetime, timedelta

from django import forms
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import decorator_from_middleware
from django.utils.deprecation import MiddlewareMixin
from django.views.decorators.http import require_GET, require_POST

from myapp.context_processors import engine_label
from myapp.course import render_lesson

# Session keys this lesson writes: who signed in, when, and the last activity.
USER_KEY = "lifetime_user"
REMEMBER_KEY = "lifetime_remember"
SIGNED_IN_AT_KEY = "lifetime_signed_in_at"
LAST_SEEN_KEY = "lifetime_last_seen"
# Which limit ended the last session, for the page to say (kept after flush()).
ENDED_KEY = "lifetime_ended"

# The policy, short so you can watch it. A real site uses minutes and hours.
IDLE_TIMEOUT = timedelta(seconds=60)  # real sites: often 15 to 30 minutes
ABSOLUTE_CAP = timedelta(minutes=3)  # real sites: a working day, say 8 hours
# Write the last activity at most this often: each write is a session save.
TOUCH_AFTER = timedelta(seconds=10)  # real sites: a minute or so
# "Remember me" keeps the cookie this long (Django's default, stated here).
REMEMBER_ME_AGE = 60 * 60 * 24 * 14
# The warning script speaks up this long before the idle timeout.
WARN_BEFORE = timedelta(seconds=20)


def now():
    """The policy's clock: one place for tests to move time."""
    return timezone.now()


def stored_time(session, key):
    return datetime.fromisoformat(session[key])


def deadlines(session):
    """When each server-side limit ends this signed-in session."""
    return {
        "idle": stored_time(session, LAST_SEEN_KEY) + IDLE_TIMEOUT,
        "cap": stored_time(session, SIGNED_IN_AT_KEY) + ABSOLUTE_CAP,
    }


def first_deadline(session):
    """("idle" or "cap", when): the limit that ends this session first."""
    return min(deadlines(session).items(), key=lambda item: item[1])


class SessionLifetimeMiddleware(MiddlewareMixin):
    """End a signed-in session after IDLE_TIMEOUT without a request, or
    ABSOLUTE_CAP after sign-in; refresh the last activity otherwise."""

    def process_request(self, request):
        session = request.session
        if USER_KEY not in session:
            return
        moment = now()
        limit, deadline = first_deadline(session)
        if moment >= deadline:
            session.flush()  # the data, the stored record, the cookie
            session[ENDED_KEY] = limit
        elif moment - stored_time(session, LAST_SEEN_KEY) >= TOUCH_AFTER:
            session[LAST_SEEN_KEY] = moment.isoformat()


# This lesson's views only; a real site lists the class in MIDDLEWARE instead.
lifetime_policy = decorator_from_middleware(SessionLifetimeMiddleware)


class SignInForm(forms.Form):
    """A name is enough for the demo; a real site checks a password first."""

    name = forms.CharField(label="Your name", max_length=40, strip=True)
    remember = forms.BooleanField(label="Remember me", required=False)


def lifetime_facts(session):
    """What the page shows about the signed-in session, all from the session."""
    if USER_KEY not in session:
        return None
    limit, deadline = first_deadline(session)
    return {
        "user": session[USER_KEY],
        "remember": session[REMEMBER_KEY],
        "signed_in_at": stored_time(session, SIGNED_IN_AT_KEY),
        "last_seen": stored_time(session, LAST_SEEN_KEY),
        "deadlines": deadlines(session),
        "limit": limit,
        "deadline": deadline,
        "remaining": max(0, int((deadline - now()).total_seconds())),
    }


# --- The lesson page --------------------------------------------------------


@require_GET
@lifetime_policy
def page(request):
    """Show the sign-in form, or the signed-in session and when it ends."""
    return lesson_page(request, SignInForm())


def lesson_page(request, form):
    """The lesson page, with the form fresh or with its errors."""
    return render_lesson(
        request,
        "session-lifetime",
        {
            "form": form,
            "facts": lifetime_facts(request.session),
            "ended": request.session.pop(ENDED_KEY, None),
            "engine": engine_label(),
            "idle_seconds": int(IDLE_TIMEOUT.total_seconds()),
            "cap_seconds": int(ABSOLUTE_CAP.total_seconds()),
            "touch_seconds": int(TOUCH_AFTER.total_seconds()),
            "warn_seconds": int(WARN_BEFORE.total_seconds()),
            "remember_me_age": REMEMBER_ME_AGE,
            "remember_me_days": REMEMBER_ME_AGE // (60 * 60 * 24),
        },
    )


# --- The demo ---------------------------------------------------------------


@require_POST
@lifetime_policy
def sign_in(request):
    """Sign in: a new key, both clocks start, and "Remember me" picks the cookie."""
    form = SignInForm(request.POST)
    if not form.is_valid():
        return lesson_page(request, form)
    session = request.session
    session.pop(ENDED_KEY, None)
    session.cycle_key()  # a new key at sign-in, as login() does
    remember = form.cleaned_data["remember"]
    session.set_expiry(REMEMBER_ME_AGE if remember else 0)
    started = now().isoformat()
    session[USER_KEY] = form.cleaned_data["name"]
    session[REMEMBER_KEY] = remember
    session[SIGNED_IN_AT_KEY] = started
    session[LAST_SEEN_KEY] = started
    return redirect(reverse("myapp:session-lifetime") + "#demo")


@require_POST
@lifetime_policy
def stay(request):
    """ "Stay signed in": a request is activity; this one always writes it."""
    if USER_KEY in request.session:
        request.session[LAST_SEEN_KEY] = now().isoformat()
    return redirect(reverse("myapp:session-lifetime") + "#demo")


@require_POST
@lifetime_policy
def sign_out(request):
    """Sign out: flush() ends the session at once, as logout() does."""
    if USER_KEY in request.session:
        request.session.flush()
    return redirect(reverse("myapp:session-lifetime") + "#demo")


SHOWN = (
    SessionLifetimeMiddleware,
    first_deadline,
    sign_in,
    stay,
    sign_out,
)

urlpatterns = [
    # ex: /lessons/session-lifetime/
    path("", page, name="session-lifetime"),
    # ex: /lessons/session-lifetime/sign-in/ (POST)
    path("sign-in/", sign_in, name="session-lifetime-sign-in"),
    # ex: /lessons/session-lifetime/stay/ (POST)
    path("stay/", stay, name="session-lifetime-stay"),
    # ex: /lessons/session-lifetime/sign-out/ (POST)
    path("sign-out/", sign_out, name="session-lifetime-sign-out"),
]
