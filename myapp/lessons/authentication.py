"""Lesson 18: django.contrib.auth on top of sessions: login, logout, password change."""

from django import forms
from django.contrib import auth, messages
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    UserCreationForm,
)
from django.contrib.sessions.backends.signed_cookies import (
    SessionStore as SignedCookieStore,
)
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from myapp.course import render_lesson
from myapp.inspector import shorten
from myapp.lessons.security import fingerprint
from myapp.ratelimit import limited

# The three keys auth.login() writes; AuthenticationMiddleware reads them.
AUTH_KEYS = (SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY)
# Set before logging in, to watch login() keep it and logout() drop it.
NOTE_KEY = "auth_note"
# A copy of the auth keys, as another device's session holds them. Only a
# copy: a working session key of yours must never appear in a page.
OTHER_DEVICE_KEY = "auth_other_device"


# --- Forms: Django's own, unchanged but for the focus --------------------------


class NoAutofocus:
    """Several forms share the page: none may grab the focus and scroll to it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.pop("autofocus", None)


class NoteForm(forms.Form):
    note = forms.CharField(label="A note for your session", max_length=100)


class SignupForm(NoAutofocus, UserCreationForm):
    """Username and the password twice; AUTH_PASSWORD_VALIDATORS run on it."""


class LoginForm(NoAutofocus, AuthenticationForm):
    """Its clean() calls authenticate(); a wrong password is a form error."""


class PasswordForm(NoAutofocus, PasswordChangeForm):
    """The old password, then the new one twice, validated like at sign-up."""


# --- Views ----------------------------------------------------------------------


@require_POST
def note(request):
    """Store a note while anonymous, to see what login() does with it."""
    form = NoteForm(request.POST, prefix="note")
    if not form.is_valid():
        return render_page(request, note_form=form)
    request.session[NOTE_KEY] = form.cleaned_data["note"]
    return back_to_demo()


@require_POST
@limited("signup")  # a public site: at most LIMITS["signup"] accounts per address
def signup(request):
    """Create a user (a row in auth_user): the session is not touched until login."""
    form = SignupForm(request.POST, prefix="signup")
    if not form.is_valid():
        return render_page(request, signup_form=form)
    user = form.save()
    messages.success(request, f"Account {user.username} created. Now log in.")
    return back_to_demo()


@require_POST
def login(request):
    """auth.login(): a new key with the data kept (a flush instead if the
    session held another user, or this user with a stale hash; neither if it
    already held this user with a valid hash), then _auth_user_id,
    _auth_user_backend and _auth_user_hash."""
    form = LoginForm(request, data=request.POST, prefix="login")
    if not form.is_valid():
        return render_page(request, login_form=form)
    key_before = fingerprint(request.session.session_key) or "none"
    auth.login(request, form.get_user())
    messages.success(
        request,
        f"Logged in as {request.user.username}: the session key before login "
        f"was {key_before}, compare it with the key now.",
    )
    return back_to_demo()


@require_POST
def logout(request):
    """auth.logout(): flush() deletes the data, the stored record and the cookie."""
    key_before = fingerprint(request.session.session_key) or "none"
    auth.logout(request)
    messages.info(request, f"Logged out: session {key_before} was flushed.")
    return back_to_demo()


@require_POST
def change_password(request):
    """Change the password, then update_session_auth_hash(): this session gets
    the new hash and a new key; every other session of the user now carries a
    hash that no longer matches, and is logged out at its next request."""
    if not request.user.is_authenticated:
        return refuse_anonymous(request)
    form = PasswordForm(request.user, request.POST, prefix="password")
    if not form.is_valid():
        return render_page(request, password_form=form)
    hash_before = shorten(request.session[HASH_SESSION_KEY])
    user = form.save()
    auth.update_session_auth_hash(request, user)
    messages.success(
        request,
        f"Password changed: _auth_user_hash {hash_before} is now "
        f"{shorten(request.session[HASH_SESSION_KEY])}, and the key changed too.",
    )
    return back_to_demo()


@require_POST
def log_in_elsewhere(request):
    """Keep a copy of the three auth keys, as the session of another device
    that logs in now would hold them."""
    if not request.user.is_authenticated:
        return refuse_anonymous(request)
    request.session[OTHER_DEVICE_KEY] = {key: request.session[key] for key in AUTH_KEYS}
    return back_to_demo()


@require_POST
def visit_from_elsewhere(request):
    """Let auth.get_user() judge the other device's session, as at its next request."""
    keys = other_device_keys(request.session)
    if keys is None:
        messages.error(request, "Log in on the other device first.")
        return back_to_demo()
    visit = HttpRequest()
    # A store that keeps nothing on the server: whatever get_user() does to
    # the copy (flush, or cycle_key during a key rotation) touches no record.
    visit.session = SignedCookieStore()
    visit.session.update(keys)
    user = auth.get_user(visit)
    if user.is_authenticated:
        messages.info(request, f"The other device is logged in as {user.username}.")
    elif visit.session.is_empty():
        messages.warning(
            request,
            "The other device is logged out: its _auth_user_hash no longer "
            "matches, so get_user() flushed its session.",
        )
    else:
        messages.warning(
            request,
            "The other device is logged out: get_user() found no user who may "
            "log in for its _auth_user_id and _auth_user_backend.",
        )
    return back_to_demo()


