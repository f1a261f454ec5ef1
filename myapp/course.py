"""The course: the one ordered list of lessons, and how a lesson page is rendered.

The index, the previous/next links, progress and the README table all follow
``LESSONS``; nothing else hard-codes the order. A lesson is live once its
module ``myapp/lessons/<slug_with_underscores>.py`` exists; until then the
index lists it as coming.
"""

import importlib
import importlib.util
from dataclasses import dataclass
from functools import cached_property

from django.shortcuts import render
from django.urls import reverse

from myapp.source import source_of

PARTS = (
    "Basics",
    "Worked examples",
    "How sessions work",
    "Production",
    "Async, testing and debugging",
    "Beyond the documentation",
)


@dataclass(frozen=True)
class Lesson:
    number: int
    slug: str
    title: str
    part: str
    summary: str
    # Seed views that belong to this lesson although they live in views.py.
    seed_url_names: tuple = ()
    # Only where tests/test_<slug>.py is taken by something broader.
    test_file: str = ""

    @property
    def module_name(self):
        return f"myapp.lessons.{self.slug.replace('-', '_')}"

    @cached_property
    def available(self):
        return importlib.util.find_spec(self.module_name) is not None

    @cached_property
    def module(self):
        return importlib.import_module(self.module_name)

    @property
    def url(self):
        return reverse(f"myapp:{self.slug}")

    @property
    def shown(self):
        """What the page shows as source: the module's SHOWN, in its order."""
        return getattr(self.module, "SHOWN", ())

    @property
    def template_name(self):
        return f"lessons/{self.slug}.html"

    @property
    def module_path(self):
        return self.module_name.replace(".", "/") + ".py"

    @property
    def test_path(self):
        return self.test_file or f"tests/test_{self.slug.replace('-', '_')}.py"

    def owns(self, url_name):
        """Whether a demo URL name belongs to this lesson (not its page)."""
        return url_name.startswith(f"{self.slug}-") or url_name in self.seed_url_names


