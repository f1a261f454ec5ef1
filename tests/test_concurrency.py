"""Lesson 20: parallel requests lose session updates, the counter keeps them,
and a session deleted mid-request ends the request with a 400.

The parallel tests send real HTTP requests at once to a real server (runserver,
threaded, on a throwaway SQLite file: the `site` fixture of tests/conftest.py;
127.0.0.1 only, stopped by its pid). A barrier releases the twenty requests within a few
milliseconds of each other, and the add views widen the window between loading
and saving the session to RACE_WINDOW (0.1 s), so the requests overlap on every
run, not by luck: every one must succeed, and the session cart must still come
out short. The counter must come out exact. Each request times out after 60 s
and each thread is waited for at most 120 s.
"""

import logging
import threading

import pytest
from django.conf import settings
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.models import Session
from django.core.exceptions import BadRequest
from django.test import Client
from django.urls import reverse

from myapp.lessons.concurrency import (
    CART_ID_KEY,
    CART_KEY,
    MAX_PARALLEL,
    RACE_KEY,
    RACE_LOCK,
    add_one_atomically,
)
from myapp.models import CartCounter
from myapp.progress import PROGRESS_KEY
from tests.html import parse
from tests.processes import fresh_python
from tests.services import HttpBrowser

PAGE = reverse("myapp:concurrency")
ADD = reverse("myapp:concurrency-add")
ADD_ATOMIC = reverse("myapp:concurrency-add-atomic")
RACE = reverse("myapp:concurrency-race")
RESET = reverse("myapp:concurrency-reset")
INTERRUPT = reverse("myapp:concurrency-interrupt")
PARALLEL = 20


# --- Real parallel requests against a real server ----------------------------


def post_all_at_once(browser, path, count):
    """``count`` POSTs from one browser, released together from as many
    threads by a barrier; their statuses (None if one did not finish)."""
    barrier = threading.Barrier(count, timeout=30)
    statuses = [None] * count

    def one(index):
        barrier.wait()
        statuses[index] = browser.post(path).status_code

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


@pytest.fixture
def learner(site):
    """A browser that has opened the lesson: it has a session and a cart id."""
    learner = HttpBrowser(site)
    assert learner.get(PAGE).status_code == 200
    assert settings.SESSION_COOKIE_NAME in learner.cookies
    return learner


def counts(browser):
    page = parse(browser.get(PAGE))
    return int(page.text("session-cart-count")), int(page.text("counter-cart-count"))


class TestParallelRequests:
    def test_parallel_adds_to_the_session_cart_lose_updates(self, learner):
        """Every request answers 302, none fails, and still adds are lost."""
        statuses = post_all_at_once(learner, ADD, PARALLEL)
        assert statuses == [302] * PARALLEL
        session_count, _ = counts(learner)
        assert 1 <= session_count < PARALLEL

    def test_parallel_adds_to_the_counter_all_arrive(self, learner):
        """Twenty first adds at once: one inserts the row, the rest add to it."""
        statuses = post_all_at_once(learner, ADD_ATOMIC, PARALLEL)
        assert statuses == [302] * PARALLEL
        assert counts(learner) == (0, PARALLEL)

    def test_sequential_adds_all_arrive_in_both_carts(self, learner):
        for _ in range(3):
            assert learner.post(ADD).status_code == 302
            assert learner.post(ADD_ATOMIC).status_code == 302
        assert counts(learner) == (3, 3)

    def test_the_race_button_shows_the_loss_and_the_fix(self, learner):
        """The server's own threads give the same result as real requests."""
        for cart in ("session", "counter"):
            reply = learner.post(RACE, {"parallel": PARALLEL, "cart": cart})
            assert reply.status_code == 302
        page = parse(learner.get(PAGE))
        sent, failed, arrived, _ = page.text("race-session").split()[2:6]
        assert (int(sent), int(failed)) == (PARALLEL, 0)
        assert 1 <= int(arrived) < PARALLEL
        counter = page.text("race-counter").split()[2:5]
        assert counter == [str(PARALLEL), "0", str(PARALLEL)]
        assert counts(learner) == (0, 0)  # the races used their own carts


# --- One request at a time (the test client, every engine) ---------------------


