"""Lesson 26: sessions from JavaScript: JSON views, the CSRF header, SameSite.

The client tests send what fetch() sends (a JSON body, an X-CSRFToken header);
the browser tests (marked browser) prove SameSite in a real Chromium, with
localhost and 127.0.0.1 as two sites of one server.
"""

import json
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from myapp.lessons.javascript_clients import NOTES_KEY
from tests.browser import CHROMIUM_ARGS, chromium, chromium_executable
from tests.html import parse

PAGE = reverse("myapp:javascript-clients")
NOTES = reverse("myapp:javascript-clients-notes")
ADD = reverse("myapp:javascript-clients-add")
CLEAR = reverse("myapp:javascript-clients-clear")
COOKIES = reverse("myapp:javascript-clients-cookies")
ECHO = reverse("myapp:javascript-clients-echo")
ECHO_JSON = reverse("myapp:javascript-clients-echo-json")


@pytest.fixture
def csrf_client(db):
    """A client that checks CSRF as a browser's server would."""
    return Client(enforce_csrf_checks=True)


def token_of(client):
    """Open the page as a browser would; return the csrftoken cookie's value."""
    client.get(PAGE)
    return client.cookies["csrftoken"].value


def post_json(client, body, token=None, path=ADD):
    """POST as fetch() does: a JSON body, the token in X-CSRFToken."""
    headers = {"X-CSRFToken": token} if token else {}
    return client.post(path, body, content_type="application/json", headers=headers)


class TestNotes:
    def test_a_new_visitor_gets_an_empty_list_and_no_cookie(self, client, engine):
        """GET notes/ reads the session: JSON with no notes, nothing saved."""
        response = client.get(NOTES)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content) == {"notes": []}
        assert "sessionid" not in response.cookies
        assert response["Vary"] == "Cookie"

    def test_the_notes_come_back_from_the_session(self, client, engine):
        """What earlier requests stored, a later GET returns, in order."""
        client.post(ADD, {"note": "first"})
        client.post(ADD, {"note": "second"})
        assert json.loads(client.get(NOTES).content) == {"notes": ["first", "second"]}

    def test_a_post_is_refused(self, client, db):
        """notes/ only reads: a note POSTed there is refused, not stored."""
        client.post(ADD, {"note": "first"})
        response = post_json(client, {"note": "second"}, path=NOTES)
        assert response.status_code == 405
        assert response["Allow"] == "GET"
        assert json.loads(client.get(NOTES).content) == {"notes": ["first"]}


class TestOutOfRangePort:
    @pytest.mark.parametrize("host", ["localhost:99999", "127.0.0.1:65536"])
    def test_a_host_with_no_real_port_gets_no_other_origin(self, client, db, host):
        """ALLOWED_HOSTS checks the name, not the port: the page and the echo
        answer normally, and no origin is allowed for a port that cannot be."""
        assert client.get(PAGE, headers={"host": host}).status_code == 200
        response = client.get(
            ECHO_JSON, headers={"host": host, "origin": "http://localhost:99999"}
        )
        assert response.status_code == 200
        assert not response.has_header("Access-Control-Allow-Origin")


