"""Lesson 13: the test cookie is a session key, checked on a later request."""

from importlib import import_module

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from myapp.lessons.test_cookie import TEST_KEY
from tests.html import parse

PAGE = reverse("myapp:test-cookie")
SET = reverse("myapp:test-cookie-set")
CHECK = reverse("myapp:test-cookie-check")


def session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_cookie(client):
    return client.cookies.get(settings.SESSION_COOKIE_NAME)


def stored_session(data):
    """Save a session with this data, as an earlier request would; its key."""
    session = session_store()()
    session.update(data)
    session.save()
    return session.session_key


def request_with_cookie(key):
    request = RequestFactory().get(PAGE)
    request.COOKIES[settings.SESSION_COOKIE_NAME] = key
    return request


class TestTheKey:
    def test_it_is_a_session_key_named_testcookie(self):
        assert SessionBase.TEST_COOKIE_NAME == TEST_KEY == "testcookie"
        assert SessionBase.TEST_COOKIE_VALUE == "worked"

    def test_checking_in_the_same_request_proves_nothing(self, engine):
        """set then worked on one session object: True, no browser involved."""
        session = session_store()()
        session.set_test_cookie()
        assert session.test_cookie_worked()

    def test_the_async_methods_set_and_check_the_stored_key(self, engine):
        """aset_test_cookie() is saved; atest_cookie_worked() on a later load
        finds it, on every engine."""
        setter = session_store()()

        async def set_and_save():
            await setter.aset_test_cookie()
            await setter.asave()

        async_to_sync(set_and_save)()
        later = session_store()(setter.session_key)
        assert async_to_sync(later.atest_cookie_worked)() is True
        assert later.load() == {"testcookie": "worked"}

    def test_adelete_test_cookie_alone_is_not_saved(self, engine):
        """adelete_test_cookie() does not mark the session modified (Django 5.2
        and 6.1): SessionMiddleware saves nothing, sends no cookie, and the
        stored session still holds the key."""
        key = stored_session({"testcookie": "worked"})

        async def view(request):
            await request.session.adelete_test_cookie()
            return HttpResponse("checked")

        response = async_to_sync(SessionMiddleware(view))(request_with_cookie(key))
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        assert session_store()(key).load() == {"testcookie": "worked"}

    def test_adelete_test_cookie_then_modified_is_saved(self, engine):
        """Marking the session modified afterwards saves the deletion."""
        key = stored_session({"testcookie": "worked"})

        async def view(request):
            await request.session.adelete_test_cookie()
            request.session.modified = True
            return HttpResponse("checked")

        response = async_to_sync(SessionMiddleware(view))(request_with_cookie(key))
        saved_key = response.cookies[settings.SESSION_COOKIE_NAME].value
        assert session_store()(saved_key).load() == {}

    def test_the_sync_delete_is_saved(self, engine):
        """delete_test_cookie() marks the session modified itself."""
        key = stored_session({"testcookie": "worked"})

        def view(request):
            request.session.delete_test_cookie()
            return HttpResponse("checked")

        response = SessionMiddleware(view)(request_with_cookie(key))
        new_key = response.cookies[settings.SESSION_COOKIE_NAME].value
        assert session_store()(new_key).load() == {}

    def test_deleting_a_missing_key_raises(self, engine):
        with pytest.raises(KeyError):
            session_store()().delete_test_cookie()