LESSONS = (
    Lesson(
        1,
        "what-is-a-session",
        "What is a session?",
        PARTS[0],
        "HTTP forgets; a cookie carries a key, the server keeps the data.",
    ),
    Lesson(
        2,
        "setup",
        "Setting sessions up",
        PARTS[0],
        "The app, the middleware, migrate and the django_session table.",
    ),
    Lesson(
        3,
        "first-session",
        "Your first session",
        PARTS[0],
        "Set two values at /ssession, read them at /gsession, without a KeyError.",
        seed_url_names=("setsession", "getsession"),
    ),
    Lesson(
        4,
        "dictionary-api",
        "The dictionary API",
        PARTS[0],
        "A playground for get, set, del, pop, setdefault, update, clear and flush.",
    ),
    Lesson(
        5,
        "login-form",
        "A login form",
        PARTS[1],
        "Remember a name across pages; log out with POST and flush().",
        seed_url_names=("login", "home", "logout"),
    ),
    Lesson(
        6,
        "visit-counter",
        "A visit counter",
        PARTS[1],
        "The classic counter, right from the first visit.",
    ),
    Lesson(
        7,
        "shopping-cart",
        "A shopping cart",
        PARTS[1],
        "JSON-friendly data, and the nested change Django does not notice.",
    ),
    Lesson(
        8,
        "preferences",
        "Preferences without an account",
        PARTS[1],
        "A theme remembered in the session and applied to every page.",
    ),
    Lesson(
        9,
        "when-sessions-save",
        "When sessions are saved",
        PARTS[2],
        "accessed, modified, Set-Cookie only on change, and Vary: Cookie.",
    ),
    Lesson(
        10,
        "expiry",
        "Expiry",
        PARTS[2],
        "Two weeks by default, from the last change; set_expiry; clearsessions.",
    ),
    Lesson(
        11,
        "engines",
        "Session engines",
        PARTS[2],
        "Where the data lives: a database row, a file, a cache or the cookie.",
        # tests/test_engines.py is the contract every engine settings file keeps.
        test_file="tests/test_engines_lesson.py",
    ),
    Lesson(
        12,
        "serialization",
        "Serialization",
        PARTS[2],
        "JSON only: int keys become strings; dates, Decimals and models fail.",
    ),
    Lesson(
        13,
        "test-cookie",
        "Does the browser accept cookies?",
        PARTS[2],
        "set_test_cookie and test_cookie_worked, across two requests.",
    ),
    Lesson(
        14,
        "outside-views",
        "Sessions outside views",
        PARTS[2],
        "SessionStore in scripts, the Session model and a management command.",
    ),
    Lesson(
        15,
        "scaling-out",
        "More than one server",
        PARTS[3],
        "Which engines share sessions between processes, shown with real servers.",
    ),
    Lesson(
        16,
        "performance",
        "What sessions cost",
        PARTS[3],
        "Each engine's cost per request, measured by the project's benchmark.",
    ),
    Lesson(
        17,
        "security",
        "Security",
        PARTS[3],
        "Fixation, cookie flags, signed cookies, key rotation and check --deploy.",
    ),
    Lesson(
        18,
        "authentication",
        "Authentication",
        PARTS[3],
        "django.contrib.auth on top of sessions: login, logout, password change.",
    ),
    Lesson(
        19,
        "active-sessions",
        "Your active sessions",
        PARTS[3],
        "A custom session model that lists devices and signs out the others.",
    ),
    Lesson(
        20,
        "concurrency",
        "Concurrent requests",
        PARTS[3],
        "Last write wins: lost cart updates, the fix, and SessionInterrupted.",
    ),
    Lesson(
        21,
        "async-views",
        "Async views",
        PARTS[4],
        "aget, aset, apop and aflush in async views.",
    ),
    Lesson(
        22,
        "testing-sessions",
        "Testing sessions",
        PARTS[4],
        "client.session, saving it, and why RequestFactory has no session.",
    ),
    Lesson(
        23,
        "debugging",
        "Debugging sessions",
        PARTS[4],
        "The toolbar's Request panel and 'Session data corrupted'.",
    ),
    Lesson(
        24,
        "session-lifetime",
        "Session lifetime",
        PARTS[5],
        "Remember me, idle timeout and absolute cap: one policy the server enforces.",
    ),
    Lesson(
        25,
        "caching",
        "Sessions and HTTP caching",
        PARTS[5],
        "Vary: Cookie, cache_page, private pages, a page cached for the wrong user.",
    ),
    Lesson(
        26,
        "javascript-clients",
        "Sessions from JavaScript",
        PARTS[5],
        "fetch() with credentials, the CSRF header, and SameSite in a real browser.",
    ),
    Lesson(
        27,
        "own-engine",
        "Write your own session engine",
        PARTS[5],
        "A Redis engine on SessionBase: one GET per load, one SET per save, "
        "Django's rules kept.",
    ),
)

LESSONS_BY_SLUG = {lesson.slug: lesson for lesson in LESSONS}


def live_lessons():
    return [lesson for lesson in LESSONS if lesson.available]


def lesson_for_url_name(url_name):
    """Return (lesson, "page" or "demo") for a URL name, or (None, None)."""
    if url_name in LESSONS_BY_SLUG:
        return LESSONS_BY_SLUG[url_name], "page"
    for lesson in LESSONS:
        if lesson.owns(url_name):
            return lesson, "demo"
    return None, None


def neighbours(lesson):
    """The live lessons before and after this one, in course order."""
    live = live_lessons()
    index = live.index(lesson)
    previous = live[index - 1] if index > 0 else None
    following = live[index + 1] if index + 1 < len(live) else None
    return previous, following


def render_lesson(request, slug, context=None, status=200):
    """Render templates/lessons/<slug>.html inside the shared lesson layout."""
    lesson = LESSONS_BY_SLUG[slug]
    previous, following = neighbours(lesson)
    context = {
        "lesson": lesson,
        "previous_lesson": previous,
        "next_lesson": following,
        "lesson_count": len(LESSONS),
        "sources": [source_of(target) for target in lesson.shown],
        **(context or {}),
    }
    return render(request, lesson.template_name, context, status=status)
