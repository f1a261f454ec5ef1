"""Lesson 17: fixation, cookie flags, signed cookies and SECRET_KEY rotation."""

import logging
import secrets
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.backends.signed_cookies import (
    SessionStore as SignedCookieStore,
)
from django.contrib.sessions.middleware import SessionMiddleware
from django.contrib.sessions.models import Session
from django.core import signing
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import reverse

from myapp.lessons.security import (
    DEMO_USER_KEY,
    FIXATION_KEY,
    REPLAY_KEY,
    SAMPLE_DATA,
    SIGNED_COOKIE_SALT,
    TAMPER_KEY,
    TAMPER_SALT,
)
from tests.browser import chromium, live_site
from tests.html import parse

PAGE = reverse("myapp:security")
LOGIN = reverse("myapp:security-login")
LOGIN_WITHOUT_CYCLE = reverse("myapp:security-login-without-cycle")
TAMPER = reverse("myapp:security-tamper")
REPLAY = reverse("myapp:security-replay")

OLD_KEY = "old-secret-key-" + "o" * 50
NEW_KEY = "new-secret-key-" + "n" * 50
CORRUPTED = "Session data corrupted"


def session_cookie(client):
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def open_page_twice(client):
    """Open the lesson page as a learner's browser does, and return the second
    response: the first sets only the CSRF cookie, and the second, bringing it
    back, is recorded by the course, which starts the session."""
    first = client.get(PAGE)
    assert settings.SESSION_COOKIE_NAME not in first.cookies
    assert settings.CSRF_COOKIE_NAME in first.cookies
    second = client.get(PAGE)
    assert settings.SESSION_COOKIE_NAME in second.cookies
    return second


def store_class():
    """The SessionStore of the engine the test runs under."""
    return import_module(settings.SESSION_ENGINE).SessionStore


def change_one_character(value, index):
    replacement = "A" if value[index] != "A" else "B"
    return value[:index] + replacement + value[index + 1 :]


def revealed(secret, page, shown=8):
    """The runs of ``shown`` characters of ``secret`` that the page contains,
    other than its first ``shown``: a page may show a key's start, no more."""
    runs = (secret[i : i + shown] for i in range(1, len(secret) - shown + 1))
    return [run for run in runs if run in page]


def corrupted_warnings(caplog):
    return [
        record
        for record in caplog.records
        if record.name == "django.security.SuspiciousSession"
        and record.getMessage() == CORRUPTED
    ]


