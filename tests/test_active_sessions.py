"""Lesson 19: the active-sessions engine keeps Django's session contract,
records who, from where and when, and its page ends only your own sessions."""

import importlib
import logging
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore as DjangoDBStore
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from myapp.active_sessions import ACTIVITY_RESOLUTION, SessionStore
from myapp.course import live_lessons
from myapp.lessons.active_sessions import (
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


def listed_ids(page):
    rows = page.by_id("active-sessions-table").tbody.find_all("tr")
    return [row["id"].removeprefix("session-") for row in rows]


class TestPageWithAnotherEngine:
    def test_says_which_engine_is_needed(self, client, db, ada):
        """On the default db engine the page renders and says how to switch."""
        client.force_login(ada)
        response = client.get(PAGE)
        assert response.status_code == 200
        note = parse(response).text("active-sessions-engine-note")
        assert "make run ENGINE=active" in note
        assert "running the db engine" in note

    @pytest.mark.parametrize("url", [END, END_OTHERS, PRETEND])
    def test_actions_change_nothing(self, client, db, ada, url):
        client.force_login(ada)
        other = Client()
        other.force_login(ada)
        response = client.post(url, {"session": "whatever"})
        assert response.status_code == 302
        assert other.get(PAGE).wsgi_request.user == ada  # still signed in


class TestPage:
    def test_an_anonymous_visitor_is_asked_to_sign_in(self, active):
        page = parse(browser().get(PAGE))
        assert "Sign in first" in page.text("active-sessions-sign-in")
        assert not page.has_id("active-sessions-table")

    def test_signing_in_on_lesson_18_lists_this_browser(self, active, ada):
        """The learner's path: the authentication lesson's login form, then here."""
        laptop = browser()
        response = laptop.post(
            reverse("myapp:authentication-login"),
            {"login-username": "ada", "login-password": "correct horse battery"},
        )
        assert response.status_code == 302
        page = parse(laptop.get(PAGE))
        assert page.text("active-sessions-user") == "ada"
        assert listed_ids(page) == [public_id(key_of(laptop))]
        assert "Firefox on Linux" in page.text("active-sessions-table")

    def test_the_sign_in_prompt_links_to_lesson_18(self, active):
        page = parse(browser().get(PAGE))
        assert reverse("myapp:authentication") in page.links()

    def test_lists_only_your_sessions_and_marks_this_one(self, active, ada, bob):
        laptop = browser(ada)
        phone = browser(ada, user_agent=CHROME_ANDROID, ip_address="198.51.100.4")
        bobs = browser(bob)
        page = parse(laptop.get(PAGE))
        assert sorted(listed_ids(page)) == sorted(
            [public_id(key_of(laptop)), public_id(key_of(phone))]
        )
        assert public_id(key_of(bobs)) not in listed_ids(page)
        this = page.text(f"session-{public_id(key_of(laptop))}")
        assert "Firefox on Linux" in this
        assert "this device" in this
        other = page.text(f"session-{public_id(key_of(phone))}")
        assert "Chrome on Android" in other
        assert "198.51.100.4" in other
        assert "this device" not in other

    def test_no_session_key_is_in_the_html_or_the_template_context(self, active, ada):
        """Not even in the context, which the debug toolbar's template panel shows."""
        laptop = browser(ada)
        phone = browser(ada)
        response = laptop.get(PAGE)
        html = response.content.decode()
        listed = repr(response.context["sessions"])
        for key in (key_of(laptop), key_of(phone)):
            assert key not in html
            assert key not in listed

    def test_the_full_user_agent_is_one_click_away(self, active, ada):
        laptop = browser(ada)
        page = parse(laptop.get(PAGE))
        assert page.text(f"session-{public_id(key_of(laptop))}").startswith(
            f"Firefox on Linux {FIREFOX_LINUX}"
        )

    def test_ending_another_session_signs_that_browser_out(self, active, ada):
        laptop = browser(ada)
        phone = browser(ada, user_agent=CHROME_ANDROID)
        phone_key = key_of(phone)
        response = laptop.post(END, {"session": public_id(phone_key)})
        assert response.status_code == 302
        assert not ActiveSession.objects.filter(pk=phone_key).exists()
        assert "Sign in first" in parse(phone.get(PAGE)).text()
        page = parse(laptop.get(PAGE))  # the laptop is still signed in
        assert page.text("active-sessions-notice") == "Ended 1 session."
        assert listed_ids(page) == [public_id(key_of(laptop))]

    def test_someone_elses_session_cannot_be_ended(self, active, ada, bob):
        """Even with the right id for it: a form error, and bob stays."""
        laptop = browser(ada)
        bobs = browser(bob)
        response = laptop.post(END, {"session": public_id(key_of(bobs))})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert ActiveSession.objects.filter(pk=key_of(bobs)).exists()
        assert bobs.get(PAGE).wsgi_request.user == bob

    def test_this_session_is_not_ended_by_the_end_button(self, active, ada):
        laptop = browser(ada)
        response = laptop.post(END, {"session": public_id(key_of(laptop))})
        assert parse(response).field_errors()
        assert laptop.get(PAGE).wsgi_request.user == ada

    @pytest.mark.parametrize(
        "value", ["", "x" * 100, "<script>alert(1)</script>", "../../etc/passwd"]
    )
    def test_bad_ids_get_a_form_error_and_end_nothing(self, active, ada, value):
        laptop = browser(ada)
        phone = browser(ada)
        response = laptop.post(END, {"session": value})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert b"<script>alert(1)</script>" not in response.content
        assert ActiveSession.objects.filter(user=ada).count() == 2
        assert phone.get(PAGE).wsgi_request.user == ada

    def test_sign_out_everywhere_else_keeps_only_this_session(self, active, ada, bob):
        laptop = browser(ada)
        phones = [browser(ada), browser(ada)]
        bobs = browser(bob)
        laptop.post(END_OTHERS)
        assert list(
            ActiveSession.objects.filter(user=ada).values_list("pk", flat=True)
        ) == [key_of(laptop)]
        for phone in phones:
            assert not phone.get(PAGE).wsgi_request.user.is_authenticated
        assert bobs.get(PAGE).wsgi_request.user == bob
        page = parse(laptop.get(PAGE))
        assert page.text("active-sessions-notice") == "Ended 2 other sessions."

    def test_pretend_device_signs_the_same_user_in_again(self, active, ada):
        laptop = browser(ada)
        laptop.post(PRETEND)
        phone = ActiveSession.objects.exclude(pk=key_of(laptop)).get()
        assert (phone.user, phone.user_agent, phone.ip_address) == (
            ada,
            PRETEND_USER_AGENT,
            PRETEND_IP_ADDRESS,
        )
        # A real signed-in session: a browser holding its key is ada.
        holder = Client()
        holder.cookies[settings.SESSION_COOKIE_NAME] = phone.session_key
        assert holder.get(PAGE).wsgi_request.user == ada

    def test_pretend_device_stops_at_the_limit(self, active, ada):
        laptop = browser(ada)
        for _ in range(MAX_SESSIONS_PER_USER + 2):
            laptop.post(PRETEND)
        assert ActiveSession.objects.filter(user=ada).count() == MAX_SESSIONS_PER_USER
        assert "end some first" in parse(laptop.get(PAGE)).text(
            "active-sessions-notice"
        )

    def test_a_password_change_marks_other_sessions_signed_out(self, active, ada):
        """Their rows stay until their next request, when Django flushes them."""
        laptop = browser(ada)
        phone = browser(ada)
        ada.set_password("a brand new passphrase")
        ada.save()
        laptop.force_login(ada)  # signed in again, with the new password
        page = parse(laptop.get(PAGE))
        phone_row = f"session-{public_id(key_of(phone))}"
        assert "signed out: password changed" in page.text(phone_row)
        assert "signed out" not in page.text(f"session-{public_id(key_of(laptop))}")
        assert not phone.get(PAGE).wsgi_request.user.is_authenticated
        assert (
            not ActiveSession.objects.filter(user=ada)
            .exclude(pk=key_of(laptop))
            .exists()
        )

    @pytest.mark.parametrize("url", [END, END_OTHERS, PRETEND])
    def test_actions_are_post_only(self, active, ada, url):
        assert browser(ada).get(url).status_code == 405

    @pytest.mark.parametrize("url", [END, END_OTHERS, PRETEND])
    def test_actions_need_a_csrf_token(self, active, ada, url):
        laptop = Client(enforce_csrf_checks=True)
        laptop.force_login(ada)
        phone = browser(ada)
        assert laptop.post(url, {"session": public_id(key_of(phone))}).status_code == (
            403
        )
        assert ActiveSession.objects.filter(user=ada).count() == 2


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
        laptop = HttpBrowser(active_site, user_agent=FIREFOX_LINUX)
        laptop.get(reverse("myapp:authentication"))
        password = "a long and unusual passphrase 7"
        laptop.post(
            reverse("myapp:authentication-signup"),
            {
                "signup-username": "grace",
                "signup-password1": password,
                "signup-password2": password,
            },
        )
        reply = laptop.post(
            reverse("myapp:authentication-login"),
            {"login-username": "grace", "login-password": password},
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
