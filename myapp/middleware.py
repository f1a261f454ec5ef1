"""Course middleware: records which lessons were opened and which demos ran."""

from django.conf import settings
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

from myapp.course import lesson_for_url_name
from myapp.inspector import shorten
from myapp.progress import keeps_cookies, mark_done, mark_opened


class CourseProgressMiddleware:
    """Mark a lesson opened when its page is viewed, done when its demo changes
    the session.

    It sits below SessionMiddleware in MIDDLEWARE, so on the way out it runs
    first and its write is saved with the view's. "Opened" is written only
    once the browser has shown it keeps cookies (or into a session the page
    itself is saving), "done" only into a session the demo itself modified
    and left non-empty. A read-only demo stays read-only (no Set-Cookie,
    unless SESSION_SAVE_EVERY_REQUEST is on), a flushed session stays empty,
    and a visitor without cookies (a crawler, a load test) adds no stored
    session however often it comes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        lesson, kind = self._lesson_of(request)
        if kind is None or not self._saving_anyway(request, response):
            return response
        if kind == "demo":
            mark_done(request.session, lesson.slug)
        elif request.method == "GET":  # a lesson page that wrote on its own
            mark_opened(request.session, lesson.slug)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Before the view, so the page's session inspector already shows it.
        lesson, kind = self._lesson_of(request)
        if kind == "page" and request.method == "GET":
            if keeps_cookies(request):
                mark_opened(request.session, lesson.slug)
            # Every lesson page sets the CSRF cookie, also one without a form:
            # it coming back with the next page is the sign keeps_cookies reads.
            # (With CSRF_USE_SESSIONS the token would go into the session.)
            if not settings.CSRF_USE_SESSIONS and (
                settings.CSRF_COOKIE_NAME not in request.COOKIES
            ):
                get_token(request)

    @staticmethod
    def _saving_anyway(request, response):
        """The view modified the session and left it non-empty: it will be
        saved whatever the course does, so a progress record costs nothing."""
        return (
            response.status_code < 400
            and request.session.modified
            and not request.session.is_empty()
        )

    @staticmethod
    def _lesson_of(request):
        match = getattr(request, "resolver_match", None)
        if match is None or match.namespace != "myapp":
            return None, None
        return lesson_for_url_name(match.url_name)


# {% response_headers %} writes this comment; the middleware below replaces it.
RESPONSE_HEADERS_MARKER = b"<!-- response-headers -->"
SHOWN_HEADERS = ("vary", "cache-control", "expires", "location")


class ShowResponseHeadersMiddleware:
    """Let a page show its own response headers, as they leave the server.

    SessionMiddleware adds Set-Cookie and Vary on the way out, after the view
    and its template are done, so a page cannot know its own headers. This
    middleware sits above SessionMiddleware: it sees the finished response
    and writes the headers where the page put ``{% response_headers %}``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.streaming or RESPONSE_HEADERS_MARKER not in response.content:
            return response
        shown = render_to_string(
            "includes/response_headers.html",
            {"status": response.status_code, "headers": header_lines(response)},
        )
        response.content = response.content.replace(
            RESPONSE_HEADERS_MARKER, shown.encode(), 1
        )
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response


def header_lines(response):
    """The headers a session lesson cares about, as (name, value) pairs.

    The session cookie's value is shortened: the page must not hand page
    script the key that HttpOnly hides from it.
    """
    lines = [
        (name, value)
        for name, value in response.items()
        if name.lower() in SHOWN_HEADERS
    ]
    for name, morsel in response.cookies.items():
        line = morsel.OutputString()
        if name == settings.SESSION_COOKIE_NAME and morsel.value:
            line = line.replace(morsel.value, shorten(morsel.value), 1)
        lines.append(("Set-Cookie", line))
    names = {name.lower() for name, _ in lines}
    if "set-cookie" not in names:
        lines.append(("Set-Cookie", "(none: this response sets no cookie)"))
    if "vary" not in names:
        lines.append(("Vary", "(none)"))
    return lines
