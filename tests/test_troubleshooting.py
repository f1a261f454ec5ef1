"""The troubleshooting page: each symptom reproduced with Django's own code,
and every link on the page landing on a live lesson and an anchor there.

The symptom tests run Django's real SessionMiddleware, serializer, handlers
and commands through the small views below (served by this module's
URLconf, the course's own URLs included), on the database engine unless a
test says otherwise.
"""

import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.sessions.backends.cache import SessionStore as CacheStore
from django.contrib.sessions.backends.db import SessionStore as DbStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.exceptions import SynchronousOnlyOperation
from django.http import HttpResponse
from django.test import AsyncClient
from django.urls import include, path, reverse
from django.utils import timezone

from myapp.course import LESSONS_BY_SLUG
from myapp.troubleshooting import SYMPTOMS
from tests.html import parse

PAGE = "/troubleshooting/"
# The symptoms the issue asks for, by the id each has on the page: literals,
# so a symptom dropped from the data fails here.
REQUIRED = {
    "nested-change",
    "cookie-secure-http",
    "samesite-none",
    "fetch-credentials",
    "logged-out-on-restart",
    "logged-out-between-servers",
    "secret-key-per-server",
    "session-data-corrupted",
    "two-tabs",
    "session-interrupted",
    "datetime-not-serializable",
    "logout-get",
    "session-key-none",
    "keyerror-first-visit",
    "table-grows",
    "subdomain",
    "synchronous-only",
    "login-page-in-fetch",
}


# --- Views that show the symptoms, served by this module's URLconf ----------


def store_cart(request):
    request.session["cart"] = {"tea": 1}
    return HttpResponse("stored")


def change_nested(request):
    request.session["cart"]["tea"] = 5  # a mistake, on purpose: not marked
    return HttpResponse("changed")


def change_nested_fixed(request):
    request.session["cart"]["tea"] = 5
    request.session.modified = True
    return HttpResponse("changed")


def read_cart(request):
    return HttpResponse(str(request.session.get("cart")))


def read_with_brackets(request):
    return HttpResponse(str(request.session["cart"]))  # a mistake, on purpose


def show_key(request):
    return HttpResponse(str(request.session.session_key))


def write_after_logout_elsewhere(request):
    """A request still running when another tab logged out: it has loaded the
    session, that tab's flush() deletes the stored record, then this one writes."""
    cart = request.session.get("cart", {})  # loaded while the record exists
    DbStore(session_key=request.session.session_key).flush()
    request.session["cart"] = {**cart, "tea": 2}
    return HttpResponse("written")


async def async_sync_read(request):
    return HttpResponse(str(request.session.get("cart")))  # a mistake, on purpose


async def async_read(request):
    return HttpResponse(str(await request.session.aget("cart")))


@login_required
def private(request):
    return HttpResponse("private")


urlpatterns = [
    path("store/", store_cart),
    path("nested/", change_nested),
    path("nested-fixed/", change_nested_fixed),
    path("read/", read_cart),
    path("brackets/", read_with_brackets),
    path("key/", show_key),
    path("interrupted/", write_after_logout_elsewhere),
    path("async-sync/", async_sync_read),
    path("async/", async_read),
    path("private/", private),
    path("", include("myapp.urls")),
]

symptom_views = pytest.mark.urls(__name__)


@pytest.fixture
def db_engine(settings, db):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"


# --- The page ------------------------------------------------------------------


