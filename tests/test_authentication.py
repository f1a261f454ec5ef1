"""Lesson 18: django.contrib.auth on top of sessions."""

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.auth.views import LogoutView
from django.contrib.sessions.middleware import SessionMiddleware
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from myapp.lessons.authentication import NOTE_KEY, OTHER_DEVICE_KEY
from tests.html import parse

PAGE = reverse("myapp:authentication")
DEMO = PAGE + "#demo"
NOTE = reverse("myapp:authentication-note")
SIGNUP = reverse("myapp:authentication-signup")
LOGIN = reverse("myapp:authentication-login")
LOGOUT = reverse("myapp:authentication-logout")
PASSWORD = reverse("myapp:authentication-password")
ELSEWHERE = reverse("myapp:authentication-elsewhere")
ELSEWHERE_VISIT = reverse("myapp:authentication-elsewhere-visit")

GOOD_PASSWORD = "correct-horse-42"
NEW_PASSWORD = "battery-staple-77"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
OLD_KEY = "old-secret-key-" + "o" * 50
NEW_KEY = "new-secret-key-" + "n" * 50


@pytest.fixture
def ada(db):
    return User.objects.create_user("ada", password=GOOD_PASSWORD)


@pytest.fixture
def bob(db):
    return User.objects.create_user("bob", password=GOOD_PASSWORD)


def log_in(client, username, password=GOOD_PASSWORD):
    return client.post(LOGIN, {"login-username": username, "login-password": password})


def session_cookie(client):
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie.value if cookie else None


def stored(client):
    """What the store holds for the client's cookie, read without a request."""
    key = session_cookie(client)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    return dict(store(key).load()) if key else {}


def keep_note(client, text="bring cake"):
    client.post(NOTE, {"note-note": text})


def session_of(user, key, value):
    """A saved session of the engine under test holding ``user``'s id and
    backend, a note, and ``key`` set to ``value``."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session.update(
        {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: MODEL_BACKEND,
            NOTE_KEY: f"{user.username}'s note",
            key: value,
        }
    )
    session.save()
    return session


def log_in_directly(session, user):
    """Django's login() on a request carrying ``session``, as the view calls it."""
    request = RequestFactory().post(LOGIN)
    request.session = session
    auth.login(request, user)


class TestMiddlewareIsLazy:
    def test_request_user_is_read_from_the_session_only_when_used(self, ada):
        """AuthenticationMiddleware sets request.user on every request, but
        reads the session only when something uses it."""
        seen = {}

        def view(request, use_user):
            seen["before"] = request.session.accessed
            if use_user:
                seen["user"] = request.user.username
            seen["after"] = request.session.accessed
            return HttpResponse()

        for use_user in (False, True):
            client_cookie = login_cookie(ada)
            request = RequestFactory().get("/", HTTP_COOKIE=client_cookie)
            SessionMiddleware(lambda r: None).process_request(request)
            AuthenticationMiddleware(lambda r: None).process_request(request)
            view(request, use_user)
            assert seen["before"] is False
            assert seen["after"] is use_user
        assert seen["user"] == "ada"


