"""Per-visitor limits on the demos that create rows or start work
(myapp/ratelimit.py): a 429 page with Retry-After, per address, never with
DEBUG on. pytest-django runs with DEBUG off, as a public site does."""

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.urls import reverse

from myapp import ratelimit
from myapp.lessons.concurrency import RACE_KEY, RaceForm
from tests.html import parse
from tests.sessions import stored

SIGNUP = reverse("myapp:authentication-signup")
AUTH_PAGE = reverse("myapp:authentication")
RACE = reverse("myapp:concurrency-race")
RACE_PAGE = reverse("myapp:concurrency")
PASSWORD = "correct-horse-42"


@pytest.fixture(autouse=True)
def fresh_counters():
    """Each test counts from zero, and leaves no count for the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def two_signups(monkeypatch):
    monkeypatch.setitem(ratelimit.LIMITS, "signup", (2, 600))


def sign_up(client, username, **extra):
    return client.post(
        SIGNUP,
        {
            "signup-username": username,
            "signup-password1": PASSWORD,
            "signup-password2": PASSWORD,
        },
        **extra,
    )


class TestSignupLimit:
    def test_after_the_limit_a_429_page_with_retry_after(self, client, db, two_signups):
        """Two accounts, then a 429: the course's page, a Retry-After within
        the 600-second window, a link back to the lesson's demo."""
        assert sign_up(client, "ada").status_code == 302
        assert sign_up(client, "grace").status_code == 302
        response = sign_up(client, "linus")
        assert response.status_code == 429
        assert 0 < int(response["Retry-After"]) <= 600
        page = parse(response)
        assert "too many requests" in page.text().lower()
        assert "did not run" in page.text("message")
        assert page.select("main a[href='/lessons/authentication/#demo']")

    def test_a_refused_signup_creates_nothing_and_changes_no_session(
        self, client, db, two_signups
    ):
        sign_up(client, "ada")
        sign_up(client, "grace")
        client.get("/ssession")  # a session with data to keep
        before = stored(client)
        response = sign_up(client, "linus")
        assert response.status_code == 429
        assert not User.objects.filter(username="linus").exists()
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        assert stored(client) == before

    def test_another_address_is_not_limited(self, client, db, two_signups):
        sign_up(client, "ada")
        sign_up(client, "grace")
        assert sign_up(client, "linus").status_code == 429
        other = sign_up(client, "linus", REMOTE_ADDR="203.0.113.7")
        assert other.status_code == 302
        assert User.objects.filter(username="linus").exists()

    def test_x_forwarded_for_does_not_pick_a_new_address(self, client, db, two_signups):
        """The header is the client's own claim: the limit stays."""
        sign_up(client, "ada")
        sign_up(client, "grace")
        response = sign_up(client, "linus", HTTP_X_FORWARDED_FOR="198.51.100.9")
        assert response.status_code == 429
        assert not User.objects.filter(username="linus").exists()

    def test_refused_forms_do_not_count(self, client, db, two_signups):
        """Only accounts created count: five refused forms, then two accounts."""
        for _ in range(5):
            response = client.post(SIGNUP, {"signup-username": "ada"})
            assert response.status_code == 200
            assert parse(response).field_errors()
        assert sign_up(client, "ada").status_code == 302
        assert sign_up(client, "grace").status_code == 302
        assert sign_up(client, "linus").status_code == 429
        assert sorted(User.objects.values_list("username", flat=True)) == [
            "ada",
            "grace",
        ]

    def test_with_debug_on_nothing_is_limited(self, client, db, settings, two_signups):
        settings.DEBUG = True
        for name in ("ada", "grace", "linus", "barbara"):
            assert sign_up(client, name).status_code == 302
        assert User.objects.count() == 4

    def test_the_default_limit_leaves_room_for_a_class(self):
        """At least ten sign-ups per address: a classroom behind one address
        can still make its accounts, a script cannot make thousands."""
        allowed, seconds = ratelimit.LIMITS["signup"]
        assert allowed >= 10
        assert seconds >= 60


class TestRaceLimit:
    def test_after_the_limit_the_race_answers_429_and_runs_nothing(
        self, client, db, monkeypatch
    ):
        monkeypatch.setitem(ratelimit.LIMITS, "race", (1, 600))
        client.get(RACE_PAGE)
        first = client.post(RACE, {"parallel": "2", "cart": "counter"})
        assert first.status_code == 302
        races = client.session[RACE_KEY]
        before = stored(client)
        second = client.post(RACE, {"parallel": "3", "cart": "session"})
        assert second.status_code == 429
        assert int(second["Retry-After"]) > 0
        assert client.session[RACE_KEY] == races
        assert stored(client) == before
        assert parse(second).select("main a[href='/lessons/concurrency/#demo']")

    def test_without_debug_a_race_is_bounded_to_20_threads(self, client, db):
        """21 threads are refused with a form error; nothing runs."""
        client.get(RACE_PAGE)
        response = client.post(RACE, {"parallel": "21", "cart": "counter"})
        assert response.status_code == 200
        assert "At most 20" in " ".join(parse(response).field_errors())
        assert RACE_KEY not in client.session

    def test_the_page_states_the_bound(self, client, db):
        page = parse(client.get(RACE_PAGE))
        assert "From 2 to 20." in page.text()
        assert page.select("input[name=parallel]")[0]["max"] == "20"

    def test_with_debug_on_30_threads_are_allowed(self, settings):
        settings.DEBUG = True
        assert RaceForm({"parallel": "30", "cart": "counter"}).is_valid()
        settings.DEBUG = False
        assert not RaceForm({"parallel": "30", "cart": "counter"}).is_valid()
