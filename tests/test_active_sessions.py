"""Lesson 19: the active-sessions engine keeps Django's session contract,
records who, from where and when, and its page ends only your own sessions."""

import importlib
import logging
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore as DjangoDBStore
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from myapp.active_sessions import ACTIVITY_RESOLUTION, SessionStore
from myapp.course import live_lessons
from myapp.lessons.active_sessions import (
    DEMO_COOKIE,
    MAX_SESSIONS_PER_USER,
    PRETEND_IP_ADDRESS,
    PRETEND_USER_AGENT,
    describe_device,
    public_id,
)
from myapp.models import ActiveSession
from tests.browser import live_site
from tests.html import parse
from tests.services import HttpBrowser
from tests.session_contract import DatabaseSessionContract, SessionStoreContract

PAGE = reverse("myapp:active-sessions")
END = reverse("myapp:active-sessions-end")
END_OTHERS = reverse("myapp:active-sessions-end-others")
PRETEND = reverse("myapp:active-sessions-pretend")
DEMO = PAGE + "#demo"
OLD_KEY = "old-secret-key-" + "o" * 50
NEW_KEY = "new-secret-key-" + "n" * 50

FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"
)


# --- The same contract as Django's own engines ---------------------------------


class TestDjangoDatabaseEngineContract(DatabaseSessionContract):
    settings_module = "db"


class TestDjangoFileEngineContract(SessionStoreContract):
    settings_module = "file"


class TestDjangoCacheEngineContract(SessionStoreContract):
    settings_module = "cache"


class TestDjangoCachedDbEngineContract(SessionStoreContract):
    settings_module = "cached_db"


class TestActiveSessionsEngineContract(DatabaseSessionContract):
    """The course's engine, through exactly the tests Django's engines pass."""

    settings_module = "active"

    def test_the_engine_under_test_is_the_courses(self, backend):
        assert backend is SessionStore


# --- Fixtures ----------------------------------------------------------------


@pytest.fixture
def active(use_settings, settings, db):
    """Run the site as sitecore/settings/active.py does: engine and middleware."""
    use_settings("active")
    settings.MIDDLEWARE = importlib.import_module("sitecore.settings.active").MIDDLEWARE


def browser(user=None, user_agent=FIREFOX_LINUX, ip_address="192.0.2.10"):
    """A test client with a user agent and an address, signed in as ``user``."""
    client = Client(headers={"user-agent": user_agent}, REMOTE_ADDR=ip_address)
    if user is not None:
        client.force_login(user)
        client.get(PAGE)  # a first request through the middleware
    return client


def key_of(client):
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def row_of(client):
    return ActiveSession.objects.get(session_key=key_of(client))


@pytest.fixture
def ada(db):
    return User.objects.create_user("ada", password="correct horse battery")


@pytest.fixture
def bob(db):
    return User.objects.create_user("bob", password="correct horse battery")


# --- The row -----------------------------------------------------------------