class TestSetTestCookie:
    def test_stores_the_key_and_sends_only_the_session_cookie(self, client, engine):
        response = client.post(SET)
        assert response.status_code == 302
        assert response["Location"] == PAGE + "#test-cookie-state"
        assert list(response.cookies) == [settings.SESSION_COOKIE_NAME]
        assert client.session[TEST_KEY] == "worked"
        state = parse(client.get(PAGE)).text("test-cookie-state")
        assert "step 1 is done" in state

    def test_with_signed_cookies_the_key_rides_in_the_cookie(
        self, client, use_settings, db
    ):
        use_settings("cookies")
        client.post(SET)
        value = session_cookie(client).value
        assert session_store()(value).load()[TEST_KEY] == "worked"

    def test_set_is_post_only(self, client, engine):
        assert client.get(SET).status_code == 405
        assert session_cookie(client) is None

    def test_a_browser_refusing_cookies_is_stopped_by_csrf(self, engine):
        """No cookies at all: the POST carries a token but no CSRF cookie: 403."""
        client = Client(enforce_csrf_checks=True)
        page = parse(client.get(PAGE))
        token = page.select("input[name=csrfmiddlewaretoken]")[0]["value"]
        client.cookies.clear()  # the browser kept nothing
        response = client.post(SET, {"csrfmiddlewaretoken": token})
        assert response.status_code == 403
        assert "CSRF cookie not set" in parse(response).text("message")
        assert session_cookie(client) is None


class TestCheck:
    def test_worked_on_the_next_request_and_the_key_is_deleted(self, client, engine):
        client.get("/ssession")
        client.post(SET)
        response = client.post(CHECK, {"cookies": "sent"})
        assert response.status_code == 302
        assert response["Location"] == f"{PAGE}?result=worked#test-cookie-result"
        session = client.session
        assert TEST_KEY not in session
        assert session["sname"] == "irfan"
        result = parse(client.get(response["Location"])).text("test-cookie-result")
        assert result.startswith("It worked.")

    def test_fails_for_a_browser_that_did_not_keep_the_cookie(self, client, engine):
        """Step 1 in one browser, step 2 from one without its cookie: failed."""
        client.post(SET)
        cookieless = Client()
        response = cookieless.post(CHECK, {"cookies": "sent"})
        assert response["Location"] == f"{PAGE}?result=failed#test-cookie-result"
        assert client.session[TEST_KEY] == "worked"  # never seen, never deleted

    def test_fails_when_checked_as_refused_and_keeps_the_key(self, client, engine):
        client.post(SET)
        response = client.post(CHECK, {"cookies": "refused"})
        assert response["Location"] == f"{PAGE}?result=failed#test-cookie-result"
        assert client.session[TEST_KEY] == "worked"
        result = parse(client.get(response["Location"])).text("test-cookie-result")
        assert result.startswith("It did not work.")

    def test_fails_without_step_1_and_does_not_crash(self, client, engine):
        """No key to delete: no KeyError, no 500, nothing written."""
        response = client.post(CHECK, {"cookies": "sent"})
        assert response["Location"] == f"{PAGE}?result=failed#test-cookie-result"
        assert session_cookie(client) is None

    @pytest.mark.parametrize("choice", ["", "yes", "<script>", "sent" * 50])
    def test_bad_choices_get_a_form_error_and_change_nothing(
        self, client, engine, choice
    ):
        client.post(SET)
        before = dict(client.session.items())
        response = client.post(CHECK, {"cookies": choice})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert settings.SESSION_COOKIE_NAME not in response.cookies
        assert dict(client.session.items()) == before

    def test_check_is_post_only(self, client, engine):
        client.post(SET)
        assert client.get(CHECK).status_code == 405
        assert client.session[TEST_KEY] == "worked"


class TestDemoLandsOnTheDemo:
    def test_both_forms_return_to_the_demo(self, client, db):
        page = parse(client.get(PAGE))
        actions = [form["action"] for form in page.by_id("demo").find_all("form")]
        assert actions == [SET + "#demo", CHECK + "#demo"]

    def test_the_page_says_adelete_test_cookie_is_not_saved_alone(self, client, db):
        text = parse(client.get(PAGE)).text("test-cookie-adelete")
        assert "does not mark the session modified" in text
        assert "request.session.modified = True" in text


class TestResultParameter:
    @pytest.mark.parametrize("result", ["", "maybe", "<b>worked</b>", "WORKED"])
    def test_anything_but_worked_or_failed_shows_no_result(self, client, db, result):
        page = parse(client.get(PAGE, {"result": result}))
        assert not page.has_id("test-cookie-result")
