"""Lesson 13: does the browser send cookies back? A session key, checked later."""

from importlib import import_module

from django import forms
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from myapp.course import render_lesson

# set_test_cookie() stores this key in the session; there is no cookie of that name.
TEST_KEY = SessionBase.TEST_COOKIE_NAME  # "testcookie"
TEST_VALUE = SessionBase.TEST_COOKIE_VALUE  # "worked"
RESULTS = ("worked", "failed")
COOKIES_SENT = "sent"
COOKIES_REFUSED = "refused"


class CheckForm(forms.Form):
    """Which session step 2 checks: the one your cookie brings, or none at all."""

    cookies = forms.ChoiceField(
        label="What the browser sends back",
        choices=[
            (COOKIES_SENT, "Its session cookie, as your browser does"),
            (COOKIES_REFUSED, "Nothing: check as a browser that refuses cookies"),
        ],
        initial=COOKIES_SENT,
        widget=forms.RadioSelect,
    )


def page_context(request, form):
    """What the page shows; the result comes from the redirect's query string."""
    result = request.GET.get("result")
    return {
        "form": form,
        "test_key": TEST_KEY,
        "test_value": TEST_VALUE,
        "stored": request.session.get(TEST_KEY),
        "result": result if result in RESULTS else None,
    }


@require_GET
def page(request):
    """Show whether the test key is in the session, and the last check's result."""
    return render_lesson(request, "test-cookie", page_context(request, CheckForm()))


@require_POST
def set_test(request):
    """Step 1: store the test key; SessionMiddleware answers with Set-Cookie."""
    request.session.set_test_cookie()
    return redirect(reverse("myapp:test-cookie") + "#test-cookie-state")


@require_POST
def check(request):
    """Step 2, a later request: did the session cookie come back with the key?

    The result travels in the URL, not the session: a browser that refuses
    cookies could not carry it back in a session.
    """
    form = CheckForm(request.POST)
    if not form.is_valid():
        return render_lesson(request, "test-cookie", page_context(request, form))
    if form.cleaned_data["cookies"] == COOKIES_REFUSED:
        # What SessionMiddleware builds for a request without a session cookie.
        session = import_module(settings.SESSION_ENGINE).SessionStore(None)
    else:
        session = request.session
    worked = session.test_cookie_worked()
    if worked:
        # Only after it worked: delete_test_cookie() raises KeyError otherwise.
        session.delete_test_cookie()
    result = "worked" if worked else "failed"
    return redirect(
        f"{reverse('myapp:test-cookie')}?result={result}#test-cookie-result"
    )


SHOWN = (set_test, check, CheckForm)

urlpatterns = [
    # ex: /lessons/test-cookie/ (and ?result=worked after a check)
    path("", page, name="test-cookie"),
    # ex: /lessons/test-cookie/set/ (POST)
    path("set/", set_test, name="test-cookie-set"),
    # ex: /lessons/test-cookie/check/ (POST cookies=sent)
    path("check/", check, name="test-cookie-check"),
]