def login_cookie(user):
    """The Cookie header of a browser in which user has logged in."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.session.session_key}"


class TestSignup:
    def test_signup_creates_a_user_and_leaves_the_session_alone(self, client, engine):
        client.get(PAGE)
        before = stored(client)
        response = client.post(
            SIGNUP,
            {
                "signup-username": "grace",
                "signup-password1": GOOD_PASSWORD,
                "signup-password2": GOOD_PASSWORD,
            },
        )
        assert response.status_code == 302
        assert User.objects.get(username="grace").check_password(GOOD_PASSWORD)
        assert stored(client) == before
        assert SESSION_KEY not in stored(client)
        page = parse(client.get(PAGE))
        assert "Account grace created" in page.text("auth-messages")

    @pytest.mark.parametrize(
        ("username", "password", "password2", "error"),
        [
            ("grace", "1234", "1234", "too short"),
            ("grace", "12345678901", "12345678901", "entirely numeric"),
            ("grace", "password123", "password123", "too common"),
            ("lovelace", "lovelace1", "lovelace1", "too similar"),
            ("grace", GOOD_PASSWORD, "something-else-9", "didn’t match"),
            ("", GOOD_PASSWORD, GOOD_PASSWORD, "required"),
            ("<b>x</b>", GOOD_PASSWORD, GOOD_PASSWORD, "valid username"),
        ],
        ids=["short", "numeric", "common", "similar", "mismatch", "empty", "markup"],
    )
    def test_refused_signups_show_errors_and_change_nothing(
        self, client, db, username, password, password2, error
    ):
        client.get(PAGE)
        before = stored(client)
        response = client.post(
            SIGNUP,
            {
                "signup-username": username,
                "signup-password1": password,
                "signup-password2": password2,
            },
        )
        assert response.status_code == 200
        errors = " ".join(parse(response).field_errors())
        assert error in errors
        assert not User.objects.exists()
        assert stored(client) == before


class TestLogin:
    def test_login_writes_the_three_auth_keys(self, client, engine, ada):
        response = log_in(client, "ada")
        assert response.status_code == 302
        assert response["Location"] == DEMO
        data = stored(client)
        assert data[SESSION_KEY] == str(ada.pk)
        assert data[BACKEND_SESSION_KEY] == MODEL_BACKEND
        assert data[HASH_SESSION_KEY] == ada.get_session_auth_hash()

        page = parse(client.get(PAGE))
        assert page.text("auth-user") == "ada"
        assert page.text("auth-user-id") == str(ada.pk)
        assert page.text("auth-user-backend") == MODEL_BACKEND
        assert page.text("auth-user-hash") == ada.get_session_auth_hash()[:8] + "…"
        items = page.inspector_items()
        assert {SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY} <= set(items)

    def test_a_key_from_before_login_never_logs_anyone_in(self, client, engine, ada):
        """The fixation defence, on every engine: the browser gets a new key,
        and a browser that kept (or was given) the old one is anonymous."""
        keep_note(client)
        old_key = session_cookie(client)
        log_in(client, "ada")
        assert session_cookie(client) != old_key
        planted = Client()
        planted.cookies[settings.SESSION_COOKIE_NAME] = old_key
        page = parse(planted.get(PAGE))
        assert page.text("auth-user") == "AnonymousUser (not logged in)"
        assert page.text("auth-user-id") == "not set"

    def test_login_cycles_the_key(self, client, server_engine, ada):
        """The key from before login names no record afterwards. (The page
        view alone starts no session: the anonymous note does.)"""
        client.get(PAGE)
        keep_note(client)
        old_key = session_cookie(client)
        assert old_key
        log_in(client, "ada")
        assert session_cookie(client) != old_key
        store = import_module(settings.SESSION_ENGINE).SessionStore
        assert store(old_key).load() == {}
        assert not store().exists(old_key)
        page = parse(client.get(PAGE))
        assert old_key[:8] in page.text("auth-messages")

    def test_anonymous_data_survives_login(self, client, engine, ada):
        keep_note(client)
        log_in(client, "ada")
        assert stored(client)[NOTE_KEY] == "bring cake"
        assert parse(client.get(PAGE)).text("auth-note") == "bring cake"

    def test_logging_in_as_another_user_flushes_the_session(
        self, client, engine, ada, bob
    ):
        """login() over a different user's session starts an empty one."""
        log_in(client, "ada")
        keep_note(client, "ada's secret")
        key_of_ada = session_cookie(client)
        log_in(client, "bob")
        data = stored(client)
        assert data[SESSION_KEY] == str(bob.pk)
        assert NOTE_KEY not in data
        assert session_cookie(client) != key_of_ada

    def test_logging_in_again_as_the_same_user_keeps_the_key(
        self, client, server_engine, ada
    ):
        """Same user, matching hash: neither cycle_key() nor flush()."""
        log_in(client, "ada")
        key = session_cookie(client)
        keep_note(client)
        log_in(client, "ada")
        assert session_cookie(client) == key
        assert stored(client)[NOTE_KEY] == "bring cake"

    def test_the_same_user_with_a_stale_hash_is_flushed(self, engine, ada):
        """login() over this user's session whose hash no longer matches (the
        password changed since) starts an empty session, as for another user."""
        session = session_of(ada, HASH_SESSION_KEY, "a hash of an old password")
        log_in_directly(session, ada)
        assert NOTE_KEY not in session
        assert session[HASH_SESSION_KEY] == ada.get_session_auth_hash()

    def test_the_same_user_with_a_matching_hash_is_left_alone(self, engine, ada):
        """Neither cycle_key() nor flush(): the same key, the data kept."""
        session = session_of(ada, HASH_SESSION_KEY, ada.get_session_auth_hash())
        key = session.session_key
        log_in_directly(session, ada)
        assert session[NOTE_KEY] == "ada's note"
        assert session.session_key == key

    def test_login_gives_the_browser_a_new_csrf_token(self, client, db, ada):
        client.get(PAGE)
        token = client.cookies[settings.CSRF_COOKIE_NAME].value
        response = log_in(client, "ada")
        assert response.cookies[settings.CSRF_COOKIE_NAME].value not in ("", token)

    def test_login_and_logout_send_their_signals(self, client, db, ada):
        sent = []

        def receiver(signal, user, **kwargs):
            sent.append((signal, user.username))

        user_logged_in.connect(receiver)
        user_logged_out.connect(receiver)
        try:
            log_in(client, "ada")
            client.post(LOGOUT)
        finally:
            user_logged_in.disconnect(receiver)
            user_logged_out.disconnect(receiver)
        assert sent == [(user_logged_in, "ada"), (user_logged_out, "ada")]

    @pytest.mark.parametrize(
        ("username", "password"),
        [("ada", "wrong-password"), ("nobody", GOOD_PASSWORD), ("", ""), ("ada", "")],
        ids=["wrong-password", "unknown-user", "empty", "no-password"],
    )
    def test_refused_logins_show_errors_and_change_nothing(
        self, client, engine, ada, username, password
    ):
        keep_note(client)
        key, before = session_cookie(client), stored(client)
        response = log_in(client, username, password)
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert session_cookie(client) == key
        assert stored(client) == before
        assert SESSION_KEY not in stored(client)

    def test_login_is_post_only(self, client, db, ada):
        """A GET carrying the credentials logs nobody in and stores nothing."""
        keep_note(client)
        before = stored(client)
        response = client.get(
            LOGIN, {"login-username": "ada", "login-password": GOOD_PASSWORD}
        )
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert stored(client) == before
        assert SESSION_KEY not in stored(client)


