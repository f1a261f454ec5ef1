"""The course frame: the index, progress, the source blocks and the inspector."""

import inspect
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.urls import reverse

from myapp.course import LESSONS, live_lessons
from myapp.inspector import cache_record
from myapp.management.commands.syllabus import readme_with_syllabus
from myapp.progress import PROGRESS_KEY
from myapp.source import source_of, stylesheet
from tests.html import parse
from tests.services import free_port
from tests.sessions import stored

LIVE = live_lessons()


def lesson_ids(lessons):
    return [lesson.slug for lesson in lessons]


def stored_expiry(client):
    """This client's session expiry as its store keeps it: the row's
    expire_date, the session file's modification time (the file engine counts
    from it), the cache entry's expiry time, or the signed cookie itself (its
    timestamp is inside). Any write of the session changes it."""
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if hasattr(store, "get_model_class"):  # db, cached_db, active
        return store.get_model_class().objects.get(session_key=key).expire_date
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.file":
        path = Path(settings.SESSION_FILE_PATH) / (settings.SESSION_COOKIE_NAME + key)
        return path.stat().st_mtime_ns
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.cache":
        cache = caches[settings.SESSION_CACHE_ALIAS]  # locmem: expiry per key
        return cache._expire_info[cache.make_key(f"django.contrib.sessions.cache{key}")]
    return key


class TestIndex:
    def test_lists_every_lesson_in_order(self, client, db):
        page = parse(client.get(reverse("myapp:index")))
        items = page.select("ol.lessons > li")
        assert [item["id"] for item in items] == [
            f"index-{lesson.slug}" for lesson in LESSONS
        ]

    def test_live_lessons_link_and_the_rest_are_coming(self, client, db):
        page = parse(client.get(reverse("myapp:index")))
        for lesson in LESSONS:
            entry = page.by_id(f"index-{lesson.slug}")
            if lesson.available:
                assert entry.a["href"] == lesson.url
            else:
                assert entry.a is None
                assert "coming" in entry.get_text()

    def test_a_newcomer_is_sent_to_lesson_1(self, client, db):
        """Not to /ssession first: that would spoil lesson 3's first step."""
        page = parse(client.get(reverse("myapp:index")))
        intro = page.select("main > p")[0]
        links = [a["href"] for a in intro.find_all("a")]
        assert links == ["/lessons/what-is-a-session/"]

    def test_numbers_run_from_1_to_27(self):
        assert [lesson.number for lesson in LESSONS] == list(range(1, 28))


class TestProgress:
    def test_a_first_visit_stores_no_progress(self, client, engine):
        """A browser that sent no session cookie gets none: opening a lesson
        stores nothing, so a visitor without cookies costs no session."""
        response = client.get(reverse("myapp:first-session"))
        assert response.status_code == 200
        assert settings.SESSION_COOKIE_NAME not in response.cookies

    def test_opening_a_lesson_with_a_session_is_recorded_and_shown(
        self, client, engine
    ):
        """Once the browser brings back a session cookie, the next lesson it
        opens is recorded, and the index lists it."""
        client.get("/ssession")
        client.get(reverse("myapp:first-session"))
        assert client.session[PROGRESS_KEY]["opened"] == ["first-session"]
        page = parse(client.get(reverse("myapp:index")))
        assert "demo done" in page.text("index-first-session")
        assert "1 lesson opened" in page.text("progress")

    def test_an_opened_lesson_shows_opened_on_the_index(self, client, engine):
        client.get("/ssession")
        client.get(reverse("myapp:visit-counter"))
        page = parse(client.get(reverse("myapp:index")))
        assert "opened" in page.text("index-visit-counter")
        assert "demo done" not in page.text("index-visit-counter")

    def test_a_demo_that_changes_the_session_completes_the_lesson(self, client, engine):
        """Even on a first visit: the demo's own write saves the session, and
        the record goes with it."""
        client.get("/ssession")
        assert client.session[PROGRESS_KEY]["done"] == ["first-session"]
        page = parse(client.get(reverse("myapp:index")))
        assert "demo done" in page.text("index-first-session")

    def test_a_read_only_demo_writes_nothing(self, client, engine):
        """/gsession only reads: no progress record, no cookie."""
        response = client.get("/gsession")
        assert settings.SESSION_COOKIE_NAME not in response.cookies

    def test_reopening_a_lesson_does_not_write_again(self, client, engine):
        client.get("/ssession")
        url = reverse("myapp:first-session")
        client.get(url)
        response = client.get(url)
        assert settings.SESSION_COOKIE_NAME not in response.cookies

    def test_reset_clears_progress_and_keeps_other_keys(self, client, engine):
        client.get("/ssession")
        client.get(reverse("myapp:first-session"))
        response = client.post(reverse("myapp:reset-progress"))
        assert response.status_code == 302
        session = client.session
        assert PROGRESS_KEY not in session
        assert session["sname"] == "irfan"

    def test_reset_is_post_only(self, client, db):
        """A GET keeps the progress (and everything else)."""
        client.get("/ssession")
        client.get(reverse("myapp:first-session"))
        before = stored(client)
        assert PROGRESS_KEY in before
        response = client.get(reverse("myapp:reset-progress"))
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert stored(client) == before


