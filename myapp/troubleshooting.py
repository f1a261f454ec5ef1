"""The page "Why is my session…?": the symptoms learners search for, each
answered in a few sentences, with the fix and the lesson that shows it.

The symptoms are data, in the order a learner tends to meet them. Text in
backticks is shown as code; everything else is escaped. tests/test_troubleshooting.py
reproduces each symptom that a test can reproduce, with Django's own code.
"""

import re
from dataclasses import dataclass

from django.shortcuts import render
from django.urls import path
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from myapp.course import LESSONS_BY_SLUG


def with_code(text):
    """Escape the text, then show `backticked` parts as <code>."""
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text)))


@dataclass(frozen=True)
class Place:
    """Where a lesson shows the symptom: its demo, or one Go deeper section."""

    slug: str
    anchor: str
    what: str

    @property
    def lesson(self):
        return LESSONS_BY_SLUG[self.slug]

    @property
    def url(self):
        """The link, or None while the lesson is still coming."""
        if not self.lesson.available:
            return None
        return f"{self.lesson.url}#{self.anchor}"


@dataclass(frozen=True)
class Symptom:
    slug: str
    question: str
    answer: str
    fix: str
    places: tuple

    @property
    def answer_html(self):
        return with_code(self.answer)

    @property
    def fix_html(self):
        return with_code(self.fix)