class TestTheRow:
    def test_login_records_the_user(self, active, ada):
        client = browser(ada)
        assert row_of(client).user == ada

    def test_user_column_follows_auth_user_id(self, active, ada):
        """Set by login(), cleared when the key goes (as Django's own test of
        a custom session model checks)."""
        session = SessionStore()
        session[SESSION_KEY] = str(ada.pk)
        session.save()
        assert ActiveSession.objects.get(pk=session.session_key).user == ada
        session.pop(SESSION_KEY)
        session.save()
        assert ActiveSession.objects.get(pk=session.session_key).user is None

    def test_asave_records_the_user_too(self, active, ada):
        """asave() goes through acreate_model_instance(), overridden as well."""
        session = SessionStore()

        async def scenario():
            await session.aset(SESSION_KEY, str(ada.pk))
            await session.asave()

        async_to_sync(scenario)()
        assert ActiveSession.objects.get(pk=session.session_key).user == ada

    @pytest.mark.parametrize("user_id", ["999999", "abc", "9" * 30, "", "-1"])
    def test_an_id_of_no_user_is_stored_as_none(self, active, user_id):
        """The save works and the user column stays empty: no broken foreign key."""
        session = SessionStore()
        session[SESSION_KEY] = user_id
        session.save()
        row = ActiveSession.objects.get(pk=session.session_key)
        assert row.user_id is None
        assert row.get_decoded()[SESSION_KEY] == user_id

    def test_deleting_a_user_deletes_their_sessions(self, active, ada):
        key = key_of(browser(ada))
        ada.delete()
        assert not ActiveSession.objects.filter(pk=key).exists()

    def test_a_request_records_user_agent_and_ip(self, active):
        client = browser(user_agent=CHROME_ANDROID, ip_address="2001:db8::7")
        client.get("/ssession")
        row = row_of(client)
        assert row.user_agent == CHROME_ANDROID
        assert row.ip_address == "2001:db8::7"

    @pytest.mark.parametrize("remote_addr", ["", "unix:socket", "fe80::1%" + "x" * 60])
    def test_an_address_the_column_cannot_hold_is_stored_as_none(
        self, active, remote_addr
    ):
        """No address, a socket path, an IPv6 zone too long: the request works."""
        client = browser(ip_address=remote_addr)
        assert client.get("/ssession").status_code == 200
        assert row_of(client).ip_address is None

    def test_a_long_user_agent_is_cut_to_the_column(self, active):
        client = browser(user_agent="x" * 5000)
        client.get("/ssession")
        assert row_of(client).user_agent == "x" * 300

    def test_a_save_outside_a_request_records_no_device(self, active):
        session = SessionStore()
        session["x"] = 1
        session.save()
        row = ActiveSession.objects.get(pk=session.session_key)
        assert (row.user_agent, row.ip_address) == ("", None)

    def test_the_managers_save_resets_the_extra_columns(self, active, ada):
        """Why sessions are written through the store: Django's manager builds
        the row from key, data and expiry alone."""
        key = key_of(browser(ada))
        row = ActiveSession.objects.get(pk=key)
        ActiveSession.objects.save(key, row.get_decoded(), row.expire_date)
        row.refresh_from_db()
        assert (row.user, row.user_agent, row.ip_address) == (None, "", None)

    def test_migrations_match_the_models(self, db):
        """No model change is missing a migration (on this Django version too)."""
        call_command("makemigrations", "myapp", "--check", "--dry-run", verbosity=0)


class TestClassName:
    def test_same_class_name_same_signing_salt(self, active):
        """Data Django's db engine signed decodes here: both classes are
        named SessionStore, and the salt is built from the name."""
        encoded = DjangoDBStore().encode({"cart": 3})
        assert SessionStore().decode(encoded) == {"cart": 3}

    def test_a_renamed_class_cannot_read_its_own_sessions(self, active, caplog):
        """Rename the class and every stored session is "corrupted"."""

        class RenamedStore(SessionStore):
            pass

        session = SessionStore()
        session["cart"] = 3
        session.save()
        with caplog.at_level(logging.WARNING, "django.security.SuspiciousSession"):
            assert RenamedStore(session.session_key).load() == {}
        assert "Session data corrupted" in caplog.text


# --- Last activity -------------------------------------------------------------


def age_row(client, by):
    """Pretend the row was last active ``by`` ago; return its expiry date."""
    then = timezone.now() - by
    ActiveSession.objects.filter(pk=key_of(client)).update(last_activity=then)
    return then, row_of(client).expire_date