class TestLogout:
    def test_logout_flushes_and_deletes_the_cookie(self, client, engine, ada):
        keep_note(client)
        log_in(client, "ada")
        response = client.post(LOGOUT)
        assert response.status_code == 302
        deleted = response.cookies[settings.SESSION_COOKIE_NAME]
        assert deleted.value == ""
        assert deleted["max-age"] == 0
        page = parse(client.get(PAGE))
        assert page.text("auth-user").startswith("AnonymousUser")
        assert page.text("auth-note") == "none"
        assert "flushed" in page.text("auth-messages")

    def test_logout_leaves_the_users_other_sessions_logged_in(self, engine, ada):
        """The core's misconception box: only this browser's session ends."""
        laptop, phone = Client(), Client()
        log_in(laptop, "ada")
        log_in(phone, "ada")
        laptop.post(LOGOUT)
        assert parse(laptop.get(PAGE)).text("auth-user").startswith("AnonymousUser")
        assert parse(phone.get(PAGE)).text("auth-user") == "ada"

    def test_the_old_key_loads_nothing(self, client, server_engine, ada):
        log_in(client, "ada")
        key = session_cookie(client)
        client.post(LOGOUT)
        store = import_module(settings.SESSION_ENGINE).SessionStore
        assert store(key).load() == {}

    def test_logout_is_post_only(self, client, engine, ada):
        log_in(client, "ada")
        assert client.get(LOGOUT).status_code == 405
        assert stored(client)[SESSION_KEY] == str(ada.pk)

    def test_djangos_own_logout_view_refuses_get(self, db):
        """What the page says of LogoutView, on the Django installed."""
        request = RequestFactory().get("/logout/")
        response = LogoutView.as_view()(request)
        assert response.status_code == 405
        assert response["Allow"] == "POST, OPTIONS"


