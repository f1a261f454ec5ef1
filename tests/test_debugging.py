"""Lesson 23: "Session data corrupted": its causes, and the empty session it leaves."""

import logging
import threading
from importlib import import_module

import pytest
from debug_toolbar.panels.request import RequestPanel
from django.conf import settings
from django.core.cache import caches
from django.urls import reverse

from myapp.lessons.debugging import (
    OLD_SECRET_KEY,
    RECOVERED_KEY,
    SUSPICIOUS_LOGGER,
    RenamedSessionStore,
    captured_log,
)
from myapp.progress import PROGRESS_KEY
from tests.html import parse

PAGE = reverse("myapp:debugging")
CORRUPT = reverse("myapp:debugging-corrupt")
CHECK = reverse("myapp:debugging-check")
RECOVER = reverse("myapp:debugging-recover")

# The engines that sign what they store, so a bad signature is reported.
SIGNING_ENGINES = ("db", "cached_db", "file")
CAUSES = ("renamed", "secret-key", "tampered")


@pytest.fixture(params=SIGNING_ENGINES)
def signing_engine(request, use_settings, db):
    return use_settings(request.param)


def corrupted_warnings(caplog):
    return [
        record
        for record in caplog.records
        if record.name == SUSPICIOUS_LOGGER
        and record.levelno == logging.WARNING
        and record.getMessage() == "Session data corrupted"
    ]


def start(client):
    """A learner with data in the session: lesson 3's two values."""
    client.get(PAGE)
    client.get("/ssession")
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def corrupt(client, cause):
    response = client.post(CORRUPT, {"cause": cause, "understood": "on"})
    assert response.status_code == 302
    assert response["Location"] == "/lessons/debugging/check/#check-result"
    return response


class TestCorruptedRecord:
    @pytest.mark.parametrize("cause", CAUSES)
    def test_loads_as_an_empty_session_and_logs(
        self, client, signing_engine, caplog, cause
    ):
        """No 500: the warning is logged, the data is gone, the key is kept."""
        key = start(client)
        corrupt(client, cause)
        caplog.clear()
        response = client.get(CHECK)
        assert response.status_code == 200
        assert corrupted_warnings(caplog)
        page = parse(response)
        assert page.text("check-log") == (
            f"WARNING {SUSPICIOUS_LOGGER}: Session data corrupted"
        )
        assert page.text("check-data") == "empty: {}"
        assert page.text("check-key") == f"{key[:8]}…"
        assert page.inspector_items() == {}
        assert settings.SESSION_COOKIE_NAME not in response.cookies

    def test_the_corrupt_request_itself_does_not_save(
        self, client, signing_engine, caplog
    ):
        """The damage survives the corrupting request: nothing saved over it,
        so the record is still there and still fails its check."""
        key = start(client)
        response = corrupt(client, "tampered")
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        store = client.session.__class__
        assert store().exists(key)
        caplog.clear()
        assert store(key).load() == {}
        assert corrupted_warnings(caplog)

    def test_the_next_write_replaces_the_damage(self, client, signing_engine, caplog):
        """Same key, good data, and no warning on the following load."""
        key = start(client)
        corrupt(client, "secret-key")
        client.get(CHECK)
        client.post(RECOVER)
        caplog.clear()
        session = client.session
        assert session.session_key == key
        assert RECOVERED_KEY in session
        assert "debugging" in session[PROGRESS_KEY]["done"]
        assert "sname" not in session  # the old data did not come back
        assert not corrupted_warnings(caplog)

    def test_each_step_lands_on_its_result(self, client, signing_engine):
        """Corrupt lands on the check's result, which links back to the demo;
        recovering lands on the note that says it worked."""
        start(client)
        corrupt(client, "tampered")
        page = parse(client.get(CHECK))
        assert page.has_id("check-result")
        assert page.by_id("back-to-demo")["href"] == "/lessons/debugging/#demo"
        response = client.post(RECOVER)
        assert response["Location"] == "/lessons/debugging/#recovered"
        assert "your session has a good record again" in parse(client.get(PAGE)).text(
            "recovered"
        )

    def test_secret_key_fallbacks_keep_old_sessions(
        self, client, signing_engine, caplog, settings
    ):
        """With the old key in SECRET_KEY_FALLBACKS the data still loads."""
        settings.SECRET_KEY_FALLBACKS = [OLD_SECRET_KEY]
        start(client)
        corrupt(client, "secret-key")
        caplog.clear()
        page = parse(client.get(CHECK))
        assert not corrupted_warnings(caplog)
        assert page.text("check-log") == "nothing"
        assert '"sname": "irfan"' in page.text("check-data")
        assert "loaded intact" in page.text("check-verdict")

    def test_the_salt_follows_the_class_name(self, client, signing_engine):
        """key_salt is "django.contrib.sessions." + __qualname__."""
        store = client.session
        assert RenamedSessionStore().key_salt == (
            "django.contrib.sessions.RenamedSessionStore"
        )
        assert store.key_salt == "django.contrib.sessions.SessionStore"
        assert store.decode(RenamedSessionStore().encode({"a": 1})) == {}
        assert store.decode(store.encode({"a": 1})) == {"a": 1}


