"""End to end in a real Chromium: what a learner does, as a browser does it.

Marked `browser`; under CI=true these must run (.ci/run installs chromium).
"""

import re

import pytest
from playwright.sync_api import expect

from myapp.course import live_lessons
from tests.browser import live_site, persistent_cookies

pytestmark = pytest.mark.browser


def session_cookie(context):
    cookies = [c for c in context.cookies() if c["name"] == "sessionid"]
    return cookies[0] if cookies else None


class TestCourseIndex:
    def test_every_live_lesson_opens_from_the_index(self, site, page):
        """Follow each lesson link on /: each page has its title and inspector."""
        page.goto(site + "/")
        for lesson in live_lessons():
            page.goto(site + "/")
            page.locator(f"#index-{lesson.slug} a").click()
            page.wait_for_url(site + lesson.url)
            assert page.locator("h1").inner_text() == f"{lesson.number}. {lesson.title}"
            assert page.locator("#inspector").is_visible()

    def test_progress_on_the_index(self, site, page):
        """A learner starts at the index: it records nothing, but sets the CSRF
        cookie. The browser brings it back with the lesson page it opens next,
        so that page is recorded, and the index lists it."""
        page.goto(site + "/")
        assert page.locator("#progress-first-visit").is_visible()
        assert "opened" not in page.locator("#index-first-session").inner_text()
        page.goto(site + "/lessons/first-session/")
        page.goto(site + "/")
        assert "opened" in page.locator("#index-first-session").inner_text()
        assert not page.locator("#progress-first-visit").count()

    def test_keyboard_reaches_the_skip_link_first(self, site, page):
        page.goto(site + "/")
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent")
        assert focused.strip() == "Skip to content"
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"#main$"))


class TestFirstSession:
    def test_ssession_then_gsession(self, site, page):
        page.goto(site + "/gsession")
        assert "No session values yet" in page.locator("#message").inner_text()
        page.goto(site + "/ssession")
        assert "session is set" in page.locator("#message").inner_text()
        page.goto(site + "/gsession")
        assert page.locator("#student-name").inner_text() == "irfan"
        assert page.locator("#student-email").inner_text() == "irfan@example.com"


class TestLoginForm:
    def test_login_then_logout_with_the_button(self, site, page):
        page.goto(site + "/login/")
        page.get_by_label("Your name").fill("Ada <b>Lovelace</b>")
        page.get_by_role("button", name="Login").click()
        page.wait_for_url(site + "/home/")
        assert page.locator("#welcome").inner_text() == "Welcome, Ada <b>Lovelace</b>!"
        assert page.locator("#welcome b").count() == 0  # escaped, not markup
        key_before = session_cookie(page.context)["value"]

        page.get_by_role("button", name=re.compile("logout", re.I)).click()
        page.wait_for_url(site + "/login/")
        cookie = session_cookie(page.context)
        assert cookie is None or cookie["value"] != key_before
        page.goto(site + "/home/")
        assert page.locator("#welcome").inner_text() == "Welcome, Guest!"

    def test_logout_link_changes_nothing(self, site, page):
        page.goto(site + "/login/")
        page.get_by_label("Your name").fill("Ada")
        page.get_by_role("button", name="Login").click()
        page.wait_for_url(site + "/home/")
        response = page.goto(site + "/logout/")
        assert response.status == 405
        page.goto(site + "/home/")
        assert page.locator("#welcome").inner_text() == "Welcome, Ada!"

    def test_empty_name_shows_a_form_error(self, site, page):
        page.goto(site + "/login/")
        page.get_by_label("Your name").fill("   ")
        with page.expect_navigation():  # the form comes back with its error
            page.get_by_role("button", name="Login").click()
        expect(page.locator(".errorlist")).to_be_visible()
        assert session_cookie(page.context) is None


class TestCookies:
    def test_page_script_cannot_read_the_session_cookie(self, site, page):
        """HttpOnly: the browser keeps sessionid but document.cookie lacks it."""
        page.goto(site + "/ssession")
        assert session_cookie(page.context)["httpOnly"] is True
        assert "sessionid" not in page.evaluate("document.cookie")

    def test_persistent_cookie_survives_a_browser_restart(self, site, browser):
        """Django's default: the cookie has an expiry, a new browser keeps it."""
        first = browser.new_context()
        first.new_page().goto(site + "/ssession")
        kept = persistent_cookies(first)
        first.close()

        restarted = browser.new_context()
        restarted.add_cookies(kept)
        page = restarted.new_page()
        page.goto(site + "/gsession")
        assert page.locator("#student-name").inner_text() == "irfan"
        restarted.close()