class TestThePage:
    def test_every_required_symptom_has_its_element(self, client, db):
        """Each symptom is an element symptom-<slug> with a question heading, an
        answer, a fix and at least one link to a live lesson."""
        page = parse(client.get(PAGE))
        for slug in REQUIRED:
            symptom = page.by_id(f"symptom-{slug}")
            assert symptom.find("h2").get_text(strip=True).endswith("?")
            assert symptom.select_one(".answer").get_text(strip=True)
            assert symptom.select_one(".fix").get_text(strip=True).startswith("Fix:")
            assert symptom.select(".see a[href]"), f"{slug} links to no live lesson"

    def test_the_contents_list_jumps_to_every_symptom(self, client, db):
        """The list at the top has one link per symptom, in page order."""
        page = parse(client.get(PAGE))
        toc = [a["href"] for a in page.by_id("symptoms-toc").find_all("a")]
        sections = ["#" + s["id"] for s in page.select("section.symptom")]
        assert toc == sections
        assert {href.removeprefix("#symptom-") for href in toc} >= REQUIRED

    def test_answers_are_two_to_four_short_sentences(self, client, db):
        """Two to four sentences per answer, none over 30 words."""
        sections = parse(client.get(PAGE)).select("section.symptom")
        assert len(sections) >= len(REQUIRED)
        for section in sections:
            text = " ".join(section.select_one(".answer").get_text(" ").split())
            sentences = [s for s in text.replace("? ", ". ").split(". ") if s]
            assert 2 <= len(sentences) <= 4, (section["id"], sentences)
            for element in (".answer", ".fix"):
                text = " ".join(section.select_one(element).get_text(" ").split())
                for sentence in text.split(". "):
                    assert len(sentence.split()) <= 30, sentence

    def test_code_in_backticks_is_code_and_the_rest_is_escaped(self, client, db):
        """`modified = True` becomes <code>; quotes stay text, not markup."""
        page = parse(client.get(PAGE))
        fix = page.by_id("symptom-nested-change").select_one(".fix")
        codes = [code.get_text() for code in fix.find_all("code")]
        assert "request.session.modified = True" in codes
        assert "`" not in fix.get_text()

    def test_every_link_to_a_live_lesson_lands_on_its_anchor(self, client, db):
        """Each link answers 200, and the page it opens has the id it names."""
        page = parse(client.get(PAGE))
        links = [a["href"] for a in page.select("section.symptom .see a[href]")]
        assert links
        pages = {}
        for link in links:
            address, anchor = link.split("#")
            if address not in pages:
                response = client.get(address)
                assert response.status_code == 200, link
                pages[address] = parse(response)
            assert pages[address].has_id(anchor), link

    def test_a_coming_lesson_is_named_without_a_link(self, client, db):
        """Lessons not live yet are named and marked, never a dead link."""
        page = parse(client.get(PAGE))
        for symptom in SYMPTOMS:
            section = page.by_id(f"symptom-{symptom.slug}")
            hrefs = [a["href"] for a in section.select(".see a[href]")]
            for place in symptom.places:
                lesson = LESSONS_BY_SLUG[place.slug]
                target = f"/lessons/{place.slug}/#{place.anchor}"
                if lesson.available:
                    assert target in hrefs
                else:
                    assert target not in hrefs
                    assert "(coming soon)" in section.select_one(".see").get_text()

    def test_the_index_links_here(self, client, db):
        page = parse(client.get(reverse("myapp:index")))
        assert page.by_id("index-troubleshooting")["href"] == PAGE

    def test_the_404_page_links_here(self, client, db):
        """Both 404s: Django's handler and the unknown-lesson route."""
        for address in ("/no-such-page/", "/lessons/no-such-lesson/"):
            response = client.get(address)
            assert response.status_code == 404
            page = parse(response)
            assert page.by_id("not-found-troubleshooting")["href"] == PAGE

    def test_the_page_leaves_the_session_alone(self, client, db):
        """Reading the page stores nothing, so it sets no session cookie."""
        response = client.get(PAGE)
        assert settings.SESSION_COOKIE_NAME not in response.cookies


# --- Each symptom, reproduced ---------------------------------------------------