SYMPTOMS = (
    Symptom(
        "nested-change",
        "Why is my change to a list or dict in the session not saved?",
        "Django saves the session only when it knows something changed. Setting a "
        "key tells it; changing a list or dict inside a stored value does not. So "
        "nothing is saved, and the next request sees the old value.",
        "Tell Django after the change: `request.session.modified = True`. Or store "
        'the value again: `request.session["cart"] = cart`.',
        (
            Place("shopping-cart", "demo", "the broken cart beside the fixed one"),
            Place("when-sessions-save", "deeper-nested", "why Django cannot see it"),
        ),
    ),
    Symptom(
        "cookie-secure-http",
        "Why is the session cookie never set over http?",
        "`SESSION_COOKIE_SECURE = True` marks the cookie `Secure`. Django still "
        "sends it, but a browser refuses a Secure cookie from a plain http page. "
        "Every request then starts a new, empty session. Browsers make an exception "
        "for localhost, so it can work on your machine and fail on a server.",
        "Turn `SESSION_COOKIE_SECURE` on only in production settings, and serve "
        "production over https.",
        (Place("security", "deeper-flags", "what each cookie flag does"),),
    ),
    Symptom(
        "samesite-none",
        "Why is my SameSite=None session cookie ignored?",
        '`SESSION_COOKIE_SAMESITE = "None"` asks the browser to send the cookie '
        "to other sites' requests too. The cookie rules require `Secure` with it. "
        "Django sends the cookie anyway, and Chrome drops it without a word.",
        'Use `"None"` only with `SESSION_COOKIE_SECURE = True`, over https. Most '
        'sites need neither: keep the default, `"Lax"`.',
        (
            Place("javascript-clients", "demo", "SameSite in a real browser"),
            Place("security", "deeper-flags", "what each cookie flag does"),
        ),
    ),
    Symptom(
        "fetch-credentials",
        "Why does fetch() not send my session cookie?",
        "By default `fetch()` sends cookies only to the page's own origin. A front "
        "end on port 3000 calling Django on port 8000 is another origin. The call "
        "goes without the cookie, so Django sees a new visitor every time.",
        'Pass `credentials: "include"` to `fetch()`, and allow credentials for '
        "that one origin in your CORS settings. SameSite still applies: localhost "
        "and 127.0.0.1 are different sites.",
        (
            Place("javascript-clients", "demo", "fetch() with credentials"),
            Place("security", "deeper-flags", "what SameSite lets through"),
        ),
    ),
    Symptom(
        "logged-out-on-restart",
        "Why is everyone logged out on every deploy or restart?",
        "Something that should last is lost when the server starts again. Often it "
        "is the cache engine on the local-memory cache, which lives inside the "
        "server process. Or `SECRET_KEY` is made up anew at each start, so no "
        "stored session can be read.",
        "Keep sessions in the database, or in a Redis that survives restarts. Read "
        "`SECRET_KEY` from the environment, the same value every time.",
        (
            Place("scaling-out", "deeper-locmem", "why the local-memory cache forgets"),
            Place("security", "deeper-rotation", "what SECRET_KEY does to sessions"),
        ),
    ),
    Symptom(
        "logged-out-between-servers",
        "Why am I logged out when another worker or server answers?",
        "Each request may reach a different process. The local-memory cache belongs "
        "to one process, and the file engine's files to one machine. A session saved "
        "by one worker is then missing on the next.",
        "Use a store every process shares: the database, Redis, or cached_db. "
        "Signed cookies work too, since the data travels with the browser.",
        (Place("scaling-out", "demo", "several servers, one session or not"),),
    ),
    Symptom(
        "secret-key-per-server",
        "Why do sessions break when my servers have different SECRET_KEYs?",
        "Django signs session data with `SECRET_KEY`: rows, files and signed "
        "cookies alike. A server with another key cannot check that signature, so "
        "it starts an empty session. Users look logged out whenever they reach it.",
        "Give every server the same `SECRET_KEY`. To change the key, keep the old "
        "one in `SECRET_KEY_FALLBACKS` until old sessions have expired.",
        (
            Place("security", "deeper-rotation", "changing the key safely"),
            Place("debugging", "demo", "a session that no longer decodes"),
        ),
    ),
    Symptom(
        "session-data-corrupted",
        'What does "Session data corrupted" in my log mean?',
        "Django logs this warning when stored session data fails its signature "
        "check. The usual causes are a changed `SECRET_KEY`, servers with different "
        "keys, or a renamed `SessionStore` class. The visitor gets a new, empty "
        "session.",
        "Find what changed and put it back, or list the old key in "
        "`SECRET_KEY_FALLBACKS`. Otherwise the warnings stop once old cookies are "
        "replaced.",
        (
            Place("debugging", "demo", "corrupt a session and read the log"),
            Place("debugging", "deeper-causes", "what makes a signature stop matching"),
        ),
    ),
    Symptom(
        "two-tabs",
        "Why do two tabs lose each other's changes?",
        "Each request loads the whole session when it starts and saves the whole "
        "session when it ends. When two requests overlap, the one that ends last "
        "overwrites the other's save. Last write wins.",
        "Keep data that several requests change at once, like cart counts, in "
        "database rows, and update them there. Keep small, rarely changed values in "
        "the session.",
        (
            Place("concurrency", "demo", "a race that loses cart updates"),
            Place("visit-counter", "deeper-two-tabs", "two tabs and one count"),
        ),
    ),
    Symptom(
        "session-interrupted",
        "Why do I get SessionInterrupted, or a 400, after logging out?",
        "A request was still running when the user logged out in another tab. "
        "Logout deleted the stored session, so the request has nothing left to "
        "save into. Django raises `SessionInterrupted` rather than bring the session "
        "back, and answers 400 Bad Request.",
        "Nothing is broken: the user did log out. Give your 400 page a clear message "
        "and a link to log in again.",
        (
            Place("concurrency", "demo", "interrupt a request with a logout"),
            Place("concurrency", "deeper-interrupted", "what the browser gets"),
        ),
    ),
    Symptom(
        "datetime-not-serializable",
        'Why "TypeError: Object of type datetime is not JSON serializable"?',
        "Django stores the session as JSON, and JSON has no dates. Storing "
        "`timezone.now()` works in the view, but saving fails after the view "
        "returns. That is why the traceback does not point at your line.",
        "Store text and turn it back: `when.isoformat()` and "
        "`datetime.fromisoformat(text)`. Store a model's id, not the object, and a "
        "Decimal as a string.",
        (
            Place("serialization", "demo", "store a date and watch it fail"),
            Place("serialization", "deeper-fix", "dates, prices and models"),
        ),
    ),
    Symptom(
        "logout-get",
        "Why does my logout link do nothing?",
        "A link sends a GET, and logout must be a POST. Otherwise any other site "
        "could log your users out with a link. Django's `LogoutView` answers a GET "
        "with 405, and so does this course's /logout/.",
        'Make logout a small form with `method="post"`, the CSRF token and a '
        "button. Style the button like a link if you like.",
        (
            Place("login-form", "demo", "a logout that is a POST"),
            Place("login-form", "deeper-cross-site", "how another site logs you out"),
        ),
    ),
    Symptom(
        "session-key-none",
        "Why is request.session.session_key None?",
        "A new visitor has no session yet. Django makes the key when the session is "
        "first saved, at the end of a request that stored something. Until then "
        "`session_key` is None.",
        "Store something first, or call `request.session.save()` when you need the "
        "key at once. Do not use the key as an id: login and logout change it.",
        (
            Place("what-is-a-session", "deeper-set-cookie", "when the cookie is sent"),
            Place("outside-views", "deeper-create", "what save() and create() store"),
        ),
    ),
    Symptom(
        "keyerror-first-visit",
        "Why do I get a KeyError on the first visit?",
        '`request.session["cart"]` raises KeyError when the key is missing, like '
        "a dict. On a first visit nothing is stored yet. The page fails with a 500 "
        "error.",
        "Read with `.get()`, which gives None when the key is missing, or a default "
        'you choose: `request.session.get("cart", [])`.',
        (
            Place("first-session", "demo", "a first visit that does not crash"),
            Place("first-session", "deeper-brackets", "when square brackets are fine"),
        ),
    ),
    Symptom(
        "table-grows",
        "Why does the django_session table grow forever?",
        "Django does not delete expired sessions by itself. An expired row is "
        "ignored when read, but it stays in the table. Visitors who never come back "
        "leave a row each.",
        "Run `python manage.py clearsessions` daily, from cron or a scheduler. It "
        "removes expired rows and files; cache and signed-cookie sessions need no "
        "cleaning.",
        (Place("expiry", "deeper-clearsessions", "cleaning up expired sessions"),),
    ),
    Symptom(
        "subdomain",
        "Why is my session lost on a subdomain?",
        "By default the session cookie has no `Domain` attribute. The browser then "
        "sends it only to the exact host that set it. So www.example.com and "
        "shop.example.com each have their own session.",
        'Set `SESSION_COOKIE_DOMAIN = "example.com"` to share it. Every subdomain '
        "then receives the key, so do it only if you trust them all.",
        (
            Place("javascript-clients", "demo", "sessions across sites"),
            Place("security", "deeper-flags", "the Domain flag and its risk"),
        ),
    ),
    Symptom(
        "synchronous-only",
        "Why SynchronousOnlyOperation in my async view?",
        'The session loads on first use. In an async view, `request.session["x"]` '
        "then runs a database query, and Django refuses blocking queries in async "
        "code. It raises `SynchronousOnlyOperation` instead.",
        'Use the async methods: `await request.session.aget("x")`, `aset()`, '
        "`apop()` and the others.",
        (
            Place("async-views", "demo", "the sync call that fails"),
            Place("async-views", "deeper-sync-calls", "engine by engine"),
        ),
    ),
    Symptom(
        "login-page-in-fetch",
        "Why do htmx or fetch() get the login page after the session expires?",
        "Once the session has expired, `@login_required` redirects to the login "
        "page. `fetch()` and htmx follow redirects quietly. Your script gets the "
        "login page's HTML with status 200, and htmx may paste it into the page.",
        "After `fetch()`, check `response.redirected`. For htmx, answer with status "
        "200 and an `HX-Redirect` header naming the login page, not a redirect: htmx "
        "then loads it as a whole page.",
        (
            Place("session-lifetime", "demo", "sessions that end"),
            Place("javascript-clients", "demo", "fetch() and the session"),
            Place("expiry", "demo", "watch a session expire"),
        ),
    ),
)


@require_GET
def troubleshooting(request):
    """Symptoms and their fixes; it reads nothing from the session."""
    return render(request, "troubleshooting.html", {"symptoms": SYMPTOMS})


urlpatterns = [
    # ex: /troubleshooting/
    path("", troubleshooting, name="troubleshooting"),
]