class TestFixation:
    def test_login_cycles_the_key_and_the_old_key_loads_nothing(
        self, client, server_engine
    ):
        """A new key after login; the old one names no record any more."""
        open_page_twice(client)
        old_key = session_cookie(client)

        response = client.post(LOGIN)
        assert response.status_code == 302
        assert response["Location"] == f"{PAGE}#fixation-result"
        new_key = session_cookie(client)
        assert new_key != old_key
        store = store_class()
        assert store(old_key).load() == {}
        assert not store().exists(old_key)
        assert store(new_key).load()[DEMO_USER_KEY] == "learner"
        assert "course_progress" in store(new_key).load()  # data kept

    def test_page_shows_the_key_before_and_now(self, client, server_engine):
        open_page_twice(client)
        old_key = session_cookie(client)
        client.post(LOGIN)
        page = parse(client.get(PAGE))
        assert page.text("fixation-before") == f"{old_key[:8]}…"
        assert page.text("fixation-now") == f"{session_cookie(client)[:8]}…"
        assert "empty session" in page.text("fixation-old-loads")
        assert page.text("fixation-old-exists") == "False"

    def test_the_old_cookie_gets_a_fresh_session(self, client, server_engine):
        """A browser still sending the planted key is not logged in."""
        open_page_twice(client)
        old_key = session_cookie(client)
        client.post(LOGIN)
        client.cookies[settings.SESSION_COOKIE_NAME] = old_key
        items = parse(client.get(PAGE)).inspector_items()
        assert DEMO_USER_KEY not in items
        assert session_cookie(client) != old_key

    def test_login_without_cycle_keeps_the_key(self, client, server_engine):
        """The vulnerable login: the key from before login is now logged in."""
        open_page_twice(client)
        old_key = session_cookie(client)
        client.post(LOGIN_WITHOUT_CYCLE)
        assert session_cookie(client) == old_key
        assert store_class()(old_key).load()[DEMO_USER_KEY] == "learner"
        assert client.session[FIXATION_KEY]["old_key_exists"] is True

    @pytest.mark.parametrize("login", [LOGIN, LOGIN_WITHOUT_CYCLE])
    def test_signed_cookies_old_value_loads_but_without_the_login(
        self, client, use_settings, db, login
    ):
        """No record to delete: the old cookie still loads what it held, which
        is not the login, with or without cycle_key(). The verdict says a
        planted cookie gains nothing, not that it has the session."""
        use_settings("cookies")
        open_page_twice(client)
        old_value = session_cookie(client)
        client.post(login)
        assert session_cookie(client) != old_value
        old_data = store_class()(old_value).load()
        assert "course_progress" in old_data
        assert DEMO_USER_KEY not in old_data
        verdict = parse(client.get(PAGE)).text("fixation-old-loads")
        assert "still loads keys" in verdict
        assert "without the login: a planted cookie gains nothing" in verdict
        assert "whoever holds the old key has the session" not in verdict

    def test_signed_cookies_old_value_keeps_an_earlier_login(
        self, client, use_settings, db
    ):
        """Log in twice: the value from between the logins holds the first
        login, and nothing revokes it."""
        use_settings("cookies")
        client.get(PAGE)
        client.post(LOGIN)
        between = session_cookie(client)
        client.post(LOGIN)
        assert store_class()(between).load()[DEMO_USER_KEY] == "learner"
        verdict = parse(client.get(PAGE)).text("fixation-old-loads")
        assert "an earlier demo login included" in verdict
        assert "never revoked" in verdict

    def test_server_engine_verdict_without_cycle(self, client, server_engine):
        open_page_twice(client)
        client.post(LOGIN_WITHOUT_CYCLE)
        verdict = parse(client.get(PAGE)).text("fixation-old-loads")
        assert verdict.endswith("whoever holds the old key has the session")

    def test_login_without_cycle_lands_on_the_result(self, client, db):
        response = client.post(LOGIN_WITHOUT_CYCLE)
        assert response["Location"] == f"{PAGE}#fixation-result"

    def test_login_is_post_only(self, client, db):
        """A GET logs nobody in and keeps the key."""
        open_page_twice(client)
        key = session_cookie(client)
        for url in (LOGIN, LOGIN_WITHOUT_CYCLE):
            response = client.get(url)
            assert response.status_code == 405
            assert response["Allow"] == "POST"
        assert session_cookie(client) == key
        session = client.session
        assert DEMO_USER_KEY not in session
        assert FIXATION_KEY not in session


class TestDemoForms:
    def test_every_form_lands_on_its_own_demo(self, client, db):
        """A form's action carries the anchor of its demo, so a page that
        answers the POST itself (a form error) opens there too."""
        page = parse(client.get(PAGE))
        actions = {form["action"] for form in page.select("#demo form")}
        assert actions == {
            f"{LOGIN}#demo-fixation",
            f"{LOGIN_WITHOUT_CYCLE}#demo-fixation",
            f"{TAMPER}#demo-tamper",
            f"{REPLAY}#demo-replay",
        }
        for anchor in ("demo-fixation", "demo-tamper", "demo-replay"):
            assert page.has_id(anchor)

    def test_every_result_anchor_exists_after_its_demo(self, client, db):
        client.post(LOGIN)
        client.post(REPLAY)
        sample = parse(client.get(PAGE)).by_id("id_value").get_text().strip()
        client.post(TAMPER, {"value": sample})
        page = parse(client.get(PAGE))
        for anchor in ("fixation-result", "tamper-result", "replay-result"):
            assert page.has_id(anchor)