class TestAddNote:
    def test_json_with_the_csrf_header_adds_a_note(self, csrf_client, engine):
        """201, the new list in JSON, and the note kept in the session."""
        token = token_of(csrf_client)
        response = post_json(csrf_client, {"note": "buy milk"}, token)
        assert response.status_code == 201
        assert json.loads(response.content) == {"notes": ["buy milk"]}
        assert "sessionid" in response.cookies
        response = post_json(csrf_client, {"note": "call Ada"}, token)
        assert json.loads(csrf_client.get(NOTES).content) == {
            "notes": ["buy milk", "call Ada"]
        }

    def test_without_the_csrf_header_a_json_403(self, csrf_client, engine):
        """No token: Django's CSRF check refuses, in JSON, and nothing is kept."""
        token_of(csrf_client)
        response = post_json(csrf_client, {"note": "sneaky"})
        assert response.status_code == 403
        assert response["Content-Type"] == "application/json"
        error = json.loads(response.content)["error"]
        assert error == "CSRF check failed: CSRF token missing."
        assert json.loads(csrf_client.get(NOTES).content) == {"notes": []}

    def test_json_in_utf_16_is_read_too(self, csrf_client, db):
        """json.loads() detects UTF-16 and UTF-32 in bytes, as the page says."""
        token = token_of(csrf_client)
        body = json.dumps({"note": "tea"}).encode("utf-16")
        response = post_json(csrf_client, body, token)
        assert response.status_code == 201
        assert json.loads(response.content) == {"notes": ["tea"]}

    def test_a_wrong_token_is_a_json_403(self, csrf_client, db):
        token_of(csrf_client)
        response = post_json(csrf_client, {"note": "x"}, "A" * 32)
        assert response.status_code == 403
        assert json.loads(response.content)["error"].startswith("CSRF check failed")

    @pytest.mark.parametrize(
        ("body", "error"),
        [
            ("{note: not json", "The body is not valid JSON."),
            (b"\xff\xfe\x00garbage", "The body is not valid JSON."),
            ("   ", "The body is not valid JSON."),
            ("[" * 100_000, "The body is not valid JSON."),
            ('{"note": ' * 5_000, "The body is not valid JSON."),
            ('{"note": 42}', 'Send an object with a string: {"note": "…"}.'),
            ('["a list"]', 'Send an object with a string: {"note": "…"}.'),
            ('{"text": "wrong key"}', 'Send an object with a string: {"note": "…"}.'),
            ('{"note": ["a", "b"]}', 'Send an object with a string: {"note": "…"}.'),
            ('{"note": "   "}', "This field is required."),
            (
                json.dumps({"note": "x" * 81}),
                "Ensure this value has at most 80 characters (it has 81).",
            ),
        ],
    )
    def test_bad_input_is_a_json_400(self, csrf_client, db, body, error):
        """Never a 500: each mistake gets a 400 saying what was wrong."""
        token = token_of(csrf_client)
        response = post_json(csrf_client, body, token)
        assert response.status_code == 400
        assert json.loads(response.content) == {"error": error}
        assert NOTES_KEY not in csrf_client.session

    def test_a_body_over_the_upload_limit_is_a_json_400(
        self, csrf_client, db, settings
    ):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
        token = token_of(csrf_client)
        response = post_json(csrf_client, {"note": "y" * 200}, token)
        assert response.status_code == 400
        assert json.loads(response.content) == {"error": "The body is too large."}

    def test_the_sixth_note_is_refused(self, csrf_client, db):
        token = token_of(csrf_client)
        for number in range(5):
            assert (
                post_json(csrf_client, {"note": f"n{number}"}, token).status_code == 201
            )
        response = post_json(csrf_client, {"note": "one too many"}, token)
        assert response.status_code == 400
        assert json.loads(response.content) == {
            "error": "At most 5 notes: clear them first."
        }
        assert len(csrf_client.session[NOTES_KEY]) == 5

    def test_the_token_rendered_in_the_page_works_when_the_cookie_is_httponly(
        self, csrf_client, db, settings
    ):
        """CSRF_COOKIE_HTTPONLY: script cannot read the cookie, but the form's
        hidden field carries a token the header accepts."""
        settings.CSRF_COOKIE_HTTPONLY = True
        page = parse(csrf_client.get(PAGE))
        assert csrf_client.cookies["csrftoken"]["httponly"] is True
        field = page.by_id("notes-form").find(
            "input", attrs={"name": "csrfmiddlewaretoken"}
        )
        response = post_json(csrf_client, {"note": "from the field"}, field["value"])
        assert response.status_code == 201

    def test_the_form_fallback_adds_the_note_and_returns_to_the_demo(
        self, csrf_client, engine
    ):
        """Without JavaScript: a plain form POST, then a redirect to #notes."""
        token = token_of(csrf_client)
        response = csrf_client.post(
            ADD, {"note": "from a form", "csrfmiddlewaretoken": token}
        )
        assert response.status_code == 302
        assert response["Location"] == PAGE + "#notes"
        page = parse(csrf_client.get(PAGE))
        assert page.text("notes-list") == "from a form"
        assert json.loads(page.raw_text("notes-json")) == {"notes": ["from a form"]}

    def test_a_bad_form_post_shows_the_page_with_the_error(self, csrf_client, db):
        """An empty note: the lesson page again, a 400, the form's error shown."""
        token = token_of(csrf_client)
        response = csrf_client.post(ADD, {"note": "", "csrfmiddlewaretoken": token})
        assert response.status_code == 400
        page = parse(response)
        assert page.field_errors() == ["This field is required."]
        assert page.has_id("notes-form")

    def test_a_form_without_its_token_gets_the_html_403_page(self, csrf_client, db):
        token_of(csrf_client)
        response = csrf_client.post(ADD, {"note": "no token"})
        assert response.status_code == 403
        assert response["Content-Type"].startswith("text/html")


