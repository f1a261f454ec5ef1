"""Lesson 17: fixation, cookie flags, signed cookies, key rotation, check --deploy."""

import re
import secrets

from django import forms
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.backends.signed_cookies import (
    SessionStore as SignedCookieStore,
)
from django.core import checks, signing
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from myapp.course import render_lesson
from myapp.inspector import readable_payload, shorten, show

# Session keys this lesson writes: the demo "user" and each demo's result.
DEMO_USER_KEY = "security_user"
FIXATION_KEY = "security_fixation"
TAMPER_KEY = "security_tamper"
REPLAY_KEY = "security_replay"

# The salt the signed_cookies engine signs with (a literal in Django's code).
SIGNED_COOKIE_SALT = "django.contrib.sessions.backends.signed_cookies"

# What the tamper demo signs: harmless data, never the learner's own session.
SAMPLE_DATA = {"user": "learner", "is_staff": False}
# The tamper demo's own salt: its sample is signed the way the engine signs a
# cookie, yet this site would never accept it as a session cookie.
TAMPER_SALT = "myapp.lessons.security.tamper"

# The cookie settings the page shows, read from the running settings.
COOKIE_SETTINGS = (
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_DOMAIN",
    "SESSION_COOKIE_PATH",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_SAMESITE",
)


def fingerprint(session_key):
    """Enough of a key to tell two apart, not enough to use one.

    A server key is random, so its start will do. A signed-cookie value starts
    with much the same encoded data for everyone: the start of its signature
    tells two apart, and the rest of the signature stays off the page.
    """
    if session_key and ":" in session_key:
        return f"…:{shorten(session_key.rpartition(':')[2])}"
    return shorten(session_key)


# --- Fixation --------------------------------------------------------------


def record_fixation(request, key_before, cycled):
    """Keep, for the page, what became of the key the browser had before login."""
    store = type(request.session)
    old = store(key_before) if key_before else None
    # Loading a dead key gives an empty session; a live one, its data.
    old_data = old.load() if old else {}
    request.session[FIXATION_KEY] = {
        "cycled": cycled,
        "before": fingerprint(key_before),
        "old_key_loads": sorted(old_data),
        "old_key_exists": old.exists(key_before) if old else False,
        # A signed cookie is its own data: the old value holds what it held
        # before this login, so it carries a login only from an earlier one.
        "signed": isinstance(request.session, SignedCookieStore),
        "old_has_login": DEMO_USER_KEY in old_data,
    }


@require_POST
def login_with_cycle(request):
    """Log in the safe way: a new key first, so a key planted before login dies.

    Lesson 5's login does the same; django.contrib.auth.login() too, for a
    session that holds no user yet (another user's session it flushes).
    """
    key_before = request.session.session_key
    request.session.cycle_key()
    request.session[DEMO_USER_KEY] = "learner"
    record_fixation(request, key_before, cycled=True)
    return redirect(reverse("myapp:security") + "#fixation-result")


@require_POST
def login_without_cycle(request):
    """Log in the vulnerable way: whoever knew the key before login is now logged in."""
    key_before = request.session.session_key
    request.session[DEMO_USER_KEY] = "learner"
    record_fixation(request, key_before, cycled=False)
    return redirect(reverse("myapp:security") + "#fixation-result")


# --- Signed cookies ----------------------------------------------------------


class TamperForm(forms.Form):
    value = forms.CharField(
        label="Signed session value",
        max_length=4096,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="Change one character, then send it back.",
    )

    def clean_value(self):
        """Only what a cookie can carry (RFC 6265): printable ASCII without
        space, double quote, comma, semicolon or backslash."""
        value = self.cleaned_data["value"]
        printable = value.isascii() and value.isprintable()
        if not printable or any(character in ' ",;\\' for character in value):
            raise forms.ValidationError(
                "A cookie value is printable ASCII without spaces, double "
                "quotes, commas, semicolons or backslashes."
            )
        return value


def signed_value(data):
    """``data`` as the signed_cookies engine writes it into the cookie."""
    session = SignedCookieStore()
    session.update(data)
    session.save()
    return session.session_key


def sample_value():
    """SAMPLE_DATA signed exactly as the engine signs a cookie, but with the
    demo's own salt: a value signed for one purpose fails for any other."""
    return signing.dumps(SAMPLE_DATA, salt=TAMPER_SALT, compress=True)


def unsign(value, salt):
    """``(data, None)`` if the signature holds, else ``(None, the refusal)``.

    Django's message quotes the signature it refused; it is cut short, as
    anything that might be a live cookie's signature is on this page.
    """
    try:
        data = signing.loads(value, salt=salt, max_age=settings.SESSION_COOKIE_AGE)
    except signing.BadSignature as error:
        message = re.sub(r'"([^"]{8})[^"]*"', r'"\1…"', str(error))
        return None, f"{type(error).__name__}: {message[:80]}"
    return data, None


@require_POST
def tamper(request):
    """Send a signed value back changed: loads() raises BadSignature, which the
    signed_cookies engine catches, silently, to start an empty session."""
    form = TamperForm(request.POST)
    if not form.is_valid():
        return render_page(request, tamper_form=form)
    data, refused = unsign(form.cleaned_data["value"], TAMPER_SALT)
    request.session[TAMPER_KEY] = {
        "refused": refused,
        # Only the key names: only this lesson ever signs with its salt.
        "loaded_keys": sorted(data) if data else [],
    }
    return redirect(reverse("myapp:security") + "#tamper-result")