class TestCookieFlags:
    def test_set_cookie_header_is_httponly_lax_path_root(self, client, engine):
        """The header as the WSGI handler sends it: HttpOnly, SameSite=Lax,
        Path=/, and no Secure over development http."""
        response = open_page_twice(client)
        header = response.cookies[settings.SESSION_COOKIE_NAME].output(header="")
        attributes = {part.strip().split("=")[0] for part in header.split(";")}
        assert "HttpOnly" in attributes
        assert "SameSite=Lax" in header
        assert "Path=/" in header
        assert "Secure" not in attributes
        assert "Domain" not in attributes

    def test_page_shows_the_running_settings(self, client, db):
        page = parse(client.get(PAGE))
        assert page.text("flag-httponly-value") == "True"
        assert page.text("flag-secure-value") == "False"
        assert page.text("flag-samesite-value") == "'Lax'"
        assert page.text("flag-domain-value") == "None"
        assert page.text("flag-path-value") == "'/'"
        assert page.text("flag-csrf-value") == (
            "HTTPONLY=False SECURE=False SAMESITE='Lax'"
        )

    def test_page_follows_the_settings(self, client, db):
        """Read from settings at each request, not written into the template."""
        with override_settings(
            SESSION_COOKIE_SECURE=True,
            SESSION_COOKIE_SAMESITE="Strict",
            SESSION_COOKIE_DOMAIN="example.com",
        ):
            page = parse(client.get(PAGE, secure=True))
        assert page.text("flag-secure-value") == "True"
        assert page.text("flag-samesite-value") == "'Strict'"
        assert page.text("flag-domain-value") == "'example.com'"

    def test_page_script_box_says_whether_the_browser_holds_a_session_cookie(
        self, client, engine
    ):
        """Script cannot tell a hidden cookie from a missing one, so the page
        says which: none on a first view, one from the second view on."""
        held = "data-session-cookie-held"
        first = parse(client.get(PAGE)).by_id("document-cookie")
        assert first[held] == "false"
        second = parse(client.get(PAGE)).by_id("document-cookie")
        assert second[held] == "true"
        assert settings.SESSION_COOKIE_NAME in client.cookies

    def test_page_script_box_names_the_cookie_and_loads_the_script(self, client, db):
        """The box security.js fills, and what it says without JavaScript."""
        page = parse(client.get(PAGE))
        box = page.by_id("document-cookie")
        assert box["data-session-cookie-name"] == settings.SESSION_COOKIE_NAME
        assert "JavaScript is off" in page.text("document-cookie")
        scripts = [tag["src"] for tag in page.select("script[src]")]
        assert "/static/js/security.js" in scripts  # run by TestInABrowser