def change_password(client, old=GOOD_PASSWORD, new=NEW_PASSWORD, new2=None):
    return client.post(
        PASSWORD,
        {
            "password-old_password": old,
            "password-new_password1": new,
            "password-new_password2": new if new2 is None else new2,
        },
    )


class TestPasswordChange:
    def test_other_sessions_end_and_this_one_stays(self, engine, ada):
        """Two browsers logged in as ada; one changes the password. It stays
        logged in with the new hash; the other is logged out at its next request."""
        this, other = Client(), Client()
        log_in(this, "ada")
        log_in(other, "ada")
        key_before = session_cookie(this)

        response = change_password(this)
        assert response.status_code == 302
        ada.refresh_from_db()
        assert ada.check_password(NEW_PASSWORD)
        assert parse(this.get(PAGE)).text("auth-user") == "ada"
        assert stored(this)[HASH_SESSION_KEY] == ada.get_session_auth_hash()
        assert session_cookie(this) != key_before  # cycled

        page = parse(other.get(PAGE))
        assert page.text("auth-user").startswith("AnonymousUser")
        assert SESSION_KEY not in stored(other)

    def test_the_other_sessions_record_is_flushed(self, server_engine, ada):
        this, other = Client(), Client()
        log_in(this, "ada")
        log_in(other, "ada")
        other_key = session_cookie(other)
        change_password(this)
        other.get(PAGE)
        store = import_module(settings.SESSION_ENGINE).SessionStore
        assert not store().exists(other_key)

    def test_without_update_session_auth_hash_this_session_ends_too(
        self, client, engine, ada
    ):
        """Why the view calls it: a password saved behind the session's back
        logs out every session, the current one included."""
        log_in(client, "ada")
        ada.set_password(NEW_PASSWORD)
        ada.save()
        assert parse(client.get(PAGE)).text("auth-user").startswith("AnonymousUser")

    def test_page_shows_the_hash_change(self, client, db, ada):
        log_in(client, "ada")
        hash_before = ada.get_session_auth_hash()
        change_password(client)
        ada.refresh_from_db()
        page = parse(client.get(PAGE))
        messages = page.text("auth-messages")
        assert hash_before[:8] in messages
        assert ada.get_session_auth_hash()[:8] in messages
        assert page.text("auth-user-hash") == ada.get_session_auth_hash()[:8] + "…"

    @pytest.mark.parametrize(
        ("old", "new", "new2"),
        [
            ("wrong-password", NEW_PASSWORD, None),
            (GOOD_PASSWORD, "short", None),
            (GOOD_PASSWORD, "1234567890", None),
            (GOOD_PASSWORD, NEW_PASSWORD, "not-the-same-9"),
            (GOOD_PASSWORD, "", None),
        ],
        ids=["wrong-old", "short", "numeric", "mismatch", "empty"],
    )
    def test_refused_changes_show_errors_and_change_nothing(
        self, client, engine, ada, old, new, new2
    ):
        log_in(client, "ada")
        key, before = session_cookie(client), stored(client)
        response = change_password(client, old, new, new2)
        assert response.status_code == 200
        assert parse(response).field_errors()
        ada.refresh_from_db()
        assert ada.check_password(GOOD_PASSWORD)
        assert session_cookie(client) == key
        assert stored(client) == before

    def test_anonymous_visitors_are_refused(self, client, db):
        response = change_password(client)
        assert response.status_code == 403
        assert "Log in first" in parse(response).text("auth-messages")


