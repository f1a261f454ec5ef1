"""No dead ends: every error page says what happened and why, and links back;
addresses a learner guesses under /lessons/ lead somewhere useful."""

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import Client, RequestFactory

from myapp.course import LESSONS
from myapp.store_errors import server_error, store_unavailable
from tests.html import parse


def index_links(page):
    return [href for href in page.links() if href == "/"]


class TestLessonAddresses:
    def test_lessons_without_a_lesson_goes_to_the_index(self, client, db):
        response = client.get("/lessons/")
        assert response.status_code == 302
        assert response["Location"] == "/"

    @pytest.mark.parametrize(
        ("number", "page"),
        [
            (1, "/lessons/what-is-a-session/"),
            (6, "/lessons/visit-counter/"),
            (23, "/lessons/debugging/"),
        ],
    )
    def test_a_lesson_number_opens_that_lesson(self, client, db, number, page):
        response = client.get(f"/lessons/{number}/")
        assert response.status_code == 302
        assert response["Location"] == page

    @pytest.mark.parametrize("debug", [False, True])
    @pytest.mark.parametrize(
        "path", ["/lessons/nope/", "/lessons/99/", "/lessons/visit-counter/nope/"]
    )
    def test_an_unknown_lesson_address_lists_the_lessons(
        self, client, db, settings, path, debug
    ):
        """The course's own 404, DEBUG on or off: what was asked, every lesson
        to go to instead, the index."""
        settings.DEBUG = debug
        response = client.get(path)
        assert response.status_code == 404
        page = parse(response)
        assert path in page.text("message")
        lessons = page.by_id("not-found-lessons").find_all("a")
        assert len(lessons) == len(LESSONS)
        assert lessons[5]["href"] == "/lessons/visit-counter/"
        assert lessons[5].get_text() == "A visit counter"
        assert index_links(page)

    def test_a_lesson_address_without_its_slash_still_gets_one(self, client, db):
        response = client.get("/lessons/visit-counter")
        assert response.status_code == 301
        assert response["Location"] == "/lessons/visit-counter/"

    def test_the_lesson_list_leaves_progress_alone(self, client, db):
        """A wrong address is not a lesson opened: no session is written."""
        response = client.get("/lessons/nope/")
        assert settings.SESSION_COOKIE_NAME not in response.cookies


class TestErrorPages:
    def test_404_says_what_and_offers_the_index(self, client, db):
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        page = parse(response)
        assert "404" in page.soup.h1.get_text()
        assert "/no-such-page/" in page.text("message")
        assert index_links(page)

    def test_400_explains_the_interrupted_session(self, client, db):
        """An unknown Host is a SuspiciousOperation: Django's 400 page, ours."""
        response = client.get("/", HTTP_HOST="elsewhere.example")
        assert response.status_code == 400
        page = parse(response)
        assert "SuspiciousOperation" in page.text("message")
        assert "SessionInterrupted" in page.text()
        assert index_links(page)

    def test_403_csrf_says_nothing_changed_and_links_back(self, db):
        client = Client(enforce_csrf_checks=True)
        response = client.post("/progress/reset/")
        assert response.status_code == 403
        page = parse(response)
        assert "nothing was changed" in page.text("message")
        assert "CSRF cookie not set" in page.text("message")
        assert index_links(page)

    def test_500_says_the_session_change_was_not_kept(self, db):
        response = server_error(RequestFactory().get("/"))
        assert response.status_code == 500
        page = parse(response)
        assert "was most likely not kept" in page.text()
        assert index_links(page)

    def test_503_names_the_store_and_links_back(self, db):
        response = store_unavailable(OperationalError())
        assert response.status_code == 503
        page = parse(response)
        assert "database did not answer" in page.text("message")
        assert index_links(page)


class TestFavicon:
    def test_every_page_links_the_icon_from_static(self, client, db):
        page = parse(client.get("/"))
        icons = [link["href"] for link in page.select("link[rel=icon]")]
        assert icons == ["/static/favicon.ico", "/static/favicon.svg"]
        for href in icons:
            assert (settings.BASE_DIR / href.removeprefix("/")).exists()

    def test_favicon_ico_is_not_a_404(self, client, db):
        response = client.get("/favicon.ico")
        assert response.status_code == 302
        assert response["Location"] == "/static/favicon.ico"

    def test_the_icon_is_an_ico_file(self):
        icon = (settings.BASE_DIR / "static/favicon.ico").read_bytes()
        assert icon[:4] == b"\x00\x00\x01\x00"  # ICO header, type 1 (icon)