class TestClearNotes:
    def test_json_clear_empties_the_notes(self, csrf_client, engine):
        token = token_of(csrf_client)
        post_json(csrf_client, {"note": "a"}, token)
        response = post_json(csrf_client, {}, token, path=CLEAR)
        assert json.loads(response.content) == {"notes": []}
        assert json.loads(csrf_client.get(NOTES).content) == {"notes": []}

    def test_the_form_clear_redirects_to_the_notes(self, client, db):
        client.post(ADD, {"note": "a"})
        assert client.session[NOTES_KEY] == ["a"]
        response = client.post(CLEAR)
        assert response["Location"] == PAGE + "#notes"
        assert NOTES_KEY not in client.session


class TestSetDemoCookies:
    def test_three_cookies_one_per_samesite_value(self, client, db):
        """Lax, Strict, and None with Secure; all HttpOnly, for an hour."""
        response = client.post(COOKIES)
        assert response["Location"] == PAGE + "#samesite"
        expected = {
            "demo_lax": ("Lax", ""),
            "demo_strict": ("Strict", ""),
            "demo_none": ("None", True),
        }
        for name, (samesite, secure) in expected.items():
            cookie = response.cookies[name]
            assert cookie["samesite"] == samesite
            assert cookie["secure"] == secure
            assert cookie["httponly"] is True
            assert cookie["max-age"] == 3600

    def test_a_get_sets_nothing(self, client, db):
        response = client.get(COOKIES)
        assert response.status_code == 405
        assert "demo_lax" not in response.cookies


class TestEcho:
    def test_the_echo_page_lists_what_arrived(self, client, db):
        client.cookies["demo_lax"] = "lax"
        client.cookies["demo_none"] = "none"
        page = parse(client.get(ECHO, headers={"Sec-Fetch-Site": "cross-site"}))
        assert page.text("arrived-demo_lax") == "arrived"
        assert page.text("arrived-demo_strict") == "not sent"
        assert page.text("arrived-demo_none") == "arrived"
        assert page.text("fetch-site") == "Sec-Fetch-Site: cross-site"
        assert PAGE + "#samesite" in page.links()

    def test_the_json_echo_reports_the_same(self, client, db):
        client.cookies["demo_strict"] = "strict"
        data = json.loads(client.get(ECHO_JSON).content)
        assert data == {
            "arrived": {
                "demo_lax": False,
                "demo_strict": True,
                "demo_none": False,
                "sessionid": False,
            },
            "fetch_site": "not sent",
        }


class TestEchoCors:
    @pytest.mark.parametrize(
        ("host", "origin"),
        [
            ("127.0.0.1:8000", "http://localhost:8000"),
            ("localhost:8000", "http://127.0.0.1:8000"),
        ],
    )
    def test_the_other_local_name_may_read_it_with_credentials(
        self, client, db, host, origin
    ):
        """That one origin, named exactly, never *; and Vary: Origin."""
        response = client.get(ECHO_JSON, headers={"Origin": origin}, HTTP_HOST=host)
        assert response["Access-Control-Allow-Origin"] == origin
        assert response["Access-Control-Allow-Credentials"] == "true"
        assert "Origin" in response["Vary"]

    @pytest.mark.parametrize(
        "origin",
        ["http://evil.example", "http://localhost:9999", "https://localhost:8000"],
    )
    def test_any_other_origin_gets_no_cors_headers(self, client, db, origin):
        response = client.get(
            ECHO_JSON, headers={"Origin": origin}, HTTP_HOST="127.0.0.1:8000"
        )
        assert "Access-Control-Allow-Origin" not in response
        assert "Access-Control-Allow-Credentials" not in response


