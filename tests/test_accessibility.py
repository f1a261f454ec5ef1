"""Phones and accessibility, in a real Chromium: every page of the course, and
every page its demos lead to, fits a 390-pixel phone and passes axe-core with
no serious or critical violation; demos work with the keyboard alone.

One walk per lesson, at phone size: the page, then each demo form (each of
its buttons) and demo link in turn, as a learner would click through them.
Every page landed on is measured; axe runs once per distinct landing (the
same page with the same fragment is the same check). Marked `browser`;
under CI=true these must run.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from myapp.course import live_lessons
from myapp.lessons.visit_counter import VISITS_KEY
from tests.test_demo_returns import runs_demo_of

# The walk is the longest part of the suite: two halves, each with its own
# site and browser, can run on two workers at once.
pytestmark = [pytest.mark.browser, pytest.mark.split_in(2)]

LIVE = live_lessons()
PHONE = {"width": 390, "height": 844}
BLOCKING = ("serious", "critical")
# A walk stops after this many demo actions: some pages add a form per row.
MAX_ACTIONS = 12
# What a demo does not change on its lesson page, left out of axe's later runs:
# the text and code, and the frame around them (the same on every request).
UNCHANGED = {
    "exclude": [
        [selector]
        for selector in (
            ".site-header",
            ".breadcrumb",
            "#pager-top",
            "#explanation",
            "#deeper",
            "#code",
            "#pager-bottom",
            "#where-in-code",
            ".site-footer",
        )
    ]
}

# The demo forms and links of the lesson's article, in page order, as the
# browser sees them: forms once per submit button.
DEMO_CONTROLS = """(slug) => {
  const article = document.getElementById("lesson-" + slug);
  const demo = document.getElementById("demo");
  const found = [];
  article.querySelectorAll("form").forEach((form, formIndex) => {
    const buttons = [...form.querySelectorAll("button, input")]
      .filter((b) => b.type === "submit" || b.type === "image");
    buttons.forEach((button, buttonIndex) => found.push({
      kind: "form", formIndex, buttonIndex, inDemo: true,
      url: form.getAttribute("action") || location.pathname,
      label: (button.textContent || button.value || "").trim(),
    }));
  });
  article.querySelectorAll("a[href]").forEach((link) => found.push({
    kind: "link", inDemo: demo.contains(link), url: link.getAttribute("href"),
    label: link.textContent.trim(),
  }));
  return found;
}"""

# Fill what a learner would type into empty fields and tick a required box,
# then send the form with the chosen button, as a click would. A form the
# browser still finds invalid goes to the server as it is, which answers it.
SUBMIT = """(form, buttonIndex) => {
  const typed = {number: "1", email: "ada@example.com",
                 password: "a long and unusual passphrase"};
  for (const field of form.querySelectorAll("input, textarea")) {
    if (field.type === "radio") {
      const group = form.querySelectorAll(`input[type=radio][name="${field.name}"]`);
      if (![...group].some((r) => r.checked)) field.checked = true;
    } else if (field.type === "checkbox") {
      if (field.required) field.checked = true;
    } else if (["hidden", "submit", "image", "button", "reset", "file"]
               .includes(field.type) || field.value) {
      continue;
    } else {
      field.value = typed[field.type] || field.min || "demo";
    }
  }
  if (!form.checkValidity()) form.noValidate = true;
  const buttons = [...form.querySelectorAll("button, input")]
    .filter((b) => b.type === "submit" || b.type === "image");
  form.requestSubmit(buttons[buttonIndex]);
}"""


@dataclass
class Landing:
    """One page as the learner saw it, and what was found on it."""

    how: str
    url: str
    scroll_width: int = 0
    violations: list = field(default_factory=list)
    error: str = ""  # the demo control could not be used

    def overflow(self):
        if self.error:
            return f"{self.how}: {self.error}"
        if self.scroll_width > PHONE["width"]:
            return f"{self.how}: {self.url} is {self.scroll_width} px wide"
        return None

    def blocking(self):
        if self.error:
            return [f"{self.how}: {self.error}"]
        return [
            f"{self.how}: {self.url}: {v['id']} ({v['impact']}) {v['help']}: "
            + "; ".join(", ".join(node["target"]) for node in v["nodes"][:5])
            for v in self.violations
            if v["impact"] in BLOCKING
        ]


class Walker:
    """Opens pages in one phone-sized browser context and measures each."""

    def __init__(self, site, browser):
        self.site = site
        self.browser = browser
        self.axe = Axe()

    def measure(self, page, how, axe=True, scope=None):
        """Measure the page's width; run axe on it (or on scope, a part)."""
        landing = Landing(
            how, page.url, page.evaluate("document.documentElement.scrollWidth")
        )
        if axe:
            result = self.axe.run(page, context=scope)
            landing.violations = result.response["violations"]
        return landing

    def page(self, path):
        context = self.browser.new_context(viewport=PHONE)
        page = context.new_page()
        page.goto(self.site + path)
        try:
            return [self.measure(page, "the page")]
        finally:
            context.close()

    def lesson(self, lesson):
        """The lesson page, then every demo control in turn, back on the
        lesson page before each one."""
        context = self.browser.new_context(viewport=PHONE)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(self.site + lesson.url)
        landings = [self.measure(page, "the lesson page")]
        checked = {(lesson.url, "")}
        done = set()
        article = f"#lesson-{lesson.slug}"
        for _ in range(MAX_ACTIONS):
            if not page.locator(article).count():
                page.goto(self.site + lesson.url)
            controls = [
                control
                for control in page.evaluate(DEMO_CONTROLS, lesson.slug)
                if runs_demo_of(lesson, control["url"], control["inDemo"])
                and (control["kind"], control["url"], control["label"]) not in done
            ]
            if not controls:
                break
            control = controls[0]
            done.add((control["kind"], control["url"], control["label"]))
            how = f"after {control['label']!r} ({control['url']})"
            try:
                self.run(page, lesson, control)
            except PlaywrightError as error:
                first_line = str(error).splitlines()[0]
                landings.append(Landing(how, page.url, error=first_line))
                page.goto(self.site + lesson.url)
                continue
            parts = urlsplit(page.url)
            landing = (parts.path, parts.fragment)
            # Back on the lesson page, only the demo and the inspector changed:
            # the text and the code around them were checked on the first load.
            unchanged = UNCHANGED if page.locator(article).count() else None
            axe = landing not in checked
            landings.append(self.measure(page, how, axe=axe, scope=unchanged))
            checked.add(landing)
        context.close()
        return landings

    def run(self, page, lesson, control):
        if control["kind"] == "link":
            page.goto(self.site + control["url"])
            return
        form = page.locator(f"#lesson-{lesson.slug} form").nth(control["formIndex"])
        with page.expect_navigation():
            form.evaluate(SUBMIT, control["buttonIndex"])