@require_POST
def replay(request):
    """Keep a copy of a session's cookie, log out, send the copy back.

    A signed cookie carries its own data, so the copy still works: logout
    cannot revoke it. A server engine deletes the record the key pointed to.
    """
    results = {}
    for engine, store in (("signed_cookies", SignedCookieStore), ("db", DBStore)):
        session = store()
        session[DEMO_USER_KEY] = "learner"
        session.save()
        copy = session.session_key  # an old tab, a backup, a thief's copy
        session.flush()  # what logout() does
        replayed = store(copy).load()
        results[engine] = {
            "copy": fingerprint(copy),
            "still_valid": bool(replayed),
            "loads": show(replayed),
        }
    request.session[REPLAY_KEY] = results
    return redirect(reverse("myapp:security") + "#replay-result")


# --- Key rotation ------------------------------------------------------------


def rotation_demo():
    """Sign a session with an old key, then load it after a rotation, three ways.

    Explicit keys, not settings: these are the calls an engine makes with
    SECRET_KEY and SECRET_KEY_FALLBACKS (a live server never edits settings).
    """
    old_key, new_key = secrets.token_urlsafe(50), secrets.token_urlsafe(50)
    signed = signing.dumps(
        SAMPLE_DATA, key=old_key, salt=SIGNED_COOKIE_SALT, compress=True
    )
    attempts = (
        ("SECRET_KEY = old, before the rotation", old_key, []),
        ("SECRET_KEY = new, no SECRET_KEY_FALLBACKS", new_key, []),
        ("SECRET_KEY = new, SECRET_KEY_FALLBACKS = [old]", new_key, [old_key]),
    )
    rows = []
    for situation, key, fallbacks in attempts:
        try:
            data = signing.loads(
                signed, key=key, fallback_keys=fallbacks, salt=SIGNED_COOKIE_SALT
            )
        except signing.BadSignature as error:
            rows.append({"situation": situation, "refused": type(error).__name__})
        else:
            rows.append({"situation": situation, "loaded": show(data)})
    return rows


# --- check --deploy ------------------------------------------------------------


def deploy_warnings():
    """What ``manage.py check --deploy`` says about the settings this server runs."""
    found = checks.run_checks(
        include_deployment_checks=True, tags=[checks.Tags.security]
    )
    # The first sentence names the setting; the id finds the rest in the docs.
    # A warning the settings silence on purpose (SILENCED_SYSTEM_CHECKS) is
    # not reported by the command either.
    return [
        (message.id, str(message.msg).split(". ")[0].rstrip("."))
        for message in found
        if not message.is_silenced()
    ]


# --- The page ----------------------------------------------------------------


def own_signed_cookie(request):
    """The learner's session as a signed cookie: the real one under the
    signed_cookies engine (if it verifies), else a signed copy of the data."""
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    signed_engine = isinstance(request.session, SignedCookieStore)
    if signed_engine and cookie and unsign(cookie, SIGNED_COOKIE_SALT)[1] is None:
        return cookie, True
    return signed_value(dict(request.session.items())), False


def render_page(request, tamper_form=None):
    session = request.session
    own_value, own_is_real = own_signed_cookie(request)
    payload, timestamp, signature = own_value.rsplit(":", 2)
    context = {
        "signed_engine": isinstance(session, SignedCookieStore),
        "session_key": fingerprint(session.session_key),
        "fixation": session.get(FIXATION_KEY),
        "cookie_settings": {
            name: repr(getattr(settings, name)) for name in COOKIE_SETTINGS
        },
        "session_cookie_name": settings.SESSION_COOKIE_NAME,
        "own_is_real": own_is_real,
        # The signature is shortened: with it, the value would be a cookie.
        "own_parts": {
            "payload": payload,
            "timestamp": timestamp,
            "signature": shorten(signature),
        },
        "own_payload": readable_payload(own_value),
        # Read after own_signed_cookie() has loaded the session. A non-empty
        # session keeps (or gets) its cookie and an empty one has none, so
        # this says whether the browser holds one once this page arrives:
        # page script cannot tell a hidden cookie from a missing one.
        "holds_session_cookie": not session.is_empty(),
        "tamper_form": tamper_form or TamperForm(initial={"value": sample_value()}),
        "tamper": session.get(TAMPER_KEY),
        "replay": session.get(REPLAY_KEY),
        "rotation": rotation_demo(),
        "fallback_count": len(settings.SECRET_KEY_FALLBACKS),
        "deploy_warnings": deploy_warnings(),
    }
    return render_lesson(request, "security", context)


@require_GET
def page(request):
    """The flags in force, your session as a signed cookie, and a key rotation."""
    return render_page(request)


SHOWN = (
    login_with_cycle,
    login_without_cycle,
    record_fixation,
    tamper,
    replay,
    rotation_demo,
    deploy_warnings,
    "sitecore/settings/production.py",
)

urlpatterns = [
    # ex: /lessons/security/
    path("", page, name="security"),
    # ex: /lessons/security/login/ (POST)
    path("login/", login_with_cycle, name="security-login"),
    # ex: /lessons/security/login-without-cycle/ (POST)
    path(
        "login-without-cycle/", login_without_cycle, name="security-login-without-cycle"
    ),
    # ex: /lessons/security/tamper/ (POST)
    path("tamper/", tamper, name="security-tamper"),
    # ex: /lessons/security/replay/ (POST)
    path("replay/", replay, name="security-replay"),
]
