"""Lesson 8: a theme kept in the session, applied to every page, no account needed."""

from django import forms
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from myapp import context_processors
from myapp.context_processors import DEFAULT_THEME, THEME_KEY, THEMES
from myapp.course import render_lesson

THEME_LABELS = {"light": "Light", "dark": "Dark", "contrast": "High contrast"}


class ThemeForm(forms.Form):
    """One of THEMES, picked with radio buttons: any other value is a form error."""

    theme = forms.ChoiceField(
        choices=[(theme, THEME_LABELS.get(theme, theme)) for theme in THEMES],
        widget=forms.RadioSelect,
    )


def render_preferences(request, form=None):
    """The lesson page: what is stored, the form, and a refused form's errors."""
    stored = request.session.get(THEME_KEY)
    if form is None:
        form = ThemeForm(initial={"theme": stored or DEFAULT_THEME})
    context = {
        "form": form,
        "stored_theme": stored,
        "default_theme": DEFAULT_THEME,
    }
    return render_lesson(request, "preferences", context)


@require_GET
def page(request):
    """Show the stored theme and the form to change it."""
    return render_preferences(request)


@require_POST
def set_theme(request):
    """Validate the choice, store it under one key, redirect (POST/redirect/GET).

    No account and no model: storing the key saves this visitor's session,
    creating it (and its cookie) if this is the first thing stored.
    """
    form = ThemeForm(request.POST)
    if not form.is_valid():
        return render_preferences(request, form)
    request.session[THEME_KEY] = form.cleaned_data["theme"]
    return redirect(reverse("myapp:preferences") + "#demo")


@require_POST
def forget_theme(request):
    """Forget the theme only: every page falls back to the default."""
    request.session.pop(THEME_KEY, None)
    return redirect(reverse("myapp:preferences") + "#demo")


SHOWN = (
    ThemeForm,
    set_theme,
    forget_theme,
    context_processors.theme_of,
    context_processors.course,
)

urlpatterns = [
    # ex: /lessons/preferences/
    path("", page, name="preferences"),
    # ex: /lessons/preferences/theme/ (POST theme=dark)
    path("theme/", set_theme, name="preferences-set"),
    # ex: /lessons/preferences/forget/ (POST)
    path("forget/", forget_theme, name="preferences-forget"),
]