class TestPage:
    def test_without_javascript_the_page_shows_the_server_side(self, client, db):
        """The notes, the JSON the view answers, and forms that post."""
        client.post(ADD, {"note": "<b>bold</b>"})
        page = parse(client.get(PAGE, HTTP_HOST="127.0.0.1:8000"))
        assert page.text("notes-list") == "<b>bold</b>"
        assert json.loads(page.raw_text("notes-json")) == {"notes": ["<b>bold</b>"]}
        assert page.by_id("notes-form")["action"] == ADD + "#notes"
        assert page.by_id("clear-form")["action"] == CLEAR + "#notes"
        assert "Without JavaScript" in page.text("fetch-output")
        buttons = (
            "add-with-fetch",
            "reload-notes",
            "send-no-token",
            "cross-site-fetch",
        )
        for button in buttons:
            assert page.by_id(button).has_attr("hidden")

    def test_only_this_lesson_loads_the_script(self, client, db):
        page = parse(client.get(PAGE))
        scripts = [tag["src"] for tag in page.select("script[src]")]
        assert "/static/js/javascript-clients.js" in scripts
        other = parse(client.get(reverse("myapp:security")))
        srcs = [tag["src"] for tag in other.select("script[src]")]
        assert "/static/js/javascript-clients.js" not in srcs

    @pytest.mark.parametrize(
        ("host", "other"),
        [
            ("127.0.0.1:8000", "http://localhost:8000"),
            ("localhost:8000", "http://127.0.0.1:8000"),
        ],
    )
    def test_the_cross_site_links_point_at_the_other_name(
        self, client, db, host, other
    ):
        page = parse(client.get(PAGE, HTTP_HOST=host))
        assert page.by_id("echo-other")["href"] == other + ECHO
        assert page.by_id("cross-site-fetch")["data-echo-url"] == other + ECHO_JSON
        assert page.by_id("other-lesson")["href"] == other + PAGE + "#samesite"

    def test_on_another_host_the_page_says_the_cross_site_part_needs_a_local_run(
        self, client, db, settings
    ):
        settings.ALLOWED_HOSTS = ["example.com"]
        page = parse(client.get(PAGE, HTTP_HOST="example.com"))
        assert not page.has_id("echo-other")
        assert "make run" in page.text("no-other-site")

    def test_the_page_states_the_csrf_cookie_setting(self, client, db, settings):
        settings.CSRF_COOKIE_HTTPONLY = True
        assert parse(client.get(PAGE)).text("csrf-httponly") == "True"


# --- In a real browser -------------------------------------------------------


def other_name(site):
    """The same server under its other name: http://127.0.0.1:N -> http://localhost:N."""
    return site.replace("127.0.0.1", "localhost")


def arrived_on_echo(page):
    """The demo cookies the echo page says arrived."""
    names = ("demo_lax", "demo_strict", "demo_none", "sessionid")
    return {
        name
        for name in names
        if page.locator(f"#arrived-{name}").inner_text() == "arrived"
    }


@pytest.fixture(scope="module")
def browser():
    """The desktop Chromium: these tests check what the browser itself
    decides about third-party cookies, which the headless shell does not."""
    with chromium(desktop=True) as browser:
        yield browser