@symptom_views
class TestNestedChange:
    def test_a_nested_change_is_not_saved(self, client, db_engine):
        """The middleware saves only a modified session: the old value stays."""
        client.get("/store/")
        client.get("/nested/")
        assert client.get("/read/").content == b"{'tea': 1}"

    def test_marking_it_modified_saves_it(self, client, db_engine):
        client.get("/store/")
        client.get("/nested-fixed/")
        assert client.get("/read/").content == b"{'tea': 5}"

    def test_session_store_does_not_see_the_change(self, db):
        """modified stays False after a change inside a stored dict."""
        store = DbStore()
        store["cart"] = {"tea": 1}
        store.save()
        loaded = DbStore(session_key=store.session_key)
        loaded["cart"]["tea"] = 5
        assert loaded.modified is False
        assert DbStore(session_key=store.session_key)["cart"] == {"tea": 1}


@symptom_views
class TestCookieFlags:
    def test_django_sends_a_secure_cookie_over_http(self, client, db_engine, settings):
        """Django does not refuse: it is the browser that drops the cookie."""
        settings.SESSION_COOKIE_SECURE = True
        response = client.get("/store/", secure=False)
        assert response.cookies[settings.SESSION_COOKIE_NAME]["secure"] is True

    def test_django_sends_samesite_none_without_secure(
        self, client, db_engine, settings
    ):
        """The cookie the browser drops: SameSite=None and no Secure."""
        settings.SESSION_COOKIE_SAMESITE = "None"
        response = client.get("/store/")
        cookie = response.cookies[settings.SESSION_COOKIE_NAME]
        assert cookie["samesite"] == "None"
        assert not cookie["secure"]
        assert "SameSite=None" in cookie.output()
        assert "Secure" not in cookie.output()

    def test_the_cookie_has_no_domain_by_default(self, client, db_engine):
        """No Domain: the browser sends it back to this exact host only."""
        response = client.get("/store/")
        assert response.cookies[settings.SESSION_COOKIE_NAME]["domain"] == ""

    def test_session_cookie_domain_shares_it_with_subdomains(
        self, client, db_engine, settings
    ):
        settings.SESSION_COOKIE_DOMAIN = "example.com"
        response = client.get("/store/")
        assert response.cookies[settings.SESSION_COOKIE_NAME]["domain"] == (
            "example.com"
        )


class TestLoggedOutOnRestart:
    def test_a_cleared_cache_loses_the_session(self, settings):
        """The cache engine: a restart of the local-memory cache (or an
        eviction) leaves a key that loads nothing; a new key is made."""
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
        store = CacheStore()
        store["cart"] = {"tea": 1}
        store.save()
        key = store.session_key
        caches[settings.SESSION_CACHE_ALIAS].clear()
        loaded = CacheStore(session_key=key)
        assert loaded.load() == {}
        assert loaded.session_key != key

    def test_another_secret_key_reads_an_empty_session(
        self, client, settings, db, caplog
    ):
        """Saved under one key, read under another: "Session data corrupted"
        in the log, and an empty session."""
        settings.SECRET_KEY = "the-key-of-server-one-" + "a" * 30
        store = DbStore()
        store["cart"] = {"tea": 1}
        store.save()
        settings.SECRET_KEY = "the-key-of-server-two-" + "b" * 30
        with caplog.at_level(logging.WARNING, "django.security.SuspiciousSession"):
            assert DbStore(session_key=store.session_key).load() == {}
        assert "Session data corrupted" in caplog.messages
        # The page's question quotes the warning Django logged, word for word.
        symptom = parse(client.get(PAGE)).by_id("symptom-session-data-corrupted")
        assert f'"{caplog.messages[-1]}"' in symptom.find("h2").get_text()

    def test_the_old_key_in_fallbacks_still_reads_it(self, settings, db):
        old = "the-key-of-server-one-" + "a" * 30
        settings.SECRET_KEY = old
        store = DbStore()
        store["cart"] = {"tea": 1}
        store.save()
        settings.SECRET_KEY = "the-key-of-server-two-" + "b" * 30
        settings.SECRET_KEY_FALLBACKS = [old]
        assert DbStore(session_key=store.session_key).load() == {"cart": {"tea": 1}}