class TestLastActivity:
    def test_a_save_stamps_last_activity(self, active):
        client = browser()
        before = timezone.now()
        client.get("/ssession")
        assert row_of(client).last_activity >= before

    @pytest.mark.parametrize(
        "ip_address", ["192.0.2.10", "2001:0db8:0000::0007", "::ffff:192.0.2.1"]
    )
    def test_a_read_soon_after_writes_nothing(self, active, ip_address):
        """Also for addresses the column spells differently from the request."""
        client = browser(ip_address=ip_address)
        client.get("/ssession")
        then, expiry = age_row(client, ACTIVITY_RESOLUTION - timedelta(minutes=1))
        response = client.get("/gsession")  # reads the session, changes nothing
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        row = row_of(client)
        assert (row.last_activity, row.expire_date) == (then, expiry)

    def test_a_read_after_the_resolution_updates_last_activity_only(self, active):
        """The time moves; the data and the expiry do not; no cookie is sent."""
        client = browser()
        client.get("/ssession")
        data = row_of(client).session_data
        then, expiry = age_row(client, ACTIVITY_RESOLUTION + timedelta(minutes=1))
        response = client.get("/gsession")
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        row = row_of(client)
        assert row.last_activity > then + ACTIVITY_RESOLUTION
        assert (row.expire_date, row.session_data) == (expiry, data)

    def test_a_new_address_is_recorded_at_once(self, active):
        client = browser(ip_address="192.0.2.10")
        client.get("/ssession")
        client.get("/gsession", REMOTE_ADDR="198.51.100.4")
        assert row_of(client).ip_address == "198.51.100.4"

    def test_a_session_never_read_records_nothing(self, active):
        """Only a request that loaded its session counts as activity."""
        session = SessionStore()
        session["x"] = 1
        session.save()
        then = timezone.now() - ACTIVITY_RESOLUTION * 2
        ActiveSession.objects.filter(pk=session.session_key).update(last_activity=then)
        unread = SessionStore(session.session_key)
        unread.record_activity()
        row = ActiveSession.objects.get(pk=session.session_key)
        assert row.last_activity == then

    def test_recording_activity_never_brings_a_session_back(self, active):
        session = SessionStore()
        session["x"] = 1
        session.save()
        later = SessionStore(session.session_key)
        later.load()
        later._stored_activity = (timezone.now() - timedelta(days=1), "", None)
        SessionStore(session.session_key).delete()  # a logout elsewhere
        later.record_activity()
        assert not ActiveSession.objects.filter(pk=session.session_key).exists()


# --- The page ------------------------------------------------------------------
#
# The demo runs in two ways (tests run each in every mode that fits):
# - "db" (the default `make run`) and "cookies": request.session is no row of
#   the course's engine, so the demo keeps a session of its own, in the
#   course's engine, under its own cookie (DEMO_COOKIE);
# - "active" (`make run ENGINE=active`): the site's own session is the row.

MODES = ("db", "cookies", "active")
DEMO_MODES = ("db", "cookies")
PASSWORD = "correct horse battery"
SIGN_IN = reverse("myapp:active-sessions-sign-in")
ACTIONS = [END, END_OTHERS, PRETEND]


@pytest.fixture(params=MODES)
def mode(request, use_settings, db):
    """The settings module the site runs; its MIDDLEWARE comes along."""
    return use_settings(request.param)


@pytest.fixture(params=DEMO_MODES)
def demo_mode(request, use_settings, db):
    return use_settings(request.param)


def cookie_of(mode):
    """The cookie that holds the key of the session the demo runs on."""
    return settings.SESSION_COOKIE_NAME if mode == "active" else DEMO_COOKIE


def signed_in(mode, user, password=PASSWORD, client=None, **device):
    """A browser signed in through the demo's own form: Django's login()."""
    client = client or device_client(**device)
    response = client.post(
        SIGN_IN, {"sign-in-username": user.username, "sign-in-password": password}
    )
    assert response.status_code == 302
    assert response["Location"] == DEMO
    return client


def device_client(user_agent=FIREFOX_LINUX, ip_address="192.0.2.10", **kwargs):
    return Client(headers={"user-agent": user_agent}, REMOTE_ADDR=ip_address, **kwargs)


def demo_key(client, mode):
    return client.cookies[cookie_of(mode)].value


def demo_row(client, mode):
    return ActiveSession.objects.get(pk=demo_key(client, mode))


def rows_of(user):
    return set(ActiveSession.objects.filter(user=user).values_list("pk", flat=True))


def demo_user(client):
    """Who the demo page says is signed in, or None."""
    page = parse(client.get(PAGE))
    return (
        page.text("active-sessions-user")
        if page.has_id("active-sessions-user")
        else None
    )


def listed_ids(page):
    rows = page.by_id("active-sessions-table").tbody.find_all("tr")
    return [row["id"].removeprefix("session-") for row in rows]


def notice(client):
    return parse(client.get(PAGE)).text("active-sessions-notice")


