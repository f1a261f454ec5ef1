"""{% per_process %} (myapp/templatetags/fragments.py): the frame and core of a lesson
page rendered once per process, never stale after a template or settings
change, and never one lesson's frame on another lesson's page."""

import itertools

import pytest
from django.template import Context, Engine, Node, Template
from django.template.base import Variable
from django.template.defaulttags import ForNode, WithNode
from django.template.library import InclusionNode
from django.template.loader import get_template
from django.template.loader_tags import BlockNode
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


# --- What a part kept per process may read -----------------------------------

# The values lesson views hand the core of a page ("What to know"), each
# fixed by the settings or a constant: the core is rendered once per process,
# so a value that changed between requests would be shown stale.
FIXED_VALUES = {
    "lesson",  # the Lesson itself (myapp/course.py)
    "session_app",  # lesson 2: "django.contrib.sessions"
    "test_key",  # lesson 13: the test cookie's key, a Django constant
    "session_cookie_name",  # settings.SESSION_COOKIE_NAME
    "toolbar_enabled",  # settings.DEBUG_TOOLBAR
}


def names_read(node):
    """The context names a template node reads, its children included, less
    the names it binds itself ({% for x in ... %}, {% with x=... %})."""
    # Every context starts with these (django.template.context.BaseContext).
    read, bound, seen = set(), {"forloop", "True", "False", "None"}, set()

    def visit(value):
        if id(value) in seen or isinstance(value, (str, int, float, type(None))):
            return
        seen.add(id(value))
        if isinstance(value, Variable):
            if value.lookups:  # None for a literal
                read.add(value.lookups[0])
            return
        if isinstance(value, ForNode):
            bound.update(value.loopvars)
        if isinstance(value, WithNode):
            bound.update(value.extra_context)
        if isinstance(value, (list, tuple)):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)
        elif type(value).__module__.startswith(("django.template", "myapp")):
            # Nodes keep their parts in __dict__, FilterExpression in __slots__.
            parts = {**getattr(value, "__dict__", {})}
            parts.update(
                (slot, getattr(value, slot, None))
                for slot in getattr(type(value), "__slots__", ())
            )
            for name, part in parts.items():
                # Not into where the template came from: that is every template.
                if name not in ("origin", "token"):
                    visit(part)

    visit(node)
    return read - bound


def lesson_core(lesson):
    """The compiled {% block explanation %} of a lesson's template."""
    template = get_template(lesson.template_name).template
    (block,) = [
        node
        for node in template.nodelist.get_nodes_by_type(BlockNode)
        if node.name == "explanation"
    ]
    return block


def test_the_walker_finds_names_in_tags_and_filters():
    """Guard of the guard: names in {{ }}, {% if %}, {% for %} and filter
    arguments are found; loop variables and literals are not."""
    source = (
        "{% block explanation %}{{ a.b }}{% if c and not d %}{{ 'x' }}{% endif %}"
        "{% for item in e %}{{ item|default:f }}{% endfor %}{% endblock %}"
    )
    (block,) = Template(source).nodelist.get_nodes_by_type(BlockNode)
    assert names_read(block) == {"a", "c", "d", "e", "f"}


@pytest.mark.parametrize("lesson", live_lessons(), ids=lambda lesson: lesson.slug)
def test_a_lessons_core_reads_only_fixed_values(lesson):
    """templates/lesson.html keeps "What to know" per process: it may read
    only values fixed by the settings. Something that changes between
    requests (the session, the database, a benchmark file) belongs in the
    demo or in Go deeper; a new fixed value is added to FIXED_VALUES."""
    assert names_read(lesson_core(lesson)) <= FIXED_VALUES


# The tags a core may use: none reads the request, the session or the time
# on its own ({% csrf_token %}, {% now %} or a takes_context tag would).
FIXED_TAGS = {
    "TextNode",
    "VariableNode",
    "IfNode",
    "ForNode",
    "WithNode",
    "URLNode",
    "TemplateTagNode",
    "CommentNode",
    "excerpt",  # an inclusion tag: the running code, kept per file version
}


def tags_used(block):
    return {
        node.func.__name__ if isinstance(node, InclusionNode) else type(node).__name__
        for node in block.nodelist.get_nodes_by_type(Node)
    }


@pytest.mark.parametrize("lesson", live_lessons(), ids=lambda lesson: lesson.slug)
def test_a_lessons_core_uses_only_tags_that_read_no_request(lesson):
    """A tag can read the request without naming it: {% csrf_token %} takes
    the token from the context. The core may use only the tags listed."""
    assert tags_used(lesson_core(lesson)) <= FIXED_TAGS


def test_the_tag_check_sees_a_csrf_token():
    (block,) = Template(
        "{% block explanation %}<form>{% csrf_token %}</form>{% endblock %}"
    ).nodelist.get_nodes_by_type(BlockNode)
    assert tags_used(block) == {"TextNode", "CsrfTokenNode"}


def test_a_lessons_core_follows_a_settings_change(client, db, settings):
    """Lesson 1's core names the session cookie: kept per process, and still
    the running setting's name after a change."""
    url = reverse("myapp:what-is-a-session")
    assert "sessionid" in parse(client.get(url)).text("explanation")
    settings.SESSION_COOKIE_NAME = "crumb"
    core = parse(client.get(url)).text("explanation")
    assert "crumb" in core
    assert "sessionid" not in core