@pytest.mark.browser
class TestInTheBrowser:
    def test_the_script_adds_a_note_with_fetch_and_the_csrf_header(self, site, page):
        """The script's button sends the note with fetch(): JSON, 201, no reload."""
        page.goto(site + PAGE)
        page.fill("#id_note", "from fetch")
        with page.expect_response(site + ADD) as answer:
            page.get_by_role("button", name="Add with fetch()").click()
        response = answer.value
        assert response.status == 201
        assert response.request.headers["content-type"] == "application/json"
        assert response.request.headers["x-csrftoken"]
        assert page.url == site + PAGE  # the script kept the page
        # The script writes the list after the answer arrives: expect() waits
        # for it (up to five seconds), where reading it at once may be early.
        expect(page.locator("#notes-list li")).to_have_text(["from fetch"])
        expect(page.locator("#fetch-output")).to_contain_text("201")
        page.goto(site + NOTES)
        assert json.loads(page.locator("body").inner_text()) == {
            "notes": ["from fetch"]
        }

    def test_the_mistake_buttons_get_json_refusals(self, site, page):
        page.goto(site + PAGE)
        expected = {
            "POST without the CSRF header": "403",
            "POST broken JSON": "400",
            "POST a number as the note": "400",
        }
        for name, status in expected.items():
            with page.expect_response(site + ADD) as answer:
                page.get_by_role("button", name=name).click()
            assert answer.value.status == int(status)
            # The script writes the answer after it arrives, under the button's
            # name: wait for this button's report, not the previous one's.
            report = re.compile(rf"^{re.escape(name)}\n{status} .*error", re.DOTALL)
            expect(page.locator("#fetch-output")).to_have_text(report)

    def test_samesite_lax_strict_and_none_across_localhost_and_127(self, site, page):
        """Cookies set on 127.0.0.1; a page on localhost is another site. Same
        site: all three. A cross-site link: Lax and None. A cross-site fetch:
        nothing, "include" or not: this Chromium blocks third-party cookies."""
        start_a_session_and_set_the_demo_cookies(page, site)
        stored = {c["name"]: c for c in page.context.cookies()}
        assert stored["demo_lax"]["sameSite"] == "Lax"
        assert stored["demo_strict"]["sameSite"] == "Strict"
        assert stored["demo_none"]["sameSite"] == "None"
        # Secure over plain http: kept, since 127.0.0.1 counts as trustworthy.
        assert stored["demo_none"]["secure"] is True

        page.click("#echo-here")
        page.wait_for_url(site + ECHO)
        assert arrived_on_echo(page) == {
            "demo_lax",
            "demo_strict",
            "demo_none",
            "sessionid",
        }
        assert page.locator("#fetch-site").inner_text().endswith("same-origin")

        other = other_name(site)
        page.goto(other + PAGE + "#samesite")
        page.click("#echo-other")
        page.wait_for_url(site + ECHO)
        assert arrived_on_echo(page) == {"demo_lax", "demo_none", "sessionid"}
        assert page.locator("#fetch-site").inner_text().endswith("cross-site")

        assert cross_site_fetch(page, other) == [
            'credentials: "same-origin" sent no cookie (Sec-Fetch-Site: cross-site)',
            'credentials: "include" sent no cookie (Sec-Fetch-Site: cross-site)',
        ]

    def test_with_third_party_cookies_allowed_include_sends_only_samesite_none(
        self, site, browser
    ):
        """A profile that allows third-party cookies: the cross-site fetch with
        "include" carries demo_none, and still not Lax, Strict or sessionid."""
        with third_party_cookies_allowed(browser) as context:
            page = context.new_page()
            start_a_session_and_set_the_demo_cookies(page, site)
            same_origin, include = cross_site_fetch(page, other_name(site))
        assert same_origin == (
            'credentials: "same-origin" sent no cookie (Sec-Fetch-Site: cross-site)'
        )
        assert include == (
            'credentials: "include" sent demo_none (Sec-Fetch-Site: cross-site)'
        )


def start_a_session_and_set_the_demo_cookies(page, site):
    page.goto(site + PAGE)
    page.fill("#id_note", "a session")
    with page.expect_response(site + ADD):
        page.get_by_role("button", name="Add with fetch()").click()
    page.get_by_role("button", name="Set the three demo cookies here").click()
    page.wait_for_url(site + PAGE + "#samesite")
    names = {cookie["name"] for cookie in page.context.cookies()}
    assert {"sessionid", "demo_lax", "demo_strict", "demo_none"} <= names


def cross_site_fetch(page, other):
    """Open the lesson on the other name and press its fetch button."""
    page.goto(other + PAGE + "#samesite")
    page.click("#cross-site-fetch")
    # The text before the answer already names "include": wait for the
    # script's lines, which it writes at once when both fetches are done.
    page.wait_for_function(
        "document.getElementById('cross-site-output').textContent"
        ".startsWith('credentials: ')"
    )
    return page.locator("#cross-site-output").inner_text().splitlines()


@contextmanager
def third_party_cookies_allowed(browser):
    """A second Chromium, its profile's cookie setting allowing third-party
    cookies (the preference behind chrome://settings/cookies)."""
    with tempfile.TemporaryDirectory() as home:
        profile = Path(home, "profile")
        (profile / "Default").mkdir(parents=True)
        preferences = {"profile": {"cookie_controls_mode": 0}}
        (profile / "Default" / "Preferences").write_text(json.dumps(preferences))
        env = {
            **os.environ,
            "XDG_CONFIG_HOME": os.path.join(home, "config"),
            "XDG_CACHE_HOME": os.path.join(home, "cache"),
        }
        context = browser.browser_type.launch_persistent_context(
            profile,
            executable_path=chromium_executable(desktop=True),
            args=CHROMIUM_ARGS,
            env=env,
        )
        try:
            yield context
        finally:
            context.close()
