"""Template tags of the course: the source block and the session inspector."""

from django import template
from django.utils.safestring import mark_safe

from myapp.inspector import inspect_session
from myapp.middleware import RESPONSE_HEADERS_MARKER
from myapp.source import excerpt_of, source_of

register = template.Library()


@register.inclusion_tag("includes/source.html")
def source(target):
    """Render one function, class, module or project file as highlighted code."""
    return {"source": source_of(target)}


@register.inclusion_tag("includes/excerpt.html")
def excerpt(name, start, lines=1):
    """A few lines of the running code, cut where ``start`` first appears:
    {% excerpt "myapp.lessons.visit_counter.count" "visits =" 2 %}."""
    return {"excerpt": excerpt_of(name, start, lines)}


@register.inclusion_tag("includes/inspector.html", takes_context=True)
def session_inspector(context):
    """The inspector of every page; it reads the session and the store, never writes."""
    return {"inspected": inspect_session(context["request"])}


@register.simple_tag
def response_headers():
    """Where ShowResponseHeadersMiddleware writes this response's final headers."""
    return mark_safe(RESPONSE_HEADERS_MARKER.decode())