class TestOtherDevice:
    def test_other_device_is_logged_out_by_a_password_change(self, client, engine, ada):
        log_in(client, "ada")
        client.post(ELSEWHERE)
        assert stored(client)[OTHER_DEVICE_KEY][HASH_SESSION_KEY] == (
            ada.get_session_auth_hash()
        )
        assert "the same" in parse(client.get(PAGE)).text("other-device")
        client.post(ELSEWHERE_VISIT)
        assert "logged in as ada" in parse(client.get(PAGE)).text("auth-messages")

        change_password(client)
        page = parse(client.get(PAGE))
        assert "different" in page.text("other-device")
        client.post(ELSEWHERE_VISIT)
        page = parse(client.get(PAGE))
        assert "other device is logged out" in page.text("auth-messages")
        assert page.text("auth-user") == "ada"  # this session stays

    def test_visit_without_a_copy_says_so(self, client, db):
        client.post(ELSEWHERE_VISIT)
        assert "first" in parse(client.get(PAGE)).text("auth-messages")

    @pytest.mark.parametrize(
        "copy",
        [
            "not a dict",
            {SESSION_KEY: "not-a-number"},
            {SESSION_KEY: "1"},
            {
                SESSION_KEY: "not-a-number",
                BACKEND_SESSION_KEY: MODEL_BACKEND,
                HASH_SESSION_KEY: "some-hash",
            },
        ],
        ids=["not-a-dict", "keys-missing", "only-an-id", "id-not-a-number"],
    )
    def test_a_malformed_copy_is_ignored(self, client, db, ada, copy):
        """Whatever else wrote that key, the visit never crashes: the copy is
        read as no copy at all, and this session stays logged in."""
        log_in(client, "ada")
        session = client.session
        session[OTHER_DEVICE_KEY] = copy
        session.save()
        response = client.post(ELSEWHERE_VISIT)
        assert response.status_code == 302
        assert response["Location"] == DEMO
        page = parse(client.get(PAGE))
        assert "Log in on the other device first." in page.text("auth-messages")
        assert page.text("auth-user") == "ada"

    def test_anonymous_visitors_are_refused(self, client, db):
        assert client.post(ELSEWHERE).status_code == 403
        assert OTHER_DEVICE_KEY not in stored(client)

    def test_a_deleted_user_is_not_blamed_on_the_hash(self, client, db, ada):
        log_in(client, "ada")
        client.post(ELSEWHERE)
        ada.delete()
        client.post(ELSEWHERE_VISIT)
        messages = parse(client.get(PAGE)).text("auth-messages")
        assert "found no user who may log in" in messages
        assert "no longer matches" not in messages

    def test_judging_the_copy_writes_no_session_record(self, client, use_settings, ada):
        """During a key rotation get_user() cycles the copy's key: a server
        store would save a new, logged-in session nobody holds the key of."""
        use_settings("db")
        with override_settings(SECRET_KEY=OLD_KEY):
            log_in(client, "ada")
            client.post(ELSEWHERE)
        with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
            client.post(ELSEWHERE_VISIT)
            page = parse(client.get(PAGE))
        assert "logged in as ada" in page.text("auth-messages")
        rows = Session.objects.values_list("session_key", flat=True)
        assert list(rows) == [session_cookie(client)]  # this browser's, only