class TestCarts:
    def test_each_add_counts_in_both_carts(self, client, engine):
        client.get(PAGE)
        for _ in range(3):
            client.post(ADD)
            client.post(ADD_ATOMIC)
        page = parse(client.get(PAGE))
        assert page.text("session-cart-count") == "3"
        assert page.text("counter-cart-count") == "3"

    def test_the_page_gives_this_browser_a_cart_id_once(self, client, engine):
        client.get(PAGE)
        cart = client.session[CART_ID_KEY]
        response = client.get(PAGE)
        assert settings.SESSION_COOKIE_NAME not in response.cookies  # no write
        assert client.session[CART_ID_KEY] == cart

    def test_a_counter_add_never_saves_the_session(self, client, server_engine):
        """Nothing to overwrite: the session is read (the cart id), not written."""
        client.get(PAGE)
        response = client.post(ADD_ATOMIC)
        assert response.status_code == 302
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        cart = client.session[CART_ID_KEY]
        assert CartCounter.objects.get(cart_id=cart).count == 1

    def test_reset_empties_both_carts_and_keeps_the_rest(self, client, engine):
        client.get(PAGE)
        client.post(ADD)
        client.post(ADD_ATOMIC)
        assert client.post(RESET).status_code == 302
        session = client.session
        assert CART_KEY not in session
        assert not CartCounter.objects.filter(cart_id=session[CART_ID_KEY]).exists()
        assert session[PROGRESS_KEY]["opened"] == ["concurrency"]

    @pytest.mark.parametrize("url", [ADD, ADD_ATOMIC, RACE, RESET, INTERRUPT])
    def test_actions_are_post_only(self, client, db, url):
        """A GET is refused and leaves both carts as they were."""
        client.get(PAGE)
        client.post(ADD)
        client.post(ADD_ATOMIC)
        response = client.get(url)
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        page = parse(client.get(PAGE))
        assert page.text("session-cart-count") == "1"
        assert page.text("counter-cart-count") == "1"

    def test_actions_need_a_csrf_token(self, db):
        client = Client(enforce_csrf_checks=True)
        client.get(PAGE)
        assert client.post(ADD).status_code == 403
        assert CART_KEY not in client.session


class TestAddOneAtomically:
    def test_creates_the_row_then_adds_to_it(self, db):
        add_one_atomically("cart-a")
        add_one_atomically("cart-a")
        add_one_atomically("cart-b")
        assert dict(CartCounter.objects.values_list("cart_id", "count")) == {
            "cart-a": 2,
            "cart-b": 1,
        }


class TestRaceForm:
    @pytest.mark.parametrize(
        "data",
        [
            {},
            {"parallel": "", "cart": "session"},
            {"parallel": "1", "cart": "session"},
            {"parallel": str(MAX_PARALLEL + 1), "cart": "session"},
            {"parallel": "-1", "cart": "session"},
            {"parallel": "abc", "cart": "session"},
            {"parallel": "1e309", "cart": "session"},
            {"parallel": "20", "cart": "everything"},
            {"parallel": "20", "cart": ""},
        ],
    )
    def test_bad_input_gets_a_form_error_and_runs_nothing(self, client, db, data):
        client.get(PAGE)
        before = dict(client.session.items())
        response = client.post(RACE, data)
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert dict(client.session.items()) == before
        assert RACE_KEY not in client.session

    def test_a_race_while_another_runs_gets_a_form_error(self, client, db):
        """One race at a time per process: pressing again cannot pile up threads."""
        client.get(PAGE)
        with RACE_LOCK:  # another visitor's race is running
            response = client.post(RACE, {"parallel": "20", "cart": "session"})
        assert response.status_code == 200
        assert "already running" in " ".join(parse(response).field_errors())
        assert RACE_KEY not in client.session


# --- SessionInterrupted ------------------------------------------------------------


