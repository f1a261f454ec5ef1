"""Course middleware: records which lessons were opened and which demos ran."""

from myapp.course import lesson_for_url_name
from myapp.progress import mark_done, mark_opened


class CourseProgressMiddleware:
    """Mark a lesson opened when its page is viewed, done when its demo changes
    the session.

    It sits below SessionMiddleware in MIDDLEWARE, so on the way out it runs
    first and its write is saved with the view's. It writes only into a
    session the demo itself modified and left non-empty: a read-only demo
    stays read-only (no Set-Cookie) and a flushed session stays empty.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        lesson, kind = self._lesson_of(request)
        if (
            kind == "demo"
            and response.status_code < 400
            and request.session.modified
            and not request.session.is_empty()
        ):
            mark_done(request.session, lesson.slug)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Before the view, so the page's session inspector already shows it.
        lesson, kind = self._lesson_of(request)
        if kind == "page" and request.method == "GET":
            mark_opened(request.session, lesson.slug)

    @staticmethod
    def _lesson_of(request):
        match = getattr(request, "resolver_match", None)
        if match is None or match.namespace != "myapp":
            return None, None
        return lesson_for_url_name(match.url_name)
