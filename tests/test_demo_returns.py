"""Every demo returns to its demo: each form and link that runs a lesson's demo
lands the learner on the demo or its result, never at the top of a long page
or on a page with no way back.

The rule, as a browser applies it: a redirect's Location with a fragment
(``#demo``) scrolls there; a Location without one keeps the fragment of the
form's action or the link. So whatever the chain of redirects, the fragment
in force at the end must name an element of the page it lands on. A result
page of its own (not the lesson's page) must also link back to the lesson.

Run with DEBUG on, as ``make run`` serves the course: a demo that ends in an
error must show the course's own page for it, not Django's technical page.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve

from myapp.course import lesson_for_url_name, live_lessons
from tests.html import parse

LIVE = live_lessons()

# What a learner would type into an empty field, so a form is sent as filled in.
TYPED = {"number": "1", "password": "a long and unusual passphrase"}
TYPED_TEXT = "demo"
SUBMIT_TYPES = ("submit", "image")


@dataclass
class Target:
    """One way the page runs its demo: a form (per submit button) or a link."""

    method: str
    url: str
    label: str
    data: dict = field(default_factory=dict)

    @property
    def key(self):
        return (self.method, urlsplit(self.url).path, tuple(sorted(self.data)))


def runs_demo_of(lesson, url, in_demo):
    """Whether this URL runs the lesson's demo: one of its demo URLs, or its
    own page when reached from inside the demo section."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path:
        return False  # another site, or "#id": a jump within the page
    path = parts.path
    try:
        match = resolve(path)
    except Resolver404:
        return True  # a demo link to nowhere: checked, and reported
    if match.namespace != "myapp":
        return False
    owner, kind = lesson_for_url_name(match.url_name)
    return owner == lesson and (kind == "demo" or in_demo)


def form_fields(form):
    """The values a browser sends for this form, empty fields filled in."""
    data = {}
    for element in form.find_all(["input", "select", "textarea"]):
        name = element.get("name")
        kind = element.get("type", "text")
        if not name or kind in (*SUBMIT_TYPES, "button", "reset"):
            continue
        if element.name == "select":
            options = element.find_all("option")
            chosen = [o for o in options if o.has_attr("selected")] or options[:1]
            data[name] = chosen[0].get("value", chosen[0].get_text()) if chosen else ""
        elif kind in ("checkbox", "radio"):
            # A required checkbox ("I understand") is ticked, as a learner would.
            ticked = element.has_attr("checked") or element.has_attr("required")
            if ticked or (kind == "radio" and name not in data):
                data[name] = element.get("value", "on")
        elif element.name == "textarea":
            data[name] = element.get_text() or TYPED_TEXT
        else:
            data[name] = element.get("value") or TYPED.get(kind, TYPED_TEXT)
    return data


def submit_buttons(form):
    buttons = form.find_all("button") + form.find_all("input", type=SUBMIT_TYPES)
    return [b for b in buttons if b.get("type", "submit") in SUBMIT_TYPES]


def demo_targets(lesson, page):
    """Every form and link in the lesson's article that runs its demo."""
    article = page.by_id(f"lesson-{lesson.slug}")
    demo = page.by_id("demo")
    targets = []
    for form in article.find_all("form"):
        action = form.get("action") or lesson.url
        if not runs_demo_of(lesson, action, in_demo=True):
            continue
        method = form.get("method", "get").lower()
        data = form_fields(form)
        buttons = submit_buttons(form) or [None]
        for button in buttons:
            sent = dict(data)
            label = "form"
            if button is not None:
                label = " ".join(button.get_text(" ").split()) or button.get("value")
                if button.get("name"):
                    sent[button["name"]] = button.get("value", "")
            targets.append(Target(method, action, f"{label!r} ({action})", sent))
    for link in article.find_all("a", href=True):
        in_demo = demo in link.parents
        if runs_demo_of(lesson, link["href"], in_demo):
            label = " ".join(link.get_text(" ").split())
            targets.append(Target("get", link["href"], f"{label!r} ({link['href']})"))
    return targets


# What Chromium sends when it navigates: a page asks for HTML.
BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
    "image/webp,image/apng,*/*;q=0.8"
)


def follow(client, lesson, target):
    """Run the target as a browser would; return the last response and the
    fragment in force on it."""
    parts = urlsplit(target.url)
    path = parts.path or lesson.url
    headers = {"Accept": BROWSER_ACCEPT}
    if target.method == "post":
        response = client.post(path, target.data, follow=True, headers=headers)
    else:
        query = parts.query and f"?{parts.query}"
        response = client.get(
            path + query, target.data or None, follow=True, headers=headers
        )
    fragment = parts.fragment
    for location, _status in response.redirect_chain:
        fragment = urlsplit(location).fragment or fragment
    return response, fragment


def landing_problems(lesson, target, response, fragment):
    """What keeps the learner from the demo after this target, as sentences."""
    landed = response.request["PATH_INFO"]
    where = f"{target.label} lands on {landed} ({response.status_code})"
    if not response.get("Content-Type", "").startswith("text/html"):
        return [f"{where}: a bare {response['Content-Type']} page, no way back"]
    try:
        page = parse(response)
    except AssertionError as error:
        return [f"{where}: the page is not well formed: {error}"]
    # The lesson's page, at its own URL or re-rendered at the form's (errors).
    on_lesson_page = page.has_id(f"lesson-{lesson.slug}")
    problems = []
    if fragment and not page.has_id(fragment):
        problems.append(f"{where}: no element with id {fragment!r} there")
    if not fragment and on_lesson_page:
        problems.append(f"{where}: no fragment, so at the top of the lesson page")
    if not on_lesson_page:
        back = [
            href
            for href in page.links()
            if urlsplit(href).path == lesson.url and urlsplit(href).fragment
        ]
        if not back:
            problems.append(f"{where}: no link back to {lesson.url}#...")
    return problems


@pytest.fixture
def debug_client(client, settings):
    """The test client against the course as `make run` serves it: DEBUG on,
    and an exception in a view answered with its page, not raised here."""
    settings.DEBUG = True
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("lesson", LIVE, ids=[lesson.slug for lesson in LIVE])
def test_every_demo_returns_to_its_demo(debug_client, transactional_db, lesson):
    """Each form (each of its buttons) and each demo link, run in page order,
    then those the first round revealed: all land on the demo or a result."""
    seen, problems = set(), []
    for _round in range(2):
        page = parse(debug_client.get(lesson.url))
        targets = [t for t in demo_targets(lesson, page) if t.key not in seen]
        for target in targets:
            seen.add(target.key)
            response, fragment = follow(debug_client, lesson, target)
            problems += landing_problems(lesson, target, response, fragment)
    assert seen, f"{lesson.url} runs no demo from a form or a link"
    assert not problems, "\n".join(problems)
