"""{% per_process %}: a part of a page that is the same on every request,
rendered once per process and then reused.

A lesson page's frame (the header, the pager, the code it shows, the place of
the lesson in the code, the footer) and its core ("What to know") depend on
the lesson and the settings, never on the visitor: rendering them again on
every request took about a third of a lesson page's time. Only what may
differ between requests stays live: the demo, "Go deeper" (some of it shows
live figures), the inspector, the CSRF token.

    {% per_process lesson.slug next_lesson.slug %} ... {% endper_process %}

renders its content once for each value of its arguments (and each script
prefix and language). Nothing is kept anywhere but on the template's node, so
when runserver reloads a changed template, the new template starts empty; a
change of settings (override_settings in the tests) forgets every part.
"""

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

# Counts settings changes: a part rendered under other settings is not reused.
_settings_changes = 0


@receiver(setting_changed)
def forget_rendered_parts(**kwargs):
    global _settings_changes
    _settings_changes += 1


class PerProcessNode(template.Node):
    def __init__(self, nodelist, vary_on):
        self.nodelist = nodelist
        self.vary_on = vary_on
        self.rendered = {}  # key -> the part, as rendered
        self.settings_changes = _settings_changes

    def render(self, context):
        if self.settings_changes != _settings_changes:
            self.rendered, self.settings_changes = {}, _settings_changes
        key = (
            get_script_prefix(),
            get_language(),
            *(hashable(value.resolve(context)) for value in self.vary_on),
        )
        part = self.rendered.get(key)
        if part is None:
            part = self.rendered[key] = mark_safe(self.nodelist.render(context))
        return part


def hashable(value):
    """A list (the sources a page shows) as a tuple, so it can be part of a key."""
    return tuple(value) if isinstance(value, list) else value


@register.tag
def per_process(parser, token):
    """{% per_process value ... %}...{% endper_process %}: see the module."""
    vary_on = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endper_process",))
    parser.delete_first_token()
    return PerProcessNode(nodelist, vary_on)
