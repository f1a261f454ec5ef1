"""Lesson 3: seed 000's /ssession and /gsession."""

from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.html import parse


class TestSetAndGet:
    def test_set_on_one_request_read_on_the_next(self, client, engine):
        """/ssession stores sname and semail; /gsession, a new request, reads them."""
        response = client.get("/ssession")
        assert response.status_code == 200
        assert "session is set" in parse(response).text("message")
        assert settings.SESSION_COOKIE_NAME in response.cookies

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

    def test_reading_does_not_create_a_session(self, client, engine):
        """A read-only first visit sets no cookie: nothing was stored."""
        response = client.get("/gsession")
        assert settings.SESSION_COOKIE_NAME not in response.cookies


class TestLessonPage:
    def test_page_links_both_seed_urls(self, client, db):
        page = parse(client.get(reverse("myapp:first-session")))
        assert "/ssession" in page.links()
        assert "/gsession" in page.links()

    def test_the_seed_paths_are_kept(self):
        assert reverse("myapp:setsession") == "/ssession"
        assert reverse("myapp:getsession") == "/gsession"