class TestSignIn:
    def test_an_anonymous_visitor_is_asked_to_sign_in(self, client, mode):
        page = parse(client.get(PAGE))
        assert "Sign in first" in page.text("active-sessions-sign-in")
        assert page.has_id("sign-in-form")
        assert not page.has_id("active-sessions-table")

    def test_signing_in_writes_the_user_into_this_browsers_row(self, mode, ada):
        laptop = signed_in(mode, ada, ip_address="198.51.100.4")
        row = demo_row(laptop, mode)
        assert (row.user, row.user_agent, row.ip_address) == (
            ada,
            FIREFOX_LINUX,
            "198.51.100.4",
        )
        page = parse(laptop.get(PAGE))
        assert page.text("active-sessions-user") == "ada"
        this = page.text(f"session-{public_id(demo_key(laptop, mode))}")
        assert "Firefox on Linux" in this
        assert "this device" in this

    def test_sign_in_is_djangos_login_a_new_key(self, mode, ada):
        """A key the browser held before sign-in names no row afterwards."""
        laptop = signed_in(mode, ada)
        before = demo_key(laptop, mode)
        signed_in(mode, ada, client=laptop)  # same user: the key stays
        assert demo_key(laptop, mode) == before
        bob = User.objects.create_user("bob", password=PASSWORD)
        signed_in(mode, bob, client=laptop)  # another user: flushed, new key
        assert demo_key(laptop, mode) != before
        assert not ActiveSession.objects.filter(pk=before).exists()
        assert demo_row(laptop, mode).user == bob

    def test_the_sign_in_prompt_links_to_lesson_18(self, client, mode):
        page = parse(client.get(PAGE))
        assert reverse("myapp:authentication") in page.links()

    def test_on_the_active_engine_lesson_18s_login_is_enough(self, active, ada):
        """There the site's session is the row: logging in anywhere lists it."""
        laptop = device_client()
        response = laptop.post(
            reverse("myapp:authentication-login"),
            {"login-username": "ada", "login-password": PASSWORD},
        )
        assert response.status_code == 302
        page = parse(laptop.get(PAGE))
        assert page.text("active-sessions-user") == "ada"
        assert listed_ids(page) == [public_id(key_of(laptop))]

    def test_a_wrong_password_signs_nobody_in(self, client, mode, ada):
        response = client.post(
            SIGN_IN, {"sign-in-username": "ada", "sign-in-password": "wrong"}
        )
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert not ActiveSession.objects.filter(user=ada).exists()

    def test_the_page_says_which_session_the_demo_uses(self, client, mode):
        text = parse(client.get(PAGE)).text("active-sessions-mode")
        if mode == "active":
            assert "your own session is a row of myapp_activesession" in text
            assert "its extra columns are in the table here" in text
        else:
            assert (
                f"This site runs the {settings.SESSION_ENGINE.split('.')[-1]}" in text
            )
            assert 'SESSION_ENGINE = "myapp.active_sessions"' in text
            assert "make run ENGINE=active" in text
            assert "The inspector below shows your site session, not this one." in text


class TestTheInspector:
    def test_shows_the_rows_data_not_its_extra_columns(self, active, ada):
        """What the page says of it: the device and address columns are in
        the demo's table only."""
        laptop = signed_in("active", ada, ip_address="198.51.100.4")
        page = parse(laptop.get(PAGE))
        inspector = page.text("inspector")
        assert "myapp_activesession row" in inspector
        for column_value in ("Firefox on Linux", "198.51.100.4"):
            assert column_value not in inspector
            assert column_value in page.text("active-sessions-table")


