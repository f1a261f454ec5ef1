"""{% per_process %} (myapp/templatetags/fragments.py): the frame of a lesson
page rendered once per process, never stale after a template or settings
change, and never one lesson's frame on another lesson's page."""

import itertools

import pytest
from django.template import Context, Engine
from django.test import override_settings
from django.urls import reverse, set_script_prefix

from myapp.course import live_lessons
from tests.html import parse

PART = (
    "{% load fragments %}"
    "{% per_process name %}{{ name }} {{ count }}{% endper_process %}"
)


class Counter:
    """A value that says how often the template read it."""

    def __init__(self):
        self.reads = itertools.count(1)

    def __str__(self):
        return str(next(self.reads))


def engine(templates):
    """An engine with Django's cached loader over templates held in memory, as
    runserver's autoreload sees them: reset() forgets the compiled ones."""
    return Engine(
        loaders=[
            (
                "django.template.loaders.cached.Loader",
                [("django.template.loaders.locmem.Loader", templates)],
            )
        ],
        libraries={"fragments": "myapp.templatetags.fragments"},
    )


def render(template, **context):
    return template.render(Context(context))


class TestPerProcess:
    def test_renders_once_for_each_value_it_varies_on(self):
        template = engine({"part.html": PART}).get_template("part.html")
        count = Counter()
        assert render(template, name="a", count=count) == "a 1"
        assert render(template, name="a", count=count) == "a 1"
        assert render(template, name="b", count=count) == "b 2"
        assert render(template, name="a", count=count) == "a 1"

    def test_a_reloaded_template_starts_empty(self):
        """What runserver does when a template changes: the cached loader is
        reset and the template compiled again."""
        templates = {"part.html": PART}
        cached = engine(templates)
        count = Counter()
        assert render(cached.get_template("part.html"), name="a", count=count) == "a 1"
        templates["part.html"] = PART.replace("{{ name }} ", "{{ name }}: ")
        cached.template_loaders[0].reset()
        assert render(cached.get_template("part.html"), name="a", count=count) == "a: 2"

    def test_a_settings_change_forgets_every_part(self):
        template = engine({"part.html": PART}).get_template("part.html")
        count = Counter()
        assert render(template, name="a", count=count) == "a 1"
        with override_settings(SESSION_COOKIE_AGE=60):
            assert render(template, name="a", count=count) == "a 2"

    def test_each_script_prefix_has_its_own_part(self):
        """A site served under a path prefix links under it."""
        source = (
            "{% load fragments %}"
            "{% per_process %}{% url 'myapp:index' %}{% endper_process %}"
        )
        template = engine({"part.html": source}).get_template("part.html")
        try:
            set_script_prefix("/course/")
            assert render(template) == "/course/"
            set_script_prefix("/")
            assert render(template) == "/"
        finally:
            set_script_prefix("/")


@pytest.mark.parametrize("engine_settings", ["db", "cookies"])
def test_the_footer_names_the_running_engine(client, db, settings, engine_settings):
    """The footer is kept per process, and still follows a settings change."""
    client.get(reverse("myapp:index"))
    engines = {
        "db": "django.contrib.sessions.backends.db",
        "cookies": "django.contrib.sessions.backends.signed_cookies",
    }
    settings.SESSION_ENGINE = engines[engine_settings]
    page = parse(client.get(reverse("myapp:index")))
    assert page.text("footer-engine") == engines[engine_settings].rsplit(".", 1)[1]


def test_every_lesson_page_keeps_its_own_frame(client, db):
    """Pages served one after another in one process: each has its own title,
    neighbours and place in the code."""
    lessons = live_lessons()
    for index, lesson in enumerate(lessons):
        page = parse(client.get(lesson.url))
        (title,) = page.select("h1")
        assert title.get_text() == f"{lesson.number}. {lesson.title}"
        previous = page.by_id("pager-bottom").select_one("a[rel=prev]")
        if index == 0:
            assert previous is None
        else:
            assert previous["href"] == lessons[index - 1].url
        tests = page.by_id("where-in-code").get_text()
        assert lesson.test_path in tests
