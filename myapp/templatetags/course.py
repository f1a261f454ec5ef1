"""Template tags of the course: the source block and the session inspector."""

from django import template

from myapp.inspector import inspect_session
from myapp.source import source_of

register = template.Library()


@register.inclusion_tag("includes/source.html")
def source(target):
    """Render one function, class, module or project file as highlighted code."""
    return {"source": source_of(target)}


@register.inclusion_tag("includes/inspector.html", takes_context=True)
def session_inspector(context):
    """The inspector of every page; it reads the session and the store, never writes."""
    return {"inspected": inspect_session(context["request"])}