class TestTheDemosOwnCookie:
    def test_the_site_session_is_not_signed_in(self, client, demo_mode, ada):
        """The demo's login() ran on the demo's session, not on request.session."""
        signed_in(demo_mode, ada, client=client)
        assert SESSION_KEY not in client.session
        page = parse(client.get(reverse("myapp:authentication")))
        assert page.text("auth-user") == "AnonymousUser (not logged in)"
        assert demo_user(client) == "ada"

    def test_the_cookie_is_http_only_and_only_for_this_lesson(self, demo_mode, ada):
        laptop = device_client()
        response = laptop.post(
            SIGN_IN, {"sign-in-username": "ada", "sign-in-password": PASSWORD}
        )
        cookie = response.cookies[DEMO_COOKIE]
        assert cookie["path"] == "/lessons/active-sessions/"
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
        assert cookie["max-age"] == 1209600

    def test_an_ended_session_loses_its_cookie(self, demo_mode, ada):
        laptop = signed_in(demo_mode, ada)
        phone = signed_in(demo_mode, ada, user_agent=CHROME_ANDROID)
        laptop.post(END, {"session": public_id(demo_key(phone, demo_mode))})
        response = phone.get(PAGE)
        assert response.cookies[DEMO_COOKIE]["max-age"] == 0
        assert parse(response).has_id("active-sessions-sign-in")

    def test_a_new_key_is_sent_on_a_redirect_never_printed_in_a_page(
        self, demo_mode, ada
    ):
        """During a SECRET_KEY rotation get_user() cycles the key on a page
        view: every page shows its own headers, so the view redirects."""
        with override_settings(SECRET_KEY=OLD_KEY):
            laptop = signed_in(demo_mode, ada)
        before = demo_key(laptop, demo_mode)
        with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
            response = laptop.get(PAGE)
            assert response.status_code == 302
            assert response["Location"] == DEMO
            after = demo_key(laptop, demo_mode)
            assert after not in ("", before)
            page = laptop.get(PAGE)
            assert after not in page.content.decode()
            assert parse(page).text("active-sessions-user") == "ada"