class TestTwoTabs:
    def test_the_last_save_wins(self, db):
        """Two requests load the same session; each saves the whole of it."""
        store = DbStore()
        store["cart"] = {}
        store.save()
        tab_one = DbStore(session_key=store.session_key)
        tab_two = DbStore(session_key=store.session_key)
        tab_one["cart"] = {**tab_one["cart"], "tea": 1}
        tab_two["cart"] = {**tab_two["cart"], "cake": 1}
        tab_one.save()
        tab_two.save()
        assert DbStore(session_key=store.session_key)["cart"] == {"cake": 1}


@symptom_views
class TestSessionInterrupted:
    def test_a_write_after_a_logout_elsewhere_answers_400(self, client, db_engine):
        client.get("/store/")
        response = client.get("/interrupted/")
        assert response.status_code == 400
        assert not Session.objects.exists()


class TestDatetime:
    def test_saving_a_datetime_raises_type_error(self, client, db):
        """The exact message learners paste into a search box, and the one the
        page's question quotes."""
        store = DbStore()
        store["when"] = datetime(2026, 1, 1, 12, 0)
        with pytest.raises(TypeError) as raised:
            store.save()
        assert str(raised.value) == "Object of type datetime is not JSON serializable"
        symptom = parse(client.get(PAGE)).by_id("symptom-datetime-not-serializable")
        assert f"TypeError: {raised.value}" in symptom.find("h2").get_text()

    def test_an_iso_string_comes_back(self, db):
        when = datetime(2026, 1, 1, 12, 0)
        store = DbStore()
        store["when"] = when.isoformat()
        store.save()
        text = DbStore(session_key=store.session_key)["when"]
        assert datetime.fromisoformat(text) == when


@symptom_views
class TestLogoutByGet:
    def test_get_answers_405_and_keeps_the_session(self, client, db_engine):
        client.get("/store/")
        response = client.get("/logout/")
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert client.get("/read/").content == b"{'tea': 1}"


@symptom_views
class TestFirstVisit:
    def test_session_key_is_none_for_a_new_visitor(self, client, db_engine):
        assert client.get("/key/").content == b"None"

    def test_brackets_raise_key_error_on_a_first_visit(self, client, db_engine):
        with pytest.raises(KeyError):
            client.get("/brackets/")

    def test_get_gives_none_instead(self, client, db_engine):
        assert client.get("/read/").content == b"None"


@symptom_views
class TestAsyncView:
    @pytest.fixture(autouse=True)
    def sync_checks_on(self, monkeypatch):
        """Django's async-safety check, even if something set the escape hatch."""
        monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)

    @pytest.mark.django_db(transaction=True)
    def test_a_sync_read_raises_synchronous_only_operation(self, settings):
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
        client = AsyncClient(raise_request_exception=True)
        async_to_sync(client.get)("/store/")
        with pytest.raises(SynchronousOnlyOperation):
            async_to_sync(client.get)("/async-sync/")

    @pytest.mark.django_db(transaction=True)
    def test_aget_reads_it(self, settings):
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
        client = AsyncClient()
        async_to_sync(client.get)("/store/")
        response = async_to_sync(client.get)("/async/")
        assert response.content == b"{'tea': 1}"


@symptom_views
class TestLoginPageAfterExpiry:
    def test_an_expired_session_redirects_to_the_login_page(
        self, client, db_engine, settings
    ):
        """A script that follows the redirect gets the login page: HTML, 200."""
        settings.LOGIN_URL = "/login/"
        user = User.objects.create_user("ada", password="a long passphrase")
        client.force_login(user)
        assert client.get("/private/").status_code == 200
        Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
        response = client.get("/private/")
        assert response.status_code == 302
        assert urlsplit(response["Location"]).path == "/login/"
        followed = client.get("/private/", follow=True)
        assert followed.status_code == 200
        assert followed["Content-Type"].startswith("text/html")
        assert followed.redirect_chain[-1][0].startswith("/login/")