class TestSignedCookies:
    def test_your_session_decodes_without_any_key(self, client, db):
        """Under the db engine: a signed copy of your session, decoded."""
        client.get("/ssession")
        page = parse(client.get(PAGE))
        decoded = page.text("own-cookie-decoded")
        assert '"sname":"irfan"' in decoded
        assert "runs a server engine" in page.text("demo")

    def test_your_real_cookie_is_decoded_under_signed_cookies(
        self, client, use_settings, db
    ):
        use_settings("cookies")
        client.get("/ssession")
        page = parse(client.get(PAGE))
        assert "as your browser sent it" in page.text("demo")
        assert '"sname":"irfan"' in page.text("own-cookie-decoded")

    @pytest.mark.parametrize("cookie", ["garbage", "a:b", "x" * 5000])
    def test_a_broken_cookie_shows_a_signed_copy_instead(
        self, client, use_settings, db, cookie
    ):
        use_settings("cookies")
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
        response = client.get(PAGE)
        assert response.status_code == 200
        assert "as the signed_cookies engine would put it" in parse(response).text()

    def test_sample_is_signed_for_the_demo_only(self, client, db):
        """Signed as the engine signs a cookie, but with the demo's salt: the
        engine does not load it, so the page holds no usable session cookie."""
        page = parse(client.get(PAGE))
        sample = page.by_id("id_value").get_text().strip()
        assert signing.loads(sample, salt=TAMPER_SALT) == SAMPLE_DATA
        with pytest.raises(signing.BadSignature):
            signing.loads(sample, salt=SIGNED_COOKIE_SALT)
        assert SignedCookieStore(sample).load() == {}

    def test_sample_as_a_cookie_gives_an_empty_session(self, client, use_settings, db):
        use_settings("cookies")
        sample = parse(client.get(PAGE)).by_id("id_value").get_text().strip()
        client.cookies[settings.SESSION_COOKIE_NAME] = sample
        items = parse(client.get(PAGE)).inspector_items()
        assert not {"user", "is_staff"} & set(items)

    def test_unchanged_sample_is_accepted(self, client, db):
        page = parse(client.get(PAGE))
        sample = page.by_id("id_value").get_text().strip()
        response = client.post(TAMPER, {"value": sample})
        assert response.status_code == 302
        assert response["Location"] == f"{PAGE}#tamper-result"
        assert client.session[TAMPER_KEY] == {
            "refused": None,
            "loaded_keys": sorted(SAMPLE_DATA),
        }
        assert "Accepted" in parse(client.get(PAGE)).text("tamper-result")

    @pytest.mark.parametrize("part", ["payload", "timestamp", "signature"])
    def test_one_changed_character_is_refused(self, client, db, caplog, part):
        """Refused with BadSignature, an empty session, and no log line."""
        page = parse(client.get(PAGE))
        sample = page.by_id("id_value").get_text().strip()
        payload, timestamp, _ = sample.split(":")
        index = {
            "payload": 3,
            "timestamp": len(payload) + 2,
            "signature": len(payload) + len(timestamp) + 5,
        }[part]
        response = client.post(TAMPER, {"value": change_one_character(sample, index)})
        assert response.status_code == 302
        result = client.session[TAMPER_KEY]
        assert result["refused"].startswith("BadSignature")
        assert result["loaded_keys"] == []
        assert "Refused" in parse(client.get(PAGE)).text("tamper-result")
        assert not corrupted_warnings(caplog)

    @pytest.mark.parametrize(
        "value",
        ["", "   ", "x" * 4097, "a space:x:y", "é:x:y", "line\nbreak", "a;b:x:y"],
        ids=[
            "empty",
            "spaces",
            "too-long",
            "space",
            "non-ascii",
            "newline",
            "semicolon",
        ],
    )
    def test_bad_input_gets_a_form_error_and_changes_nothing(self, client, db, value):
        client.get(PAGE)
        before = dict(client.session.items())
        response = client.post(TAMPER, {"value": value})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert dict(client.session.items()) == before

    def test_tampered_real_cookie_gives_a_fresh_session(
        self, client, use_settings, db, caplog
    ):
        """Under signed_cookies: no 500, the data is gone, and the engine logs
        nothing (load() catches the BadSignature itself)."""
        use_settings("cookies")
        client.get("/ssession")
        value = session_cookie(client)
        tampered = change_one_character(value, 5)
        client.cookies[settings.SESSION_COOKIE_NAME] = tampered
        response = client.get("/gsession")
        assert response.status_code == 200
        assert "No session values yet" in parse(response).text("message")
        # The engine answered with a new cookie, for a session without the data.
        assert session_cookie(client) != tampered
        assert "sname" not in store_class()(session_cookie(client)).load()
        assert not corrupted_warnings(caplog)

    def test_django_sends_a_cookie_too_big_for_browsers(self, use_settings, db):
        """No size check anywhere: a session over 4096 bytes goes out as is,
        for the browser to drop."""
        use_settings("cookies")

        def view(request):
            # Random text: compression cannot bring it under the limit.
            request.session["big"] = secrets.token_urlsafe(4000)
            return HttpResponse()

        response = SessionMiddleware(view)(RequestFactory().get("/"))
        assert response.status_code == 200
        assert len(response.cookies[settings.SESSION_COOKIE_NAME].value) > 4096

    def test_corrupted_server_record_is_logged(self, client, use_settings, db, caplog):
        """The "Session data corrupted" warning comes from decode(), used by
        the server engines: here a db row whose signature no longer matches."""
        use_settings("db")
        client.get("/ssession")
        row = Session.objects.get(session_key=session_cookie(client))
        row.session_data = change_one_character(row.session_data, 3)
        row.save()
        with caplog.at_level(logging.WARNING):
            response = client.get("/gsession")
        assert response.status_code == 200
        assert "No session values yet" in parse(response).text("message")
        assert len(corrupted_warnings(caplog)) == 1


class TestReplay:
    def test_demo_replays_the_signed_copy_but_not_the_db_one(self, client, db):
        response = client.post(REPLAY)
        assert response.status_code == 302
        assert response["Location"] == f"{PAGE}#replay-result"
        result = client.session[REPLAY_KEY]
        assert result["signed_cookies"]["still_valid"] is True
        assert result["signed_cookies"]["loads"] == '{"security_user": "learner"}'
        assert result["db"]["still_valid"] is False
        assert result["db"]["loads"] == "{}"
        page = parse(client.get(PAGE))
        assert "still logged in" in page.text("replay-signed_cookies")
        assert "record is gone" in page.text("replay-db")

    def test_demo_leaves_no_db_row_behind(self, client, use_settings, db):
        use_settings("cookies")
        client.post(REPLAY)
        assert not Session.objects.exists()

    def test_old_signed_cookie_still_works_after_logout(self, client, use_settings, db):
        """Lesson 5's login and logout under signed_cookies: a copy of the
        cookie taken before logout logs straight back in."""
        use_settings("cookies")
        client.post(reverse("myapp:login"), {"username": "Ada"})
        copy = session_cookie(client)
        client.post(reverse("myapp:logout"))
        home = reverse("myapp:home")
        assert parse(client.get(home)).text("welcome") == "Welcome, Guest!"
        client.cookies[settings.SESSION_COOKIE_NAME] = copy
        assert parse(client.get(home)).text("welcome") == "Welcome, Ada!"

    def test_old_server_key_does_not_work_after_logout(self, client, server_engine):
        client.post(reverse("myapp:login"), {"username": "Ada"})
        copy = session_cookie(client)
        client.post(reverse("myapp:logout"))
        client.cookies[settings.SESSION_COOKIE_NAME] = copy
        home = reverse("myapp:home")
        assert parse(client.get(home)).text("welcome") == "Welcome, Guest!"


