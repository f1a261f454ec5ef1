"""Lesson 10: expiry, two weeks after the last change by default; set_expiry()."""

from datetime import UTC, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from myapp.context_processors import engine_label
from myapp.course import render_lesson
from myapp.inspector import show

# Where set_expiry() keeps a custom expiry: a key of the session itself.
EXPIRY_KEY = "_session_expiry"
# When the demo last saved the session. Django records no such time in the
# session, and the countdown needs it: an integer expiry counts from there.
SAVED_AT_KEY = "expiry_demo_saved_at"

SHORT_EXPIRY = 15
FIXED_DELAY = timedelta(minutes=10)


def next_midnight():
    """A fixed moment for set_expiry(datetime): the coming midnight, UTC."""
    tomorrow = timezone.now().date() + timedelta(days=1)
    return datetime.combine(tomorrow, time.min, tzinfo=UTC)


class SetExpiryForm(forms.Form):
    """One button per kind of value set_expiry() accepts."""

    CHOICES = {
        "seconds": "set_expiry(15)",
        "browser-close": "set_expiry(0)",
        "timedelta": "set_expiry(timedelta(minutes=10))",
        "datetime": "set_expiry(next midnight UTC)",
        "default": "set_expiry(None)",
    }
    choice = forms.ChoiceField(choices=CHOICES.items())

    def expiry(self):
        """The value set_expiry() receives for the button pressed."""
        return {
            "seconds": SHORT_EXPIRY,
            "browser-close": 0,
            "timedelta": FIXED_DELAY,
            "datetime": next_midnight(),
            "default": None,
        }[self.cleaned_data["choice"]]


def describe_expiry(session):
    """What Django says about this session's expiry, and when it really ends.

    get_expiry_age() and get_expiry_date() answer "if it were saved now" for
    an integer or the default: a session does not know when it was last
    saved. Given that moment (``modification=``), they give the real deadline.
    """
    now = timezone.now()
    facts = {
        "custom": show(session[EXPIRY_KEY]) if EXPIRY_KEY in session else None,
        # A datetime or timedelta is stored as a fixed moment, an ISO string.
        "fixed": isinstance(session.get(EXPIRY_KEY), str),
        "age": session.get_expiry_age(),
        "date": session.get_expiry_date(),
        "browser_close": session.get_expire_at_browser_close(),
        "saved_at": None,
    }
    if SAVED_AT_KEY in session:
        saved_at = datetime.fromisoformat(session[SAVED_AT_KEY])
        deadline = session.get_expiry_date(modification=saved_at)
        facts["saved_at"] = saved_at
        facts["deadline"] = deadline
        facts["remaining"] = max(0, int((deadline - now).total_seconds()))
    return facts


def arrival(request):
    """What this request brought: no cookie, a cookie for a live session, or
    a cookie for a session the server no longer has (it expired)."""
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not cookie:
        return "no-cookie"
    if engine_label() == "signed_cookies":
        # The cookie is the data: its key never changes when the server
        # refuses it (after SESSION_COOKIE_AGE), so there is nothing to compare.
        return "cookie"
    # Any read loads the session; an unknown or expired key is dropped then
    # (session_key becomes None, or a new key with the file engine).
    request.session.keys()
    return "cookie" if request.session.session_key == cookie else "stale-cookie"


# --- The lesson page --------------------------------------------------------


@require_GET
def page(request):
    """Show the expiry as Django computes it, and count down to the deadline."""
    return lesson_page(request, SetExpiryForm())


def lesson_page(request, form):
    """The lesson page, with the form fresh or with its errors."""
    came_with = arrival(request)
    if settings.SESSION_SAVE_EVERY_REQUEST and SAVED_AT_KEY in request.session:
        # This request saves the session anyway, so the clock restarts now.
        request.session[SAVED_AT_KEY] = timezone.now().isoformat()
    return render_lesson(
        request,
        "expiry",
        {
            "expiry": describe_expiry(request.session),
            "arrival": came_with,
            "form": form,
            "short_expiry": SHORT_EXPIRY,
            "save_every_request": settings.SESSION_SAVE_EVERY_REQUEST,
        },
    )


# --- The demo ---------------------------------------------------------------


@require_POST
def set_expiry(request):
    """Call set_expiry() with the value of the button pressed.

    It stores the value under _session_expiry; the save after this view
    writes the new deadline to the store and sends a cookie to match.
    """
    form = SetExpiryForm(request.POST)
    if not form.is_valid():
        return lesson_page(request, form)
    request.session.set_expiry(form.expiry())
    request.session[SAVED_AT_KEY] = timezone.now().isoformat()
    return redirect(reverse("myapp:expiry") + "#demo")


SHOWN = (
    SetExpiryForm,
    set_expiry,
    describe_expiry,
    "sitecore/settings/expiry.py",
)

urlpatterns = [
    # ex: /lessons/expiry/
    path("", page, name="expiry"),
    # ex: /lessons/expiry/set/ (POST)
    path("set/", set_expiry, name="expiry-set"),
]