class TestExpireAtBrowserClose:
    def test_a_new_browser_loses_the_session(self, browser):
        """With SESSION_EXPIRE_AT_BROWSER_CLOSE the cookie has no expiry: a
        browser restart drops it, and the session with it."""
        with live_site("sitecore.settings.browser_close") as site:
            first = browser.new_context()
            first.new_page().goto(site + "/ssession")
            assert session_cookie(first)["expires"] == -1
            kept = persistent_cookies(first)
            first.close()

            restarted = browser.new_context()
            if kept:
                restarted.add_cookies(kept)
            page = restarted.new_page()
            page.goto(site + "/gsession")
            assert "No session values yet" in page.locator("#message").inner_text()
            restarted.close()


class TestShoppingCart:
    def test_fixed_cart_keeps_both_adds_and_the_broken_one_does_not(self, site, page):
        page.goto(site + "/lessons/shopping-cart/")
        for _ in range(2):
            for name in ("Add one Notebook", "Add one Notebook (broken)"):
                with page.expect_navigation():  # each add is saved before the next
                    page.get_by_role("button", name=name, exact=True).click()
        page.goto(site + "/lessons/shopping-cart/")
        assert page.locator("#quantity-1").input_value() == "2"
        # The second in-place add was never saved: the broken cart says 1.
        assert page.locator("#broken-line-1 td").inner_text() == "1"
        page.get_by_label("Quantity of Notebook").fill("5")
        with page.expect_navigation():  # read the page the update answers with
            page.get_by_role("button", name="Update Notebook").click()
        assert page.locator("#quantity-1").input_value() == "5"


class TestPreferences:
    def test_the_theme_applies_to_every_page(self, site, page):
        page.goto(site + "/lessons/preferences/")
        page.locator("#theme-form").get_by_label("Dark").check()
        with page.expect_navigation():
            page.get_by_role("button", name="Save the theme").click()
        for path in ("/", "/gsession", "/login/", "/lessons/first-session/"):
            page.goto(site + path)
            assert page.locator("html").get_attribute("data-theme") == "dark"
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background != "rgb(253, 253, 251)"  # not the light theme's


class TestActiveSessions:
    def test_two_browsers_are_two_devices(self, browser):
        """Sign up and log in from two contexts on the active engine: each sees
        both sessions, and ending the other one logs that browser out."""
        with live_site("sitecore.settings.active") as site:
            laptop = browser.new_context(user_agent="Laptop browser")
            phone = browser.new_context(user_agent="Phone browser")
            first, second = laptop.new_page(), phone.new_page()
            first.goto(site + "/lessons/authentication/")
            first.fill("#id_signup-username", "ada")
            first.fill("#id_signup-password1", "a long and unusual passphrase")
            first.fill("#id_signup-password2", "a long and unusual passphrase")
            with first.expect_navigation():
                first.get_by_role("button", name="Create the account").click()
            for page in (first, second):
                page.goto(site + "/lessons/authentication/")
                page.fill("#id_login-username", "ada")
                page.fill("#id_login-password", "a long and unusual passphrase")
                with page.expect_navigation():
                    page.get_by_role("button", name="Log in", exact=True).click()

            first.goto(site + "/lessons/active-sessions/")
            rows = first.locator("#active-sessions-table tbody tr")
            assert rows.count() == 2
            assert "this device" in first.locator("#active-sessions-table").inner_text()
            first.get_by_role("button", name="Sign out everywhere else").click()
            expect(first.locator("#active-sessions-table tbody tr")).to_have_count(1)

            second.goto(site + "/lessons/active-sessions/")
            assert second.locator("#active-sessions-table").count() == 0
            laptop.close()
            phone.close()


# Where the text of a page ends on the right: the content edge of the
# header, main and footer, whichever reaches furthest.
TEXT_RIGHT_EDGE = """Math.max(...[...document.querySelectorAll(
  "main, .site-header, .site-footer")].map((element) =>
  element.getBoundingClientRect().right
  - parseFloat(getComputedStyle(element).paddingRight)))"""


@pytest.fixture(scope="module")
def toolbar_site():
    """The course as `make run` serves it: DEBUG on, the toolbar in."""
    with live_site(toolbar=True) as url:
        yield url


class TestDebugToolbar:
    @pytest.mark.parametrize(
        "viewport",
        [{"width": 1280, "height": 800}, {"width": 390, "height": 844}],
        ids=["desktop", "phone"],
    )
    def test_starts_folded_beside_the_text(self, toolbar_site, browser, viewport):
        """A first visit shows only the toolbar's handle, and the handle sits
        in the margin or a gutter of its own, never over the text."""
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(toolbar_site + "/lessons/visit-counter/")
        handle = page.locator("#djDebugToolbarHandle")
        handle.wait_for(state="visible")  # the toolbar's script has run
        assert page.locator("#djDebugToolbar").is_hidden()
        assert handle.bounding_box()["x"] >= page.evaluate(TEXT_RIGHT_EDGE)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width == viewport["width"]  # the gutter widens nothing
        context.close()