class TestYourSessions:
    def test_lists_only_your_sessions_and_marks_this_one(self, mode, ada, bob):
        laptop = signed_in(mode, ada)
        phone = signed_in(
            mode, ada, user_agent=CHROME_ANDROID, ip_address="2001:db8::7"
        )
        bobs = signed_in(mode, bob)
        page = parse(laptop.get(PAGE))
        assert sorted(listed_ids(page)) == sorted(
            [public_id(demo_key(laptop, mode)), public_id(demo_key(phone, mode))]
        )
        assert public_id(demo_key(bobs, mode)) not in listed_ids(page)
        other = page.text(f"session-{public_id(demo_key(phone, mode))}")
        assert "Chrome on Android" in other
        assert "2001:db8::7" in other
        assert "this device" not in other

    def test_no_session_key_is_in_the_html_or_the_template_context(self, mode, ada):
        """Not even in the context, which the debug toolbar's template panel shows."""
        laptop = signed_in(mode, ada)
        phone = signed_in(mode, ada)
        response = laptop.get(PAGE)
        html = response.content.decode()
        listed = repr(response.context["sessions"])
        for key in (demo_key(laptop, mode), demo_key(phone, mode)):
            assert key not in html
            assert key not in listed

    def test_the_full_user_agent_is_one_click_away(self, mode, ada):
        laptop = signed_in(mode, ada)
        page = parse(laptop.get(PAGE))
        assert page.text(f"session-{public_id(demo_key(laptop, mode))}").startswith(
            f"Firefox on Linux {FIREFOX_LINUX}"
        )

    def test_ending_another_session_signs_that_browser_out(self, mode, ada):
        laptop = signed_in(mode, ada)
        phone = signed_in(mode, ada, user_agent=CHROME_ANDROID)
        phone_key = demo_key(phone, mode)
        response = laptop.post(END, {"session": public_id(phone_key)})
        assert response.status_code == 302
        assert not ActiveSession.objects.filter(pk=phone_key).exists()
        assert demo_user(phone) is None
        page = parse(laptop.get(PAGE))  # the laptop is still signed in
        assert listed_ids(page) == [public_id(demo_key(laptop, mode))]
        assert page.text("active-sessions-notice") == "Ended 1 session."

    def test_this_session_is_not_ended_by_the_end_button(self, mode, ada):
        laptop = signed_in(mode, ada)
        response = laptop.post(END, {"session": public_id(demo_key(laptop, mode))})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert demo_user(laptop) == "ada"

    @pytest.mark.parametrize(
        "value", ["", "x" * 100, "<script>alert(1)</script>", "../../etc/passwd"]
    )
    def test_bad_ids_get_a_form_error_and_end_nothing(self, mode, ada, value):
        laptop = signed_in(mode, ada)
        phone = signed_in(mode, ada)
        response = laptop.post(END, {"session": value})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert b"<script>alert(1)</script>" not in response.content
        assert len(rows_of(ada)) == 2
        assert demo_user(phone) == "ada"

    def test_sign_out_everywhere_else_keeps_only_this_session(self, mode, ada):
        laptop = signed_in(mode, ada)
        phones = [signed_in(mode, ada), signed_in(mode, ada)]
        laptop.post(END_OTHERS)
        assert rows_of(ada) == {demo_key(laptop, mode)}
        for phone in phones:
            assert demo_user(phone) is None
        assert notice(laptop) == "Signed out 2 other sessions."

    def test_the_count_leaves_out_expired_and_already_signed_out_rows(self, mode, ada):
        """Three other rows: one live, one expired, one whose password hash
        is stale. Only the live one was still signed in."""
        laptop = signed_in(mode, ada)
        live = signed_in(mode, ada)
        expired = signed_in(mode, ada)
        stale = signed_in(mode, ada)
        yesterday = timezone.now() - timedelta(days=1)
        ActiveSession.objects.filter(pk=demo_key(expired, mode)).update(
            expire_date=yesterday
        )
        row = demo_row(stale, mode)
        data = row.get_decoded()
        data[HASH_SESSION_KEY] = "a hash of an old password"
        row.session_data = SessionStore().encode(data)
        row.save()
        laptop.post(END_OTHERS)
        assert notice(laptop) == "Signed out 1 other session."
        assert demo_user(live) is None
        assert not ActiveSession.objects.filter(pk=demo_key(stale, mode)).exists()
        # Expired rows are left to clearsessions, as everybody's.
        assert ActiveSession.objects.filter(pk=demo_key(expired, mode)).exists()

    def test_pretend_device_signs_the_same_user_in_again(self, mode, ada):
        laptop = signed_in(mode, ada)
        laptop.post(PRETEND)
        phone = ActiveSession.objects.exclude(pk=demo_key(laptop, mode)).get()
        assert (phone.user, phone.user_agent, phone.ip_address) == (
            ada,
            PRETEND_USER_AGENT,
            PRETEND_IP_ADDRESS,
        )
        assert notice(laptop) == "Signed in from a pretend iPhone."
        # A real signed-in session: a browser holding its key is ada.
        holder = Client()
        holder.cookies[cookie_of(mode)] = phone.session_key
        assert demo_user(holder) == "ada"

    def test_pretend_device_stops_at_the_limit(self, mode, ada):
        laptop = signed_in(mode, ada)
        for _ in range(MAX_SESSIONS_PER_USER + 2):
            laptop.post(PRETEND)
        assert len(rows_of(ada)) == MAX_SESSIONS_PER_USER
        assert "end some first" in notice(laptop)

    def test_a_password_change_marks_other_sessions_signed_out(self, mode, ada):
        """Their rows stay until their next request, when Django flushes them."""
        laptop = signed_in(mode, ada)
        phone = signed_in(mode, ada)
        ada.set_password("a brand new passphrase")
        ada.save()
        signed_in(mode, ada, "a brand new passphrase", client=laptop)
        page = parse(laptop.get(PAGE))
        phone_row = f"session-{public_id(demo_key(phone, mode))}"
        assert "signed out: password changed" in page.text(phone_row)
        this_row = f"session-{public_id(demo_key(laptop, mode))}"
        assert "signed out" not in page.text(this_row)
        phone_key = demo_key(phone, mode)
        assert demo_user(phone) is None
        assert not ActiveSession.objects.filter(pk=phone_key).exists()


