"""Lesson 6: the visit counter."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from myapp.lessons.visit_counter import VISITS_KEY
from myapp.progress import PROGRESS_KEY
from tests.html import parse

PAGE = reverse("myapp:visit-counter")
COUNT = reverse("myapp:visit-counter-count")
RESET = reverse("myapp:visit-counter-reset")
COOKIE = settings.SESSION_COOKIE_NAME
TWO_WEEKS = 1209600


class TestCount:
    def test_first_visit_says_1_and_later_visits_go_up(self, client, engine):
        """A new browser sees 1, not 0 and not a KeyError; each load adds one."""
        for expected in (
            "You have visited this page 1 time.",
            "You have visited this page 2 times.",
            "You have visited this page 3 times.",
        ):
            response = client.get(COUNT)
            assert response.status_code == 200
            assert parse(response).text("visits") == expected
        assert client.session[VISITS_KEY] == 3

    def test_every_count_sends_set_cookie_with_a_fresh_expiry(self, client, engine):
        """Each load modifies the session, so each response saves it and sets
        the cookie again with the full two weeks."""
        for _ in range(3):
            response = client.get(COUNT)
            cookie = response.cookies[COOKIE]
            assert cookie.value
            assert cookie["max-age"] == TWO_WEEKS
            headers = parse(response).text("response-headers")
            assert f"Set-Cookie {COOKIE}={cookie.value[:8]}…" in headers

    def test_every_count_moves_the_stored_expiry_forward(
        self, client, use_settings, db
    ):
        """Expiry counts from the last save: a count renews a row that was
        about to expire to the full SESSION_COOKIE_AGE from now."""
        use_settings("db")
        client.get(COUNT)
        key = client.cookies[COOKIE].value
        Session.objects.filter(pk=key).update(
            expire_date=timezone.now() + timedelta(minutes=1)
        )
        client.get(COUNT)
        renewed = Session.objects.get(pk=key).expire_date - timezone.now()
        age = timedelta(days=14)
        assert age - timedelta(minutes=1) < renewed <= age

    def test_server_side_engines_resend_the_same_key(self, client, server_engine):
        keys = {client.get(COUNT).cookies[COOKIE].value for _ in range(3)}
        assert len(keys) == 1

    def test_signed_cookies_send_a_new_value_each_time(self, client, use_settings, db):
        """With signed_cookies the cookie is the data: a new count, a new value."""
        use_settings("cookies")
        values = [client.get(COUNT).cookies[COOKIE].value for _ in range(3)]
        assert len(set(values)) == 3

    def test_the_counter_page_shows_the_new_count_and_the_stored_lags(
        self, client, server_engine
    ):
        """In memory the count is already 2; the store still says 1 until the
        response is saved."""
        client.get(COUNT)
        page = parse(client.get(COUNT))
        assert page.inspector_items()[VISITS_KEY] == "2"
        assert page.text("inspector-modified").startswith("True")
        assert f'"{VISITS_KEY}": 1' in page.text("inspector-stored")

    def test_each_browser_has_its_own_count(self, client, engine):
        """A second client (another browser, a private window) starts at 1."""
        client.get(COUNT)
        client.get(COUNT)
        other = Client()
        assert "visited this page 1 time." in parse(other.get(COUNT)).text("visits")
        assert client.session[VISITS_KEY] == 2

    def test_counting_completes_the_lesson(self, client, engine):
        client.get(COUNT)
        assert "visit-counter" in client.session[PROGRESS_KEY]["done"]

    def test_the_counter_links_back_to_the_demo(self, client, db):
        """The result page's way back lands on the lesson's demo, and counting
        again lands on the count."""
        links = parse(client.get(COUNT)).links()
        assert PAGE + "#demo" in links
        assert COUNT + "#visits" in links

    def test_count_is_get_only(self, client, engine):
        response = client.post(COUNT)
        assert response.status_code == 405
        assert COOKIE not in response.cookies


class TestPage:
    def test_page_shows_the_count_without_counting(self, client, engine):
        """The lesson page reads: the count stays 2, and a second opening
        sends no session cookie, only Vary: Cookie."""
        client.get(COUNT)
        client.get(COUNT)
        client.get(PAGE)  # the first opening records progress: a write
        response = client.get(PAGE)
        page = parse(response)
        assert "This browser's count: 2" in page.text("current-count")
        assert page.inspector_items()[VISITS_KEY] == "2"
        assert COOKIE not in response.cookies
        headers = page.text("response-headers")
        assert f"Set-Cookie {COOKIE}=" not in headers
        assert "Vary Cookie" in headers
        assert client.session[VISITS_KEY] == 2

    def test_a_new_visitor_sees_no_count(self, client, engine):
        page = parse(client.get(PAGE))
        assert "This browser's count: 0" in page.text("current-count")
        assert VISITS_KEY not in page.inspector_items()

    def test_page_links_the_counter_and_posts_the_reset(self, client, db):
        page = parse(client.get(PAGE))
        assert COUNT + "#visits" in page.links()
        forms = [form for form in page.forms() if form["action"] == RESET]
        assert len(forms) == 1
        assert forms[0]["method"] == "post"

    def test_the_snippet_is_the_counting_code(self, client, db):
        """The core quotes the running view: a read with a default, then a store."""
        snippet = parse(client.get(PAGE)).by_id("explanation").select("figure.excerpt")
        assert len(snippet) == 1
        code = " ".join(snippet[0].pre.get_text().split())
        assert code == (
            "visits = request.session.get(VISITS_KEY, 0) + 1 "
            "request.session[VISITS_KEY] = visits"
        )


class TestReset:
    def test_reset_pops_only_the_count(self, client, engine):
        """The count goes; the other keys of the session stay."""
        client.get("/ssession")
        client.get(COUNT)
        client.get(COUNT)
        response = client.post(RESET)
        assert response.status_code == 302
        assert response["Location"] == PAGE + "#demo"
        session = client.session
        assert VISITS_KEY not in session
        assert session["sname"] == "irfan"
        assert "visited this page 1 time." in parse(client.get(COUNT)).text("visits")

    def test_reset_with_nothing_to_reset_writes_nothing(self, client, engine):
        """pop() of a missing key leaves the session unmodified: no save, no cookie."""
        client.get("/ssession")
        before = dict(client.session.items())
        response = client.post(RESET)
        assert COOKIE not in response.cookies
        assert dict(client.session.items()) == before

    def test_reset_is_post_only(self, client, engine):
        client.get(COUNT)
        assert client.get(RESET).status_code == 405
        assert client.session[VISITS_KEY] == 1

    @pytest.mark.usefixtures("engine")
    def test_reset_without_csrf_token_is_refused(self):
        client = Client(enforce_csrf_checks=True)
        client.get(COUNT)
        before = dict(client.session.items())
        assert client.post(RESET).status_code == 403
        assert dict(client.session.items()) == before