class TestSignedCookies:
    @pytest.mark.parametrize("cause", ["secret-key", "tampered"])
    def test_a_bad_cookie_is_reset_silently(self, client, use_settings, caplog, cause):
        """An empty session, a fresh cookie, and nothing logged at all."""
        use_settings("cookies")
        start(client)
        response = corrupt(client, cause)
        damaged = response.cookies[settings.SESSION_COOKIE_NAME].value
        caplog.clear()
        response = client.get(CHECK)
        assert response.status_code == 200
        assert not [r for r in caplog.records if r.name.startswith("django.security")]
        page = parse(response)
        assert page.text("check-log") == "nothing"
        assert page.text("check-data") == "empty: {}"
        assert "nothing was logged" in page.text("check-verdict")
        fresh = response.cookies[settings.SESSION_COOKIE_NAME].value
        assert fresh not in ("", damaged)
        assert "sname" not in client.session

    def test_a_renamed_class_does_not_apply(self, client, use_settings):
        """signed_cookies signs with a fixed salt: the cause is not offered."""
        use_settings("cookies")
        start(client)
        response = client.post(CORRUPT, {"cause": "renamed", "understood": "on"})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert client.session["sname"] == "irfan"


class TestCachedDbChecksOnlyTheDatabase:
    def test_a_cache_hit_loads_without_a_check(
        self, use_settings, db, settings, caplog
    ):
        """cached_db signs its row, but its cache holds the dictionary itself:
        after a SECRET_KEY change a cache hit still loads, and nothing is
        logged; once the cache forgets the session, the row fails the check."""
        use_settings("cached_db")
        store_class = import_module(settings.SESSION_ENGINE).SessionStore
        session = store_class()
        session["cart"] = 3
        session.save()
        settings.SECRET_KEY = "another-secret-key-" + "x" * 40
        caplog.clear()
        assert store_class(session.session_key).load() == {"cart": 3}
        assert not corrupted_warnings(caplog)
        caches[settings.SESSION_CACHE_ALIAS].clear()
        assert store_class(session.session_key).load() == {}
        assert corrupted_warnings(caplog)


class TestCustomEngines:
    def test_a_subclass_of_the_db_store_is_offered_every_cause(
        self, client, settings, db, caplog
    ):
        """Lesson 19's active-sessions store builds on the db store: it signs
        with key_salt too, so corrupting it logs the warning."""
        settings.SESSION_ENGINE = "myapp.active_sessions"
        start(client)
        page = parse(client.get(PAGE))
        offered = {button["value"] for button in page.select("#corrupt-form button")}
        assert offered == set(CAUSES)
        corrupt(client, "renamed")
        caplog.clear()
        assert parse(client.get(CHECK)).text("check-data") == "empty: {}"
        assert corrupted_warnings(caplog)


class TestCacheEngine:
    def test_nothing_to_corrupt(self, client, use_settings, db):
        """The cache stores the dictionary unsigned: no form, and a POST is
        refused with an error while the session stays intact."""
        use_settings("cache")
        start(client)
        page = parse(client.get(PAGE))
        assert page.has_id("corrupt-not-applicable")
        assert not page.has_id("corrupt-form")
        response = client.post(CORRUPT, {"cause": "tampered", "understood": "on"})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert client.session["sname"] == "irfan"