def back_to_demo():
    """Every step ends on the demo, where its message is shown."""
    return redirect(reverse("myapp:authentication") + "#demo")


def refuse_anonymous(request):
    """The page again, with a 403: a step that needs a logged-in user."""
    messages.error(request, "Log in first: this step needs a logged-in user.")
    return render_page(request, status=403)


# --- The page -------------------------------------------------------------------


def other_device_keys(session):
    """The copied auth keys, if the session holds a well-formed copy."""
    keys = session.get(OTHER_DEVICE_KEY)
    if not isinstance(keys, dict):
        return None
    keys = {key: keys.get(key) for key in AUTH_KEYS}
    if not all(isinstance(value, str) for value in keys.values()):
        return None
    if not keys[SESSION_KEY].isdigit():
        return None
    return keys


def other_device(session):
    """The other device's copied hash, beside this session's."""
    keys = other_device_keys(session)
    if keys is None:
        return None
    return {
        "hash": shorten(keys[HASH_SESSION_KEY]),
        "matches": keys[HASH_SESSION_KEY] == session.get(HASH_SESSION_KEY),
    }


def render_page(request, status=200, **bound_forms):
    session, user = request.session, request.user
    password_form = (
        PasswordForm(user, prefix="password") if user.is_authenticated else None
    )
    context = {
        "note_form": NoteForm(prefix="note"),
        "signup_form": SignupForm(prefix="signup"),
        "login_form": LoginForm(request, prefix="login"),
        "password_form": password_form,
        **bound_forms,
        "session_key": fingerprint(session.session_key),
        "auth_user_id": session.get(SESSION_KEY),
        "auth_user_backend": session.get(BACKEND_SESSION_KEY),
        "auth_user_hash": shorten(session.get(HASH_SESSION_KEY)),
        "note": session.get(NOTE_KEY),
        "other_device": other_device(session),
    }
    return render_lesson(request, "authentication", context, status=status)


@require_GET
def page(request):
    """Your session as auth sees it, and a form for each step."""
    return render_page(request)


SHOWN = (
    login,
    logout,
    change_password,
    log_in_elsewhere,
    visit_from_elsewhere,
    note,
    signup,
)

urlpatterns = [
    # ex: /lessons/authentication/
    path("", page, name="authentication"),
    # ex: /lessons/authentication/note/ (POST)
    path("note/", note, name="authentication-note"),
    # ex: /lessons/authentication/signup/ (POST)
    path("signup/", signup, name="authentication-signup"),
    # ex: /lessons/authentication/login/ (POST)
    path("login/", login, name="authentication-login"),
    # ex: /lessons/authentication/logout/ (POST)
    path("logout/", logout, name="authentication-logout"),
    # ex: /lessons/authentication/password/ (POST)
    path("password/", change_password, name="authentication-password"),
    # ex: /lessons/authentication/elsewhere/ (POST)
    path("elsewhere/", log_in_elsewhere, name="authentication-elsewhere"),
    # ex: /lessons/authentication/elsewhere/visit/ (POST)
    path(
        "elsewhere/visit/",
        visit_from_elsewhere,
        name="authentication-elsewhere-visit",
    ),
]