class TestRotation:
    def test_page_table_loads_only_with_the_fallback(self, client, db):
        rows = parse(client.get(PAGE)).select("#rotation-result tbody tr")
        results = [" ".join(row.td.get_text(" ").split()) for row in rows]
        assert len(results) == 3
        assert results[0].startswith("loads")
        assert results[1].startswith("refused")
        assert "BadSignature" in results[1]
        assert results[2].startswith("loads")
        assert '"user": "learner"' in results[2]

    @pytest.mark.parametrize("engine_file", ["db", "file", "cookies"])
    def test_session_signed_with_the_old_key_loads_with_the_fallback(
        self, client, use_settings, db, caplog, engine_file
    ):
        """Engines that sign what they store: a session written under the old
        key loads while it is a fallback, and is lost without it."""
        use_settings(engine_file)
        with override_settings(SECRET_KEY=OLD_KEY):
            client.get("/ssession")
        with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
            page = parse(client.get("/gsession"))
            assert page.text("student-name") == "irfan"
        # Without the fallback (and this comes last: signed_cookies answers a
        # refused cookie with a new, empty one).
        with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
            page = parse(client.get("/gsession"))
            assert "No session values yet" in page.text("message")
        if engine_file != "cookies":  # only decode() logs; signed_cookies is silent
            assert corrupted_warnings(caplog)

    @pytest.mark.parametrize("engine_file", ["cache", "cached_db"])
    def test_cached_data_is_unsigned(self, client, use_settings, db, engine_file):
        """A cache entry is the dictionary itself: a new key does not touch it
        (the auth hash inside is another matter, lesson 18)."""
        use_settings(engine_file)
        with override_settings(SECRET_KEY=OLD_KEY):
            client.get("/ssession")
        with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
            page = parse(client.get("/gsession"))
            assert page.text("student-name") == "irfan"

    def test_new_writes_are_signed_with_the_new_key(self, client, use_settings, db):
        """During the rotation a saved session moves to the new key, so it
        survives the fallback's removal."""
        use_settings("db")
        with override_settings(SECRET_KEY=OLD_KEY):
            client.get("/ssession")
        with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]):
            client.get(PAGE)  # the first opening writes progress: a save
        with override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[]):
            session = DBStore(session_cookie(client))
            assert session["sname"] == "irfan"


class TestCheckDeploy:
    def test_page_lists_what_check_deploy_reports_here(self, client, db):
        """The running (development) settings: cookies not Secure, no HSTS,
        no https redirect."""
        warnings = parse(client.get(PAGE)).text("deploy-warnings")
        for check_id in ("W012", "W016", "W004", "W008"):
            assert f"security.{check_id}" in warnings
        assert "SESSION_COOKIE_SECURE is not set to True" in warnings

    def test_each_setting_fixed_leaves_the_list(self, client, db):
        with override_settings(SESSION_COOKIE_SECURE=True):
            warnings = parse(client.get(PAGE)).text("deploy-warnings")
        assert "security.W012" not in warnings
        assert "security.W016" in warnings

    def test_production_https_settings_leave_no_warning(self, client, db):
        https = {
            "SESSION_COOKIE_SECURE": True,
            "CSRF_COOKIE_SECURE": True,
            "SECURE_SSL_REDIRECT": True,
            "SECURE_HSTS_SECONDS": 31536000,
            "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
            "SECURE_HSTS_PRELOAD": True,
        }
        with override_settings(**https):
            warnings = parse(client.get(PAGE, secure=True)).text("deploy-warnings")
        assert warnings.startswith("No warning")