class TestForm:
    def test_without_confirmation_nothing_changes(self, client, signing_engine, caplog):
        """Without the box ticked: a form error, and the session loads intact."""
        start(client)
        response = client.post(CORRUPT, {"cause": "tampered"})
        assert response.status_code == 200
        assert "Tick the box first: nothing was changed." in (
            parse(response).field_errors()
        )
        caplog.clear()
        assert client.session["sname"] == "irfan"
        assert not corrupted_warnings(caplog)

    @pytest.mark.parametrize("cause", ["", "everything", "x" * 300])
    def test_an_unknown_cause_is_a_form_error(self, client, engine, cause):
        """A form error, and the stored session exactly as it was."""
        start(client)
        before = dict(client.session.items())
        response = client.post(CORRUPT, {"cause": cause, "understood": "on"})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        assert dict(client.session.items()) == before

    def test_without_a_session_there_is_nothing_to_corrupt(self, client, engine):
        """A visitor with no stored session gets a form error and no cookie."""
        response = client.post(CORRUPT, {"cause": "tampered", "understood": "on"})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert settings.SESSION_COOKIE_NAME not in response.cookies

    def test_a_cookie_for_an_unknown_session_stores_nothing(
        self, client, server_engine
    ):
        """The session is loaded before anything is written: an unknown key is
        dropped, so no record appears under it."""
        unknown = "unknown0" * 4
        client.cookies[settings.SESSION_COOKIE_NAME] = unknown
        response = client.post(CORRUPT, {"cause": "tampered", "understood": "on"})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert not client.session.__class__().exists(unknown)

    def test_save_every_request_would_undo_it(self, client, signing_engine, settings):
        """With SESSION_SAVE_EVERY_REQUEST the demo refuses, and says why."""
        settings.SESSION_SAVE_EVERY_REQUEST = True
        start(client)
        response = client.post(CORRUPT, {"cause": "tampered", "understood": "on"})
        assert response.status_code == 200
        assert "SESSION_SAVE_EVERY_REQUEST" in " ".join(parse(response).field_errors())
        assert client.session["sname"] == "irfan"

    def test_corrupt_and_recover_are_post_only(self, client, signing_engine):
        """A GET changes nothing: 405 for both, and the record still loads."""
        key = start(client)
        for url in (CORRUPT, RECOVER):
            response = client.get(url, {"cause": "tampered", "understood": "on"})
            assert response.status_code == 405
            assert response["Allow"] == "POST"
        assert client.cookies[settings.SESSION_COOKIE_NAME].value == key
        assert client.session["sname"] == "irfan"


class TestPage:
    def test_every_demo_form_lands_on_the_demo(self, client, signing_engine):
        """The corrupt form, and the recover form on the check page, post to #demo."""
        start(client)
        actions = [form["action"] for form in parse(client.get(PAGE)).forms()]
        assert "/lessons/debugging/corrupt/#demo" in actions
        corrupt(client, "renamed")
        actions = [form["action"] for form in parse(client.get(CHECK)).forms()]
        assert "/lessons/debugging/recover/#demo" in actions

    def test_the_page_names_no_seed_tutorial(self, client, db):
        """Nothing on the page refers to an unexplained "seed" tutorial."""
        assert "seed" not in parse(client.get(PAGE)).text("lesson-debugging").lower()


class ToolbarStandIn:
    """What the Request panel needs of a toolbar: a place to keep its stats.
    The toolbar app is not installed while tests run."""

    def __init__(self, request):
        self.request = request
        self.request_id = None
        self.stats = {}
        self.store = self

    def save_panel(self, request_id, panel_id, stats):
        pass


class TestToolbarRequestPanel:
    """django-debug-toolbar's Request panel, fed a real request of this site."""

    STARS = "********************"

    def panel_stats(self, response):
        request = response.wsgi_request
        panel = RequestPanel(ToolbarStandIn(request), lambda request: response)
        panel.generate_stats(request, response)
        stats = panel.get_stats()
        return dict(stats["cookies"]["list"]), dict(stats["session"]["list"])

    def test_secret_looking_names_show_as_stars(self, client, db, django_user_model):
        """sessionid, csrftoken and the _auth_user_* keys are hidden; other
        keys show their value."""
        user = django_user_model.objects.create_user("ada", password="tea-and-cake-42")
        client.force_login(user)
        client.get(PAGE)  # the page has a form: the client gets a csrftoken
        cookies, session = self.panel_stats(client.get(PAGE))
        assert cookies == {"csrftoken": self.STARS, "sessionid": self.STARS}
        assert session == {
            "_auth_user_backend": self.STARS,
            "_auth_user_hash": self.STARS,
            "_auth_user_id": self.STARS,
            "course_progress": {"opened": ["debugging"], "done": []},
        }

    def test_keys_inside_a_dictionary_are_hidden_too(self, client, db):
        """Lesson 22's findings: key_before_save and key_after_save are hidden."""
        client.post(reverse("myapp:testing-sessions-run"))
        _, session = self.panel_stats(client.get(PAGE))
        findings = session["testing_findings"]
        assert findings["key_before_save"] == self.STARS
        assert findings["key_after_save"] == self.STARS
        assert findings["factory_has_session"] is False


class TestCheck:
    def test_an_intact_session_loads_without_warnings(
        self, client, signing_engine, caplog
    ):
        """An undamaged session: no warning, its data shown, "loaded intact"."""
        start(client)
        caplog.clear()
        page = parse(client.get(CHECK))
        assert not corrupted_warnings(caplog)
        assert '"sname": "irfan"' in page.text("check-data")
        assert "loaded intact" in page.text("check-verdict")

    def test_the_capture_keeps_this_threads_records_only(self):
        """Another request, in another thread, may log at the same moment."""
        with captured_log(SUSPICIOUS_LOGGER) as records:
            other = threading.Thread(
                target=logging.getLogger(SUSPICIOUS_LOGGER).warning, args=("other",)
            )
            other.start()
            other.join()
            logging.getLogger(SUSPICIOUS_LOGGER).warning("this one")
        assert [record.getMessage() for record in records] == ["this one"]