class TestAnotherUsersSessions:
    """Every route that acts on a session, tried by bob on ada's sessions."""

    def test_bob_cannot_end_adas_session_even_with_its_id(self, mode, ada, bob):
        adas = signed_in(mode, ada)
        bobs = signed_in(mode, bob)
        response = bobs.post(END, {"session": public_id(demo_key(adas, mode))})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert rows_of(ada) == {demo_key(adas, mode)}
        assert demo_user(adas) == "ada"

    def test_bobs_sign_out_everywhere_else_leaves_ada_signed_in(self, mode, ada, bob):
        adas = [signed_in(mode, ada), signed_in(mode, ada)]
        bobs = [signed_in(mode, bob), signed_in(mode, bob)]
        bobs[0].post(END_OTHERS)
        assert notice(bobs[0]) == "Signed out 1 other session."
        assert rows_of(ada) == {demo_key(browser, mode) for browser in adas}
        assert [demo_user(browser) for browser in adas] == ["ada", "ada"]

    def test_bobs_pretend_device_is_bobs_only(self, mode, ada, bob):
        adas = signed_in(mode, ada)
        bobs = signed_in(mode, bob)
        bobs.post(PRETEND)
        assert rows_of(ada) == {demo_key(adas, mode)}
        assert len(rows_of(bob)) == 2

    def test_bob_signing_in_on_adas_browser_ends_only_that_session(
        self, mode, ada, bob
    ):
        """A shared computer: login() flushes ada's session there (no data
        passes to bob), and her phone stays signed in."""
        shared = signed_in(mode, ada)
        phone = signed_in(mode, ada, user_agent=CHROME_ANDROID)
        adas_key = demo_key(shared, mode)
        signed_in(mode, bob, client=shared)
        assert not ActiveSession.objects.filter(pk=adas_key).exists()
        assert demo_row(shared, mode).user == bob
        assert rows_of(ada) == {demo_key(phone, mode)}
        assert demo_user(phone) == "ada"

    @pytest.mark.parametrize("url", ACTIONS)
    def test_a_signed_out_visitor_changes_nothing(self, client, mode, ada, url):
        adas = signed_in(mode, ada)
        phone = signed_in(mode, ada)
        response = client.post(url, {"session": public_id(demo_key(phone, mode))})
        assert response.status_code == 302
        assert rows_of(ada) == {demo_key(adas, mode), demo_key(phone, mode)}
        assert demo_user(phone) == "ada"

    @pytest.mark.parametrize("url", ACTIONS)
    def test_actions_need_a_csrf_token(self, mode, ada, url):
        laptop = device_client(enforce_csrf_checks=True)
        laptop.cookies = signed_in(mode, ada).cookies  # signed in, no token sent
        phone = signed_in(mode, ada)
        response = laptop.post(url, {"session": public_id(demo_key(phone, mode))})
        assert response.status_code == 403
        assert len(rows_of(ada)) == 2

    @pytest.mark.parametrize("url", [*ACTIONS, SIGN_IN])
    def test_actions_are_post_only(self, mode, ada, url):
        """A GET, even signed in with a second session to end, changes nothing."""
        laptop = signed_in(mode, ada)
        phone = signed_in(mode, ada)
        response = laptop.get(url, {"session": public_id(demo_key(phone, mode))})
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert rows_of(ada) == {demo_key(laptop, mode), demo_key(phone, mode)}
        assert demo_user(laptop) == "ada"


class TestLandingOnTheDemo:
    @pytest.mark.parametrize("url", ACTIONS)
    def test_every_action_redirects_to_the_demo(self, mode, ada, url):
        laptop = signed_in(mode, ada)
        phone = signed_in(mode, ada)
        response = laptop.post(url, {"session": public_id(demo_key(phone, mode))})
        assert response.status_code == 302
        assert response["Location"] == DEMO

    @pytest.mark.parametrize("signed", [False, True], ids=["anonymous", "ada"])
    def test_every_form_lands_on_an_anchor_of_the_demo(self, client, db, ada, signed):
        if signed:
            signed_in("db", ada, client=client)
            signed_in("db", ada)  # a second row, so it has an "end" form
        page = parse(client.get(PAGE))
        demo = page.by_id("demo")
        forms = demo.find_all("form")
        assert len(forms) == (3 if signed else 1)
        for form in forms:
            _, _, anchor = form["action"].partition("#")
            target = page.by_id(anchor)
            assert target is demo or demo in target.parents, form["action"]

    def test_a_refused_end_shows_its_error_where_it_lands(self, client, db, ada):
        signed_in("db", ada, client=client)
        response = client.post(END, {"session": "nobody"})
        page = parse(response)
        assert "not one of your other sessions" in page.text("active-sessions-list")