@pytest.mark.parametrize("lesson", LIVE, ids=lesson_ids(LIVE))
class TestEveryLessonPage:
    def test_page_renders_with_its_frame(self, client, db, lesson):
        page = parse(client.get(lesson.url))
        assert page.by_id(f"lesson-{lesson.slug}")
        assert page.has_id("inspector")
        assert lesson.module_path in page.text("where-in-code")
        assert lesson.test_path in page.text("where-in-code")
        assert f"Lesson {lesson.number} of {len(LESSONS)}" in page.text()

    def test_shown_source_is_the_running_code(self, client, db, lesson):
        page = parse(client.get(lesson.url))
        assert lesson.shown, "a lesson shows the code of its demo"
        for target in lesson.shown:
            source = source_of(target)
            shown = page.raw_text(source.element_id)
            expected = (
                inspect.getsource(target)
                if not isinstance(target, str)
                else (settings.BASE_DIR / target).read_text()
            )
            assert expected.strip() in shown

    def test_previous_and_next_follow_course_order(self, client, db, lesson):
        page = parse(client.get(lesson.url))
        index = LIVE.index(lesson)
        prev_links = page.select("a[rel=prev]")
        next_links = page.select("a[rel=next]")
        if index > 0:
            assert prev_links[0]["href"] == LIVE[index - 1].url
        else:
            assert not prev_links
        if index + 1 < len(LIVE):
            assert next_links[0]["href"] == LIVE[index + 1].url
        else:
            assert not next_links

    def test_the_top_of_the_page_leads_to_the_demo_and_the_neighbours(
        self, client, db, lesson
    ):
        """A "Try it" jump to #demo at the top; previous and next at the top
        and at the bottom, the same links."""
        page = parse(client.get(lesson.url))
        top, bottom = page.by_id("pager-top"), page.by_id("pager-bottom")
        assert [a["href"] for a in top.select("a.jump")] == ["#demo"]
        assert page.by_id("demo").select_one("#demo-title").get_text() == "Try it"
        neighbours = [a["href"] for a in top.select("a[rel]")]
        assert neighbours == [a["href"] for a in bottom.select("a[rel]")]
        ends = lesson in (LIVE[0], LIVE[-1])
        assert len(neighbours) == (1 if ends else 2)

    def test_each_lesson_has_its_test_file(self, lesson):
        assert (settings.BASE_DIR / lesson.test_path).exists()