class TestSessionInterrupted:
    def test_it_is_a_bad_request(self):
        """Why Django answers 400, on 5.2 and 6.1 alike."""
        assert issubclass(SessionInterrupted, BadRequest)

    def test_a_session_deleted_mid_request_gets_a_400_and_no_cookie(
        self, client, server_engine
    ):
        """Request A's save finds nothing to update: SessionInterrupted, 400,
        no Set-Cookie, and the deleted session is not brought back."""
        client.get(PAGE)
        response = client.post(INTERRUPT)
        assert response.status_code == 302
        assert response["Location"] == PAGE + "#interrupt-result"
        page = parse(client.get(PAGE))
        assert page.text("interrupt-error").startswith(
            "SessionInterrupted : The request's session was deleted before the "
            "request completed."
        )
        assert page.text("interrupt-status") == "400 Bad Request"
        assert page.text("interrupt-cookie").startswith("none sent")
        assert page.text("interrupt-brought-back").startswith("no:")

    def test_your_own_session_and_progress_stay(self, client, server_engine):
        """The experiment runs on a session of its own: this browser keeps its
        key, its cart and its course progress."""
        client.get(PAGE)
        client.post(ADD)
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        client.post(INTERRUPT)
        assert client.cookies[settings.SESSION_COOKIE_NAME].value == key
        session = client.session
        assert session[CART_KEY] == 1
        assert session[PROGRESS_KEY] == {
            "opened": ["concurrency"],
            "done": ["concurrency"],
        }

    def test_the_experiment_leaves_no_session_behind(self, client, use_settings, db):
        use_settings("db")
        client.get(PAGE)
        client.post(INTERRUPT)
        keys = Session.objects.values_list("session_key", flat=True)
        assert list(keys) == [client.cookies[settings.SESSION_COOKIE_NAME].value]

    def test_with_debug_on_the_lesson_still_shows_its_own_result(
        self, client, db, settings
    ):
        """No debug page for the learner: the 400 belongs to request A."""
        settings.DEBUG = True
        client.get(PAGE)
        assert client.post(INTERRUPT).status_code == 302
        response = client.get(PAGE)
        assert response.status_code == 200
        assert parse(response).text("interrupt-status") == "400 Bad Request"

    def test_django_logs_it_as_a_warning_on_django_request(self, client, db, caplog):
        client.get(PAGE)
        with caplog.at_level(logging.WARNING, logger="django.request"):
            client.post(INTERRUPT)
        (record,) = [r for r in caplog.records if r.name == "django.request"]
        assert record.levelname == "WARNING"
        assert record.getMessage().startswith("The request's session was deleted")

    PLAIN_STORAGES = repr(
        {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
            },
        }
    )

    @pytest.mark.parametrize(
        ("settings_module", "debug", "logged"),
        [
            ("sitecore.settings.db", "1", True),
            ("sitecore.settings.db", "0", False),
            ("sitecore.settings.production", "0", True),
        ],
        ids=["db-debug-on", "db-debug-off", "production"],
    )
    def test_where_the_warning_reaches_the_console(
        self, settings_module, debug, logged
    ):
        """Each settings module in a fresh process, as a server would start it:
        with DEBUG on the console shows the warning; with DEBUG off only
        production.py, which logs every 4xx of django.request, shows it."""
        code = (
            "import django; django.setup()\n"
            "from django.contrib.sessions.exceptions import SessionInterrupted\n"
            "from django.core.handlers.exception import response_for_exception\n"
            "from django.test import RequestFactory\n"
            "from django.test import override_settings\n"
            "request = RequestFactory().post('/x', SERVER_NAME='example.com')\n"
            # The 400 page links the stylesheet: without collectstatic's
            # manifest, production's storage cannot name it. Plain storage here.
            "with override_settings(STORAGES=" + self.PLAIN_STORAGES + "):\n"
            "    try:\n"
            "        raise SessionInterrupted('deleted before the request completed')\n"
            "    except SessionInterrupted as error:\n"
            "        print(response_for_exception(request, error).status_code)\n"
        )
        result = fresh_python(
            ["-c", code],
            DJANGO_SETTINGS_MODULE=settings_module,
            DJANGO_DEBUG=debug,
            DJANGO_SECRET_KEY="logging-test-only-" + "x" * 40,
            DJANGO_ALLOWED_HOSTS="example.com",
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "400"
        assert ("deleted before the request completed" in result.stderr) is logged

    def test_with_signed_cookies_there_is_nothing_to_delete(
        self, client, use_settings, db
    ):
        use_settings("cookies")
        page = parse(client.get(PAGE))
        assert "nothing is stored on the server" in page.text("interrupt-note")
        assert not page.has_id("interrupt-form")
        response = client.post(INTERRUPT)
        assert response.status_code == 302
        assert response["Location"] == PAGE + "#demo"

    def test_a_first_visit_gets_the_result_too(self, db):
        """No session yet: the experiment needs none of yours."""
        client = Client()
        response = client.post(INTERRUPT)
        assert response["Location"] == PAGE + "#interrupt-result"
        assert parse(client.get(PAGE)).text("interrupt-status") == "400 Bad Request"


# --- Every step lands on the demo -----------------------------------------------


class TestLandingOnTheDemo:
    @pytest.mark.parametrize(
        ("url", "data", "anchor"),
        [
            (ADD, {}, "#demo"),
            (ADD_ATOMIC, {}, "#demo"),
            (RESET, {}, "#demo"),
            (RACE, {"parallel": "2", "cart": "counter"}, "#race-results"),
            (INTERRUPT, {}, "#interrupt-result"),
        ],
        ids=["add", "add-atomic", "reset", "race", "interrupt"],
    )
    def test_every_step_redirects_to_the_demo_or_its_result(
        self, client, db, url, data, anchor
    ):
        client.get(PAGE)
        response = client.post(url, data)
        assert response.status_code == 302
        assert response["Location"] == "/lessons/concurrency/" + anchor
        page = parse(client.get(PAGE))
        assert page.has_id(anchor[1:])

    def test_every_form_lands_on_an_anchor_of_the_demo(self, client, db):
        client.get(PAGE)
        client.post(INTERRUPT)
        page = parse(client.get(PAGE))
        demo = page.by_id("demo")
        forms = demo.find_all("form")
        assert len(forms) == 5
        for form in forms:
            _, _, anchor = form["action"].partition("#")
            target = page.by_id(anchor)
            assert target is demo or demo in target.parents, form["action"]

    def test_a_refused_race_opens_at_the_race_form(self, client, db):
        response = client.post(RACE, {"parallel": "1", "cart": "session"})
        assert response.status_code == 200
        form = parse(response).by_id("race-form")
        assert form["action"].endswith("#race-form")
        assert form.select(".errorlist")