class TestWhatLogsASessionOut:
    def test_a_signed_cookie_copy_outlives_logout_but_not_a_password_change(
        self, client, use_settings, ada
    ):
        """signed_cookies: logout cannot revoke a copy (lesson 17), the hash
        check of a password change does."""
        use_settings("cookies")
        log_in(client, "ada")
        copy = session_cookie(client)
        client.post(LOGOUT)
        client.cookies[settings.SESSION_COOKIE_NAME] = copy
        assert parse(client.get(PAGE)).text("auth-user") == "ada"

        ada.set_password(NEW_PASSWORD)
        ada.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = copy
        assert parse(client.get(PAGE)).text("auth-user").startswith("AnonymousUser")

    def test_a_backend_no_longer_listed_logs_nobody_in(self, client, db, ada):
        """get_user() ignores a session whose backend left the setting, without
        flushing it: put the backend back and the user is back."""
        log_in(client, "ada")
        other = ["django.contrib.auth.backends.AllowAllUsersModelBackend"]
        with override_settings(AUTHENTICATION_BACKENDS=other):
            assert parse(client.get(PAGE)).text("auth-user").startswith("Anonymous")
        assert parse(client.get(PAGE)).text("auth-user") == "ada"


class TestSecretKeyRotation:
    def test_logged_in_user_survives_a_rotation_with_the_fallback(
        self, client, engine, ada
    ):
        """The old _auth_user_hash is accepted through the fallback, then
        replaced by the new key's hash."""
        with override_settings(SECRET_KEY=OLD_KEY):
            log_in(client, "ada")
        with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
            assert parse(client.get(PAGE)).text("auth-user") == "ada"
            new_hash = ada.get_session_auth_hash()
        with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
            assert stored(client)[HASH_SESSION_KEY] == new_hash
            assert parse(client.get(PAGE)).text("auth-user") == "ada"

    def test_without_the_fallback_everybody_is_logged_out(self, client, engine, ada):
        """Every engine, the cache one too: its data is unsigned, but the
        hash was made with the old key."""
        with override_settings(SECRET_KEY=OLD_KEY):
            log_in(client, "ada")
        with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
            page = parse(client.get(PAGE))
            assert page.text("auth-user").startswith("AnonymousUser")


class TestEveryStepLandsOnTheDemo:
    def test_every_step_redirects_to_the_demo(self, client, db, ada):
        """Note, sign-up, login, another device, its visit, password, logout."""
        steps = [
            (NOTE, {"note-note": "bring cake"}),
            (
                SIGNUP,
                {
                    "signup-username": "grace",
                    "signup-password1": GOOD_PASSWORD,
                    "signup-password2": GOOD_PASSWORD,
                },
            ),
            (LOGIN, {"login-username": "ada", "login-password": GOOD_PASSWORD}),
            (ELSEWHERE, {}),
            (ELSEWHERE_VISIT, {}),
            (
                PASSWORD,
                {
                    "password-old_password": GOOD_PASSWORD,
                    "password-new_password1": NEW_PASSWORD,
                    "password-new_password2": NEW_PASSWORD,
                },
            ),
            (LOGOUT, {}),
        ]
        for url, data in steps:
            response = client.post(url, data)
            assert (url, response.status_code) == (url, 302)
            assert response["Location"] == "/lessons/authentication/#demo"

    @pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "ada"])
    def test_every_form_lands_on_an_anchor_of_the_demo(
        self, client, db, ada, logged_in
    ):
        """A refused form is the page again: it opens at its own step, which
        is on the page (named in the text) even when the step is hidden."""
        if logged_in:
            log_in(client, "ada")
            client.post(ELSEWHERE)
        page = parse(client.get(PAGE))
        demo = page.by_id("demo")
        forms = demo.find_all("form")
        assert len(forms) == (7 if logged_in else 3)
        for form in forms:
            path, _, anchor = form["action"].partition("#")
            assert path.startswith(PAGE)
            target = page.by_id(anchor)  # the demo itself, or a step inside it
            assert target is demo or demo in target.parents, form["action"]

    def test_a_refused_step_shows_its_error_where_it_lands(self, client, db, ada):
        log_in(client, "ada")
        response = change_password(client, old="wrong-password")
        page = parse(response)
        assert response.status_code == 200
        step = page.by_id("demo-password")
        assert step.find_next("form").select(".errorlist")
