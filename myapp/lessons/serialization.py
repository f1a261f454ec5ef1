"""Lesson 12: session data goes through JSON: what changes on the way, what fails."""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from importlib import import_module

from django import forms
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from myapp.context_processors import engine_label
from myapp.course import render_lesson

TRIED_KEY = "serialization_tried"
FIXED_KEY = "serialization_fixed"
# The key of the throwaway session that tries a value, deleted at once.
TRIAL_KEY = "serialization_trial"

PRICE = Decimal("9.99")
KINDS = [
    ("int-keys", "a dict with int keys: {1: 'one', 2: 'two'}"),
    ("tuple", "a tuple: (1, 2)"),
    ("datetime", "a datetime: timezone.now()"),
    ("decimal", "a Decimal: Decimal('9.99')"),
    ("model", "a model instance: the ContentType of Session"),
    ("set", "a set: {1, 2}"),
]
LABELS = dict(KINDS)


class TryForm(forms.Form):
    """One of KINDS, by name: the view builds the value, nothing typed is stored."""

    kind = forms.ChoiceField(
        label="Value to store", choices=KINDS, widget=forms.RadioSelect
    )


def sample(kind):
    """A fresh value of the chosen kind, as a view would have it."""
    match kind:
        case "int-keys":
            return {1: "one", 2: "two"}
        case "tuple":
            return (1, 2)
        case "datetime":
            return timezone.now()
        case "decimal":
            return PRICE
        case "model":
            return ContentType.objects.get_for_model(Session)
        case "set":
            return {1, 2}
    raise ValueError(f"unknown kind {kind!r}")


def serializer_error(session, value):
    """The error SESSION_SERIALIZER raises for this value, or None.

    ``encode()`` is the call the db, file and cached_db engines make inside
    save(); signed_cookies makes the same one, through the same serializer.
    """
    try:
        session.encode({TRIAL_KEY: value})
    except TypeError as error:
        return f"TypeError: {error}"
    return None


def engine_save_error(value):
    """Save the value in a throwaway session of the running engine; return the error.

    This is what SessionMiddleware would do after the view. The throwaway
    session is deleted at once (a failed file save leaves an empty file).
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[TRIAL_KEY] = value
    try:
        store.save()
    except TypeError as error:
        return f"TypeError: {error}"
    finally:
        store.delete()
    return None


def read_back(stored):
    """Turn the JSON-friendly values back into the objects the code wants."""
    try:
        return {
            "when": datetime.fromisoformat(stored["when"]),
            "price": Decimal(stored["price"]),
            "content_type": ContentType.objects.filter(
                pk=stored["content_type_id"]
            ).first(),
            "by_id": {int(key): value for key, value in stored["by_id"].items()},
        }
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation):
        # Written by an older version of this code: treat it as absent.
        return None


def page_context(request, form, refused=None):
    """What the page shows, after a redirect or for a refused value."""
    tried = request.session.get(TRIED_KEY)
    if tried is not None:
        came_back = repr(tried.get("value"))
        same = came_back == tried.get("sent")
        label = LABELS.get(tried.get("kind"), "a value")
        tried = {**tried, "label": label, "came_back": came_back, "same": same}
    fixed = request.session.get(FIXED_KEY)
    return {
        "form": form,
        "tried": tried,
        "refused": refused,
        "fixed": read_back(fixed) if fixed is not None else None,
        "fixed_stored": fixed,
        "engine": engine_label(),
    }


@require_GET
def page(request):
    """Show what came back from the session on this request, after the round trip."""
    return render_lesson(request, "serialization", page_context(request, TryForm()))


@require_POST
def try_value(request):
    """Store a value only if JSON can carry it; otherwise say why, and change nothing.

    Checking first is what turns a 500 after the view into a message here.
    """
    form = TryForm(request.POST)
    refused = None
    if form.is_valid():
        kind = form.cleaned_data["kind"]
        value = sample(kind)
        error = serializer_error(request.session, value)
        if error is None:
            # repr() now, in this request: the next one reads what JSON kept.
            request.session[TRIED_KEY] = {
                "kind": kind,
                "sent": repr(value),
                "value": value,
            }
            return redirect(reverse("myapp:serialization") + "#serialization-came-back")
        form.add_error(None, f"Not stored: {error}. Your session is unchanged.")
        refused = {
            "label": LABELS[kind],
            "error": error,
            "engine_error": engine_save_error(value),
        }
    return render_lesson(request, "serialization", page_context(request, form, refused))


@require_POST
def store_fixed(request):
    """The fix: store ids and strings, which JSON keeps, and convert back on reading."""
    request.session[FIXED_KEY] = {
        "when": timezone.now().isoformat(),
        "price": str(PRICE),
        "content_type_id": ContentType.objects.get_for_model(Session).pk,
        "by_id": {"1": "one", "2": "two"},
    }
    return redirect(reverse("myapp:serialization") + "#serialization-fixed")


@require_POST
def forget(request):
    """Remove this lesson's two keys and nothing else."""
    request.session.pop(TRIED_KEY, None)
    request.session.pop(FIXED_KEY, None)
    return redirect(reverse("myapp:serialization") + "#demo")


SHOWN = (
    try_value,
    serializer_error,
    engine_save_error,
    sample,
    store_fixed,
    read_back,
    page_context,
)
NOT_SHOWN = {
    forget: "It only pops this lesson's two keys: lesson 4 shows pop().",
}

urlpatterns = [
    # ex: /lessons/serialization/
    path("", page, name="serialization"),
    # ex: /lessons/serialization/try/ (POST kind=datetime)
    path("try/", try_value, name="serialization-try"),
    # ex: /lessons/serialization/fix/ (POST)
    path("fix/", store_fixed, name="serialization-fix"),
    # ex: /lessons/serialization/forget/ (POST)
    path("forget/", forget, name="serialization-forget"),
]