# What each walk found, kept for the whole run: pytest-xdist may run other
# tests between a page's overflow test and its axe test, and then this
# module's site and browser start again, but the walk is not done twice.
WALKED = {}


@pytest.fixture(scope="module")
def walks(site, browser):
    """Each lesson walked once, shared by the overflow and the axe tests."""
    walker = Walker(site, browser)

    def walk(target):
        if target not in WALKED:
            is_path = isinstance(target, str)
            WALKED[target] = walker.page(target) if is_path else walker.lesson(target)
        return WALKED[target]

    return walk


# The course's own pages beyond the lessons: the index, the lesson list a
# wrong address gets, the seed pages every lesson's header links to, and
# "Why is my session…?".
FRAME_PAGES = [
    "/",
    "/lessons/nope/",
    "/gsession",
    "/login/",
    "/home/",
    "/troubleshooting/",
]
PAGES = FRAME_PAGES + LIVE
PAGE_IDS = FRAME_PAGES + [lesson.slug for lesson in LIVE]


@pytest.mark.parametrize("target", PAGES, ids=PAGE_IDS)
def test_no_page_overflows_a_phone(walks, target):
    """At 390 pixels nothing is wider than the screen: long code, tables and
    URLs wrap or scroll inside their own box, demo results included."""
    too_wide = [landing.overflow() for landing in walks(target)]
    too_wide = [line for line in too_wide if line]
    assert not too_wide, "\n".join(too_wide)


@pytest.mark.parametrize("target", PAGES, ids=PAGE_IDS)
def test_axe_finds_no_serious_violation(walks, target):
    """axe-core on each page and each demo result: no serious or critical
    violation."""
    found = [line for landing in walks(target) for line in landing.blocking()]
    assert not found, "\n".join(found)


def tab_to(page, selector, limit=80):
    """Press Tab until the element matching selector has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {selector}")


def enter(page):
    """Press Enter on the focused link or button and wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def stored_value(page, key):
    """The value the session inspector shows for a key ('' when absent)."""
    return page.evaluate(
        """(key) => {
          const rows = [...document.querySelectorAll("#inspector-items tbody tr")];
          const row = rows.find((r) => r.cells[0].textContent.trim() === key);
          return row ? row.querySelector("td").textContent.trim() : "";
        }""",
        key,
    )


def jump_to_the_demo(page):
    """From the top of a lesson: Tab to "Try it", Enter. The next Tab starts
    inside the demo."""
    tab_to(page, "#pager-top a.jump")
    page.keyboard.press("Enter")
    # The key press returns before Chromium follows the link: wait for it.
    expect(page).to_have_url(re.compile(r"#demo$"))


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE)
    yield context.new_page()
    context.close()


class TestKeyboardAlone:
    """Three demos driven with Tab and Enter, as a learner without a mouse."""

    def test_first_session_sets_and_comes_back(self, site, page):
        page.goto(site + "/lessons/first-session/")
        jump_to_the_demo(page)
        tab_to(page, '#demo a[href="/ssession"]')
        enter(page)
        assert urlsplit(page.url).path == "/ssession"
        tab_to(page, 'main a[href^="/lessons/first-session/#"]')
        enter(page)
        assert urlsplit(page.url).path == "/lessons/first-session/"
        assert stored_value(page, "sname") == '"irfan"'

    def test_visit_counter_counts_and_resets(self, site, page):
        page.goto(site + "/lessons/visit-counter/")
        jump_to_the_demo(page)
        tab_to(page, '#demo a[href^="/lessons/visit-counter/count/"]')
        enter(page)
        tab_to(page, 'main a[href^="/lessons/visit-counter/#"]')
        enter(page)
        assert stored_value(page, VISITS_KEY) == "1"
        tab_to(page, '#demo form[action^="/lessons/visit-counter/reset/"] button')
        enter(page)
        assert stored_value(page, VISITS_KEY) == ""
        assert urlsplit(page.url).fragment  # back on the demo, not the top

    def test_preferences_saves_a_theme(self, site, page):
        """A radio group takes its choice from the arrow keys, as browsers do."""
        page.goto(site + "/lessons/preferences/")
        jump_to_the_demo(page)
        tab_to(page, "#theme-form input[type=radio]")
        page.keyboard.press("ArrowDown")
        tab_to(page, "#theme-form button")
        enter(page)
        assert page.locator("html").get_attribute("data-theme") == "dark"
        assert urlsplit(page.url).fragment == "demo"