class TestNoUsableCookieInThePages:
    """Page script can read the whole page: what HttpOnly hides from it must
    not be written into the HTML, whatever the engine and the demo."""

    def test_after_every_demo_only_a_key_start_is_shown(self, client, engine):
        User.objects.create_user("ada", password="correct-horse-42")
        client.post(
            reverse("myapp:authentication-login"),
            {"login-username": "ada", "login-password": "correct-horse-42"},
        )
        client.post(LOGIN)
        client.post(REPLAY)
        sample = parse(client.get(PAGE)).by_id("id_value").get_text().strip()
        client.post(TAMPER, {"value": sample})
        cookie = session_cookie(client)
        # A server key is the secret; a signed cookie's secret is its signature.
        secret = cookie.rpartition(":")[2]
        for url in (PAGE, reverse("myapp:authentication")):
            html = client.get(url).content.decode()
            assert cookie not in html
            assert not revealed(secret, html)

    def test_a_real_cookie_sent_to_the_tamper_demo_is_not_echoed(
        self, client, use_settings, db
    ):
        """Refused for its salt, and the refusal quotes the signature: only
        its start reaches the page (the copy still works, lesson 17 says)."""
        use_settings("cookies")
        client.get("/ssession")
        real = session_cookie(client)
        client.post(TAMPER, {"value": real})
        assert client.session[TAMPER_KEY]["refused"].startswith("BadSignature")
        html = client.get(PAGE).content.decode()
        assert not revealed(real.rpartition(":")[2], html)

    def test_the_signed_copy_of_a_server_session_is_cut_short(self, client, db):
        """Under a server engine the page signs your data as the signed_cookies
        engine would: the signature it shows is too short to use."""
        client.get("/ssession")
        page = parse(client.get(PAGE))
        signed = (
            f"{page.text('own-cookie-payload')}:{page.text('own-cookie-timestamp')}"
        )
        signature = signing.TimestampSigner(salt=SIGNED_COOKIE_SALT).signature(signed)
        assert page.text("own-cookie-signature") == f"{signature[:8]}…"
        assert not revealed(signature, client.get(PAGE).content.decode())


@pytest.fixture(scope="module")
def browser_and_site():
    with live_site() as site, chromium() as browser:
        yield browser, site


@pytest.mark.browser
class TestInABrowser:
    def test_page_script_reads_csrftoken_but_not_the_session_cookie(
        self, browser_and_site
    ):
        """security.js fills the box with document.cookie and says why
        sessionid is missing from it. The second visit: the browser brought
        back the CSRF cookie, so the course started a session."""
        browser, site = browser_and_site
        context = browser.new_context()
        page = context.new_page()
        page.goto(site + PAGE)
        page.reload()
        shown = page.locator("#document-cookie").inner_text()
        assert shown.startswith("csrftoken=")
        assert settings.SESSION_COOKIE_NAME not in shown
        names = {cookie["name"] for cookie in context.cookies()}
        assert settings.SESSION_COOKIE_NAME in names  # the browser has it
        verdict = page.locator("#document-cookie-verdict").inner_text()
        assert verdict == "sessionid is not there: HttpOnly hides it from script."
        context.close()

    def test_on_a_first_visit_the_verdict_says_there_is_no_session_yet(
        self, browser_and_site
    ):
        """A first visit stores nothing: the browser holds csrftoken only, and
        the verdict does not blame HttpOnly for a cookie that does not exist."""
        browser, site = browser_and_site
        context = browser.new_context()
        page = context.new_page()
        page.goto(site + PAGE)
        names = {cookie["name"] for cookie in context.cookies()}
        assert names == {settings.CSRF_COOKIE_NAME}
        verdict = page.locator("#document-cookie-verdict").inner_text()
        assert verdict.startswith(
            "sessionid is not there: your browser has no session cookie yet."
        )
        assert "HttpOnly" not in verdict
        context.close()

    def test_without_javascript_the_page_explains_and_the_demos_work(
        self, browser_and_site
    ):
        browser, site = browser_and_site
        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        page.goto(site + PAGE)
        assert "JavaScript is off" in page.locator("#document-cookie").inner_text()
        with page.expect_navigation():  # read the result page, not this one
            page.get_by_role("button", name="Log in with cycle_key()").click()
        assert (
            "the old key is worthless"
            in page.locator("#fixation-old-loads").inner_text()
        )
        assert page.url == f"{site}{PAGE}#fixation-result"
        context.close()

    def test_nothing_overflows_a_phone_screen(self, browser_and_site):
        browser, site = browser_and_site
        context = browser.new_context(viewport={"width": 360, "height": 800})
        page = context.new_page()
        page.goto(site + PAGE)
        # Each result page is measured once it has loaded, not the one before.
        with page.expect_navigation():
            page.get_by_role("button", name="Log out and replay").click()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.get_by_label("Signed session value").fill("x:y:z")
        with page.expect_navigation():
            page.get_by_role("button", name="Send it back").click()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        context.close()