# --- The default `make run`: no restart, no setting changed --------------------


@pytest.fixture(scope="module")
def default_site():
    """The course as `make run` serves it: sitecore.settings.db, runserver."""
    with live_site("sitecore.settings.db") as url:
        yield url


GRACES_PASSWORD = "a long and unusual passphrase 7"


def signed_up_on_lesson_18(site, user_agent=FIREFOX_LINUX):
    """A browser over real HTTP that signed up as grace on lesson 18's page."""
    browser = HttpBrowser(site, user_agent=user_agent)
    browser.get(reverse("myapp:authentication"))
    browser.post(
        reverse("myapp:authentication-signup"),
        {
            "signup-username": "grace",
            "signup-password1": GRACES_PASSWORD,
            "signup-password2": GRACES_PASSWORD,
        },
    )
    return browser


class TestOnTheDefaultMakeRun:
    def test_sign_up_on_lesson_18_then_see_two_devices_here(self, default_site):
        laptop = signed_up_on_lesson_18(default_site)
        phone = HttpBrowser(default_site, user_agent=CHROME_ANDROID)
        for browser in (laptop, phone):
            browser.get(PAGE)
            reply = browser.post(
                SIGN_IN,
                {"sign-in-username": "grace", "sign-in-password": GRACES_PASSWORD},
            )
            assert reply.status_code == 302
            assert DEMO_COOKIE in browser.cookies
        page = parse(laptop.get(PAGE))
        assert page.text("active-sessions-user") == "grace"
        assert len(listed_ids(page)) == 2
        assert "Chrome on Android" in page.text("active-sessions-table")
        assert laptop.post(END_OTHERS).status_code == 302
        assert parse(phone.get(PAGE)).has_id("active-sessions-sign-in")
        assert len(listed_ids(parse(laptop.get(PAGE)))) == 1


class TestDescribeDevice:
    @pytest.mark.parametrize(
        ("user_agent", "device"),
        [
            (FIREFOX_LINUX, "Firefox on Linux"),
            (CHROME_ANDROID, "Chrome on Android"),
            (PRETEND_USER_AGENT, "Safari on iPhone"),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
                "Edge on Windows",
            ),
            ("curl/8.5.0", "curl"),
            ("", "Unknown device"),
        ],
    )
    def test_names_common_browsers(self, user_agent, device):
        assert describe_device(user_agent) == device


# --- make run ENGINE=active ------------------------------------------------------


@pytest.fixture(scope="module")
def active_site():
    """The course served as `make run ENGINE=active` serves it: migrate, runserver."""
    with live_site("sitecore.settings.active") as url:
        yield url


class TestTheCourseOnThisEngine:
    def test_every_lesson_page_serves(self, active_site):
        visitor = HttpBrowser(active_site, user_agent=FIREFOX_LINUX)
        for lesson in live_lessons():
            reply = visitor.get(lesson.url)
            assert reply.status_code == 200, lesson.url
        stored = parse(visitor.get(PAGE)).text("inspector-stored")
        assert "myapp_activesession row" in stored

    def test_a_signed_in_browser_sees_its_device_and_address(self, active_site):
        """Sign up and in through lesson 18 over real HTTP, then look here."""
        laptop = signed_up_on_lesson_18(active_site)
        reply = laptop.post(
            reverse("myapp:authentication-login"),
            {"login-username": "grace", "login-password": GRACES_PASSWORD},
        )
        assert reply.status_code == 302
        page = parse(laptop.get(PAGE))
        assert page.text("active-sessions-user") == "grace"
        (row,) = page.by_id("active-sessions-table").tbody.find_all("tr")
        this = page.text(row["id"])
        assert "Firefox on Linux" in this
        assert "127.0.0.1" in this
        assert "this device" in this
        assert laptop.cookies["sessionid"] not in page.response.content.decode()
