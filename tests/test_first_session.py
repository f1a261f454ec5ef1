"""Lesson 3: a popular tutorial's /ssession and /gsession, and a way to start over."""

from django.conf import settings
from django.test import Client
from django.urls import reverse

from myapp.progress import PROGRESS_KEY
from tests.html import parse
from tests.sessions import put_in_session, stored

PAGE = reverse("myapp:first-session")
DEMO = PAGE + "#demo"
FORGET = reverse("myapp:first-session-forget")
NAME = settings.SESSION_COOKIE_NAME


class TestSetAndGet:
    def test_set_on_one_request_read_on_the_next(self, client, engine):
        """/ssession stores sname and semail; /gsession, a new request, reads them."""
        response = client.get("/ssession")
        assert response.status_code == 200
        assert "session is set" in parse(response).text("message")
        assert NAME in response.cookies

        page = parse(client.get("/gsession"))
        assert page.text("student-name") == "irfan"
        assert page.text("student-email") == "irfan@example.com"

    def test_a_new_client_sees_nothing(self, client, engine):
        """Another browser (no cookie) does not share the first one's session."""
        client.get("/ssession")
        page = parse(Client().get("/gsession"))
        assert "No session values yet" in page.text("message")
        assert not page.has_id("student-name")

    def test_first_visit_to_gsession_does_not_crash(self, client, engine):
        """Before /ssession: 200, a clear message, a link to /ssession, and why."""
        response = client.get("/gsession")
        assert response.status_code == 200
        page = parse(response)
        assert "No session values yet" in page.text("message")
        assert reverse("myapp:setsession") in page.links()
        assert "KeyError" in page.text()
        assert ".get(" in page.text()
        assert "seed" not in page.text().lower()

    def test_reading_does_not_create_a_session(self, client, engine):
        """A read-only first visit sets no cookie: nothing was stored."""
        response = client.get("/gsession")
        assert NAME not in response.cookies

    def test_both_pages_link_back_to_the_demo(self, client, db):
        """/ssession and /gsession are result pages: each leads back to #demo."""
        for url in ("/ssession", "/gsession"):
            page = parse(client.get(url))
            assert page.by_id("back-to-demo")["href"] == DEMO


class TestForget:
    def test_forgets_the_two_keys_and_nothing_else(self, client, engine):
        """sname and semail go; the course progress and other keys stay.
        (The page is opened after /ssession: a view of it before any session
        would record nothing.)"""
        client.get("/ssession")
        client.get(PAGE)
        put_in_session(client, theme="dark")
        response = client.post(FORGET)
        assert response.status_code == 302
        assert response["Location"] == DEMO
        after = stored(client)
        assert "sname" not in after
        assert "semail" not in after
        assert after["theme"] == "dark"
        assert after[PROGRESS_KEY]["opened"] == ["first-session"]
        assert "first-session" in after[PROGRESS_KEY]["done"]

    def test_after_forgetting_gsession_starts_over(self, client, engine):
        """The lesson's first step can be tried again: nothing stored, no crash."""
        client.get("/ssession")
        client.post(FORGET)
        page = parse(client.get("/gsession"))
        assert "No session values yet" in page.text("message")

    def test_forgetting_nothing_saves_nothing(self, client, engine):
        """pop() of missing keys does not modify the session: no Set-Cookie."""
        client.get(PAGE)
        before = stored(client)
        response = client.post(FORGET)
        assert NAME not in response.cookies
        assert stored(client) == before

    def test_is_post_only_and_needs_csrf(self, engine):
        """405 for GET, 403 without the token; the two keys stay."""
        client = Client(enforce_csrf_checks=True)
        client.get("/ssession")
        assert client.get(FORGET).status_code == 405
        assert client.post(FORGET).status_code == 403
        assert stored(client)["sname"] == "irfan"


class TestLessonPage:
    def test_page_links_both_seed_urls(self, client, db):
        page = parse(client.get(PAGE))
        assert "/ssession" in page.links()
        assert "/gsession" in page.links()

    def test_the_seed_paths_are_kept(self):
        assert reverse("myapp:setsession") == "/ssession"
        assert reverse("myapp:getsession") == "/gsession"

    def test_the_demo_says_what_the_session_holds(self, client, engine):
        """Before /ssession neither key; after it, both values."""
        page = parse(client.get(PAGE))
        assert "holds neither sname nor semail" in page.text("first-session-state")
        client.get("/ssession")
        page = parse(client.get(PAGE))
        assert page.text("first-session-state") == (
            "Your session holds sname = irfan and semail = irfan@example.com ."
        )

    def test_the_demo_offers_the_forget_button_once_values_are_stored(self, client, db):
        """Someone who opened /ssession first can start over from the demo."""
        assert not parse(client.get(PAGE)).has_id("forget-form")
        client.get("/ssession")
        form = parse(client.get(PAGE)).by_id("forget-form")
        assert form["action"] == FORGET + "#demo"
        assert form["method"] == "post"

    def test_gsession_offers_the_forget_button_once_values_are_stored(self, client, db):
        """Where the values are shown, a POST button forgets them and lands on
        the lesson's #demo; with nothing stored there is nothing to forget."""
        assert not parse(client.get("/gsession")).has_id("forget-form")
        client.get("/ssession")
        form = parse(client.get("/gsession")).by_id("forget-form")
        assert form["action"] == FORGET + "#demo"
        assert form["method"] == "post"
