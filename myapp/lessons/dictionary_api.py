"""Lesson 4: every mapping method of request.session, run on your own session."""

import django
from django import forms
from django.core.validators import RegexValidator
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from myapp.course import render_lesson
from myapp.inspector import shorten, show

# Every key the playground writes starts with this, so nothing typed here can
# overwrite a key another lesson reads (course_progress, the cart, the theme).
KEY_PREFIX = "play_"
MAX_KEYS = 50

# Each operation and the line of Python it runs; {key} and {value} are filled
# with the real arguments, {default} with ", value" when a value was given.
OPERATIONS = {
    "getitem": "request.session[{key}]",
    "get": "request.session.get({key}{default})",
    "setitem": "request.session[{key}] = {value}",
    "delitem": "del request.session[{key}]",
    "contains": "{key} in request.session",
    "pop": "request.session.pop({key}{default})",
    "setdefault": "request.session.setdefault({key}, {value})",
    "update": "request.session.update({{{key}: {value}}})",
    "keys": "request.session.keys()",
    "values": "request.session.values()",
    "items": "request.session.items()",
    "clear": "request.session.clear()",
    "flush": "request.session.flush()",
    "is_empty": "request.session.is_empty()",
    "bool": "bool(request.session)",
}
# These store a value: they need one, and may add a key.
WRITES = {"setitem", "setdefault", "update"}
NEEDS_KEY = WRITES | {"getitem", "get", "delitem", "contains", "pop"}
# Statements, not expressions: they have no result to show.
STATEMENTS = {"setitem", "delitem"}


class PlaygroundForm(forms.Form):
    """One call: an operation, and the key and value it needs.

    The key is checked before the prefix is added; the session decides the
    rest (the limit of 50 keys counts what it holds now).
    """

    operation = forms.ChoiceField(
        choices=[
            (name, line.format(key="key", value="value", default="[, default]"))
            for name, line in OPERATIONS.items()
        ],
    )
    key = forms.CharField(
        required=False,
        max_length=50,
        validators=[
            RegexValidator(
                r"\A[A-Za-z0-9_-]+\Z",
                "Use only letters, digits, _ and -.",
            )
        ],
        help_text=f"Stored with the prefix {KEY_PREFIX}. "
        "At most 50 of A-Z a-z 0-9 _ -, not starting with _.",
    )
    value = forms.CharField(
        required=False,
        max_length=200,
        help_text="Stored as a string. At most 200 characters. "
        "For get and pop: the default.",
    )

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session

    def clean_key(self):
        key = self.cleaned_data["key"]
        if key.startswith("_"):
            raise forms.ValidationError(
                "Keys starting with _ are Django's own (_auth_user_id, "
                "_session_expiry, ...): choose another name."
            )
        return key

    def clean(self):
        cleaned = super().clean()
        operation, key = cleaned.get("operation"), cleaned.get("key")
        if operation in NEEDS_KEY and not key and not self.has_error("key"):
            self.add_error("key", f"{operation} needs a key.")
        if operation in WRITES and not cleaned.get("value"):
            self.add_error("value", f"{operation} needs a value.")
        if operation in WRITES and key and KEY_PREFIX + key not in self.session:
            # keys(), not the session itself: SessionBase has no __iter__, and
            # `for name in request.session` raises KeyError: 0.
            keys = self.session.keys()
            held = sum(1 for name in keys if name.startswith(KEY_PREFIX))
            if held >= MAX_KEYS:
                self.add_error("key", f"The playground holds {MAX_KEYS} keys already.")
        return cleaned


def perform(session, operation, key, value):
    """Call one mapping method of the session and return what it returned.

    A missing key raises KeyError here, exactly as in a view of your own.
    """
    match operation:
        case "getitem":
            return session[key]
        case "get":
            return session.get(key, value)
        case "setitem":
            session[key] = value
        case "delitem":
            del session[key]
        case "contains":
            return key in session
        case "pop":
            return session.pop(key) if value is None else session.pop(key, value)
        case "setdefault":
            return session.setdefault(key, value)
        case "update":
            return session.update({key: value})
        case "keys":
            return session.keys()
        case "values":
            return session.values()
        case "items":
            return session.items()
        case "clear":
            return session.clear()
        case "flush":
            return session.flush()
        case "is_empty":
            return session.is_empty()
        case "bool":
            return bool(session)


def line_of_code(operation, key, value):
    """The line ``perform`` runs, with the real arguments."""
    return OPERATIONS[operation].format(
        key=repr(key),
        value=repr(value),
        default="" if value is None else f", {value!r}",
    )


def state_of(session):
    """What the session looks like after the call."""
    return {
        "data": show(dict(session.items())),
        "modified": session.modified,
        "session_key": shorten(session.session_key),
        "is_empty": session.is_empty(),
        "bool": bool(session),
    }


def lesson_context(form, run=None):
    """The playground's form, the last call's outcome, and the running Django."""
    return {"form": form, "run": run, "django_version": django.get_version()}


@require_GET
def page(request):
    """The playground's empty form."""
    form = PlaygroundForm(session=request.session)
    return render_lesson(request, "dictionary-api", lesson_context(form))


@require_POST
def run(request):
    """Run one method on the real session and answer with its result, right in
    this response: storing the result for a redirect would add a key to the
    very session being shown."""
    form = PlaygroundForm(request.POST, session=request.session)
    if not form.is_valid():
        return render_lesson(request, "dictionary-api", lesson_context(form))
    operation = form.cleaned_data["operation"]
    key = KEY_PREFIX + form.cleaned_data["key"] if form.cleaned_data["key"] else None
    value = form.cleaned_data["value"] or None
    outcome = {"code": line_of_code(operation, key, value)}
    try:
        result = perform(request.session, operation, key, value)
    except KeyError:
        outcome["error"] = f"KeyError: {key!r}"
    else:
        outcome["result"] = None if operation in STATEMENTS else repr(result)
    outcome["after"] = state_of(request.session)
    context = lesson_context(PlaygroundForm(session=request.session), outcome)
    return render_lesson(request, "dictionary-api", context)


SHOWN = (PlaygroundForm, perform, run)

urlpatterns = [
    # ex: /lessons/dictionary-api/
    path("", page, name="dictionary-api"),
    # ex: /lessons/dictionary-api/run/ (POST)
    path("run/", run, name="dictionary-api-run"),
]