class TestInspector:
    def test_shows_the_exact_keys_and_values(self, client, engine):
        client.get("/ssession")
        page = parse(client.get(reverse("myapp:first-session")))
        items = page.inspector_items()
        assert items["sname"] == '"irfan"'
        assert items["semail"] == '"irfan@example.com"'

    def test_shows_this_responses_own_headers(self, client, engine):
        """With a session, the first opening writes progress: Set-Cookie, key
        shortened. The second writes nothing: no Set-Cookie, but Vary: Cookie
        (it was read)."""
        client.get("/ssession")
        url = reverse("myapp:first-session")
        first = client.get(url)
        key = first.cookies[settings.SESSION_COOKIE_NAME].value
        headers = parse(first).text("response-headers")
        assert f"Set-Cookie {settings.SESSION_COOKIE_NAME}={key[:8]}…" in headers
        assert key not in first.content.decode()
        assert "Vary Cookie" in headers
        again = parse(client.get(url)).text("response-headers")
        assert f"Set-Cookie {settings.SESSION_COOKIE_NAME}=" not in again
        assert "Vary Cookie" in again

    def test_never_shows_a_usable_session_cookie(self, client, engine):
        """Key (or signed cookie) shortened everywhere: page script must not
        find in the page what HttpOnly hides from it."""
        client.get("/ssession")
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        page = client.get(reverse("myapp:first-session")).content.decode()
        assert cookie not in page
        assert cookie[:8] in page

    def test_an_unreachable_cache_is_reported_not_raised(self, settings, db):
        """cached_db serves from the database when Redis is down; the inspector
        says the cache does not answer instead of failing the page."""
        from django.contrib.sessions.backends.cached_db import SessionStore

        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            }
        }
        record = cache_record(SessionStore(), "a" * 32)
        assert record["decoded"] == "(the cache does not answer)"

    def test_shows_the_expiry_date_and_the_rows(self, client, db):
        """The session's expiry and the stored row's, to the second, in UTC
        (TIME_ZONE), with a machine-readable <time>."""
        session = client.session
        session["sname"] = "irfan"
        session.set_expiry(datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC))
        session.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
        page = parse(client.get(reverse("myapp:first-session")))
        shown = page.by_id("inspector-expiry-date")
        assert shown.get_text() == "2031-05-06 07:08:09 UTC"
        assert shown.time["datetime"] == "2031-05-06T07:08:09+00:00"
        assert "Row expires 2031-05-06 07:08:09 UTC" in page.text("inspector-stored")

    def test_an_engine_it_does_not_know_is_named_not_read(self, client, settings, db):
        """A package's engine, or your own: the inspector shows the session
        but cannot read its store, and says so, instead of "no session key"."""
        settings.SESSION_ENGINE = "tests.unknown_engine"
        client.get("/ssession")
        page = parse(client.get(reverse("myapp:first-session")))
        assert page.inspector_items()["sname"] == '"irfan"'
        assert page.text("inspector-stored") == (
            "Where the store of tests.unknown_engine Content not shown: the"
            " inspector reads only the stores of the engines this course ships"
        )

    def test_a_new_visitor_has_no_key(self, client, db):
        page = parse(client.get(reverse("myapp:first-session")))
        assert "None until the first save" in page.text("inspector-key")

    def test_rendering_the_inspector_writes_nothing(self, client, engine):
        """A second view of a page changes neither the stored data nor the
        stored expiry, and sends no session cookie."""
        client.get("/ssession")
        url = reverse("myapp:first-session")
        client.get(url)
        before = stored(client), stored_expiry(client)
        response = client.get(url)
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        assert parse(response).text("inspector-modified").startswith("False")
        assert (stored(client), stored_expiry(client)) == before

    def test_shows_where_the_data_is_stored(self, client, server_engine):
        client.get("/ssession")
        client.get(reverse("myapp:first-session"))
        stored = parse(client.get(reverse("myapp:first-session"))).text(
            "inspector-stored"
        )
        assert '"sname": "irfan"' in stored
        where = {
            "db": "django_session row",
            "file": "sessionid",
            "cache": "django.contrib.sessions.cache",
            "cached_db": "django.contrib.sessions.cached_db",
            "active": "myapp_activesession row",
        }[server_engine]
        assert where in stored

    def test_signed_cookie_payload_is_readable(self, client, use_settings, db):
        use_settings("cookies")
        client.get("/ssession")
        stored = parse(client.get(reverse("myapp:first-session"))).text(
            "inspector-stored"
        )
        assert '"sname":"irfan"' in stored.replace(" ", "")

    def test_stored_record_lags_this_requests_change(self, client, server_engine):
        """The page renders before SessionMiddleware saves: the first opening of
        a lesson is in the in-memory session but not yet in the store."""
        client.get("/ssession")
        page = parse(client.get(reverse("myapp:first-session")))
        in_memory = page.inspector_items()[PROGRESS_KEY]
        assert '"opened": ["first-session"]' in in_memory
        assert page.text("inspector-modified").startswith("True")
        stored = page.text("inspector-stored")
        assert '"sname": "irfan"' in stored
        assert '"opened": []' in stored


class TestReadme:
    def test_readme_syllabus_matches_the_course(self):
        """README.md carries the table generated from myapp/course.py."""
        readme = (settings.BASE_DIR / "README.md").read_text()
        assert readme_with_syllabus(readme) == readme, (
            "README syllabus is stale: run python manage.py syllabus --write"
        )

    def test_readme_opens_with_the_two_commands(self):
        readme = (settings.BASE_DIR / "README.md").read_text()
        opening = readme[:400]
        assert "make run" in opening
        assert "make test" in opening


class TestStylesheet:
    def test_css_carries_the_pygments_rules(self):
        css = (settings.BASE_DIR / "static/css/course.css").read_text()
        assert stylesheet() in css

    def test_no_remote_assets(self):
        css = (settings.BASE_DIR / "static/css/course.css").read_text()
        assert "http://" not in css
        assert "https://" not in css
