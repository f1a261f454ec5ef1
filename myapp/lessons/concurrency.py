"""Lesson 20: parallel requests lose session updates; an atomic counter keeps them."""

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module

from django import forms
from django.conf import settings
from django.contrib.sessions.backends.signed_cookies import (
    SessionStore as SignedCookieStore,
)
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.handlers.exception import response_for_exception
from django.db import IntegrityError, connections, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from myapp.course import render_lesson
from myapp.models import CartCounter
from myapp.ratelimit import limited

CART_KEY = "concurrency_cart"  # the naive count, inside the session
CART_ID_KEY = "concurrency_cart_id"  # names this browser's CartCounter row
RACE_KEY = "concurrency_races"  # the last race of each cart, for the page
INTERRUPTED_KEY = "concurrency_interrupted"  # what the interrupted request got

# Stands for the work a real view does between loading the session and the
# response (queries, templates): the session is read at the start of that
# window and saved at its end. Wider window, more overlapping requests.
RACE_WINDOW = 0.1  # seconds

# The race button starts up to MAX_PARALLEL threads, each with its own
# database connection, and only one race runs at a time in a server process:
# a visitor who keeps pressing it gets a form error, not a pile of threads.
MAX_PARALLEL = 30
RACE_LOCK = threading.Lock()
# With DEBUG off (a public site) fewer threads, and races per address are
# limited too (myapp/ratelimit.py). Twenty still shows the loss plainly.
PUBLIC_MAX_PARALLEL = 20


def parallel_limit():
    """The most threads one race may start on this server."""
    return MAX_PARALLEL if settings.DEBUG else PUBLIC_MAX_PARALLEL


def add_one_naively(session):
    """Read the count, work, store count + 1; SessionMiddleware later saves the
    WHOLE session, so a parallel request's addition in between is overwritten."""
    count = session.get(CART_KEY, 0)
    time.sleep(RACE_WINDOW)
    session[CART_KEY] = count + 1


def add_one_atomically(cart_id):
    """Let the database add: UPDATE ... SET count = count + 1 is one statement,
    so parallel requests wait for each other instead of overwriting each other."""
    time.sleep(RACE_WINDOW)  # the same work as the naive version
    counter = CartCounter.objects.filter(cart_id=cart_id)
    if counter.update(count=F("count") + 1):
        return
    try:
        # A savepoint, so a failed INSERT leaves any transaction around the
        # request (ATOMIC_REQUESTS) usable.
        with transaction.atomic():
            CartCounter.objects.create(cart_id=cart_id, count=1)
    except IntegrityError:
        # A parallel first add inserted the row (cart_id is unique): add to
        # it. Django's get_or_create() survives this race the same way.
        counter.update(count=F("count") + 1)


def cart_id(session):
    """This browser's counter row: a random id written into the session once."""
    return session.setdefault(CART_ID_KEY, secrets.token_urlsafe(16))


def counter_of(cart):
    """The counter cart's count: 0 until its first add creates the row."""
    row = CartCounter.objects.filter(cart_id=cart).first()
    return row.count if row else 0


# --- The race: the server plays N browsers --------------------------------


def as_one_request(step):
    """Run ``step`` as one request would, in its own thread; True if it worked."""
    try:
        step()
        return True
    except Exception:
        return False
    finally:
        connections.close_all()  # this thread's connections, as after a request


def race_session_cart(parallel):
    """N threads each do what one request does to the session cart, on one key.

    SessionStore(key) is what SessionMiddleware builds from the cookie, and
    save() is what it calls after the view: the same code, minus HTTP.
    """
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    experiment = store_class()  # a fresh session, so your own cart is untouched
    experiment[CART_KEY] = 0
    experiment.save()
    saved_keys = []

    def one_request():
        session = store_class(experiment.session_key)
        add_one_naively(session)
        session.save()
        # With signed cookies the key IS the data, and the browser keeps
        # whichever Set-Cookie arrives last; elsewhere the key never changes.
        saved_keys.append(session.session_key)

    worked = run_in_parallel(one_request, parallel)
    arrived = store_class(saved_keys[-1]).get(CART_KEY, 0) if saved_keys else 0
    experiment.delete()
    return worked, arrived


def race_counter(parallel):
    """N threads each add one to a fresh counter row, atomically."""
    experiment = "race-" + secrets.token_urlsafe(16)
    worked = run_in_parallel(lambda: add_one_atomically(experiment), parallel)
    arrived = counter_of(experiment)
    CartCounter.objects.filter(cart_id=experiment).delete()
    return worked, arrived


def run_in_parallel(step, parallel):
    """Start ``parallel`` threads at once, each running ``step`` as one request;
    return how many succeeded."""
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        futures = [pool.submit(as_one_request, step) for _ in range(parallel)]
    return sum(future.result() for future in futures)


RACES = {"session": race_session_cart, "counter": race_counter}


class RaceForm(forms.Form):
    """How many parallel adds, to which cart: bounded, like every input."""

    parallel = forms.IntegerField(
        label="Parallel requests",
        min_value=2,
        max_value=MAX_PARALLEL,
        initial=20,
        help_text=f"From 2 to {MAX_PARALLEL}.",
    )
    cart = forms.ChoiceField(
        label="Which cart",
        choices=[
            ("session", "The session cart: read, add one, save the session"),
            ("counter", "The counter: UPDATE ... SET count = count + 1"),
        ],
        initial="session",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parallel"].help_text = f"From 2 to {parallel_limit()}."
        self.fields["parallel"].widget.attrs["max"] = parallel_limit()

    def clean_parallel(self):
        parallel = self.cleaned_data["parallel"]
        if parallel > parallel_limit():
            raise forms.ValidationError(f"At most {parallel_limit()} on this server.")
        return parallel


# --- Views -----------------------------------------------------------------


def render_page(request, race_form=None):
    """The page with both carts, the race form (maybe with errors) and results."""
    context = {
        "session_count": request.session.get(CART_KEY, 0),
        "counter_count": counter_of(request.session.get(CART_ID_KEY)),
        "races": request.session.get(RACE_KEY, {}),
        "race_form": race_form or RaceForm(),
        "race_window": RACE_WINDOW,
        "max_parallel": parallel_limit(),
        "signed_cookies": isinstance(request.session, SignedCookieStore),
        "interrupted": request.session.get(INTERRUPTED_KEY),
    }
    return render_lesson(request, "concurrency", context)


@require_GET
def page(request):
    """Show both carts. The first visit gives this browser its counter id, so
    later parallel adds agree on which row to add to."""
    cart_id(request.session)
    return render_page(request)


@require_POST
def add_to_session_cart(request):
    """One add to the session cart: correct alone, lossy in parallel."""
    add_one_naively(request.session)
    return back_to("demo")


@require_POST
def add_to_counter(request):
    """One add to the counter: the session is only read, and saved only the
    first time, when cart_id() gives this browser its cart id."""
    add_one_atomically(cart_id(request.session))
    return back_to("demo")


@require_POST
@limited("race")
def race(request):
    """Fire N adds at once from N server threads and record how many arrived."""
    form = RaceForm(request.POST)
    if not form.is_valid():
        return render_page(request, race_form=form)
    if not RACE_LOCK.acquire(blocking=False):
        form.add_error(None, "A race is already running here: try again in a moment.")
        return render_page(request, race_form=form)
    parallel, cart = form.cleaned_data["parallel"], form.cleaned_data["cart"]
    started = time.monotonic()
    try:
        worked, arrived = RACES[cart](parallel)
    finally:
        RACE_LOCK.release()
    races = request.session.get(RACE_KEY, {})
    races[cart] = {
        "sent": parallel,
        "failed": parallel - worked,
        "arrived": arrived,
        "seconds": round(time.monotonic() - started, 2),
    }
    request.session[RACE_KEY] = races  # a new value: the session is modified
    return back_to("race-results")


@require_POST
def reset(request):
    """Empty both carts."""
    request.session.pop(CART_KEY, None)
    CartCounter.objects.filter(cart_id=request.session.get(CART_ID_KEY)).delete()
    return back_to("demo")


# What the slow request needs of the real one (Django's debug page reads them).
SLOW_REQUEST_META = ("SERVER_NAME", "SERVER_PORT", "REMOTE_ADDR")


def interrupted_request(request):
    """Two requests of one browser, played on a fresh session of the running
    engine: a slow one that changes the session, and a logout in another tab
    that deletes it meanwhile. What comes back is what the browser would get.

    The slow request goes through Django's own SessionMiddleware, and its
    error through Django's own handler (response_for_exception, what Django
    wraps every middleware in). Your own session is not touched.
    """
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    experiment = store_class()
    experiment[CART_KEY] = 1
    experiment.save()
    key = experiment.session_key

    def slow_view(slow):
        count = slow.session.get(CART_KEY, 0)  # loads the session
        store_class(key).delete()  # meanwhile: a logout in another tab
        slow.session[CART_KEY] = count + 1  # then this request changes it
        return HttpResponse()

    slow = HttpRequest()
    slow.method, slow.path, slow.path_info = "POST", request.path, request.path_info
    slow.META = {name: request.META.get(name, "") for name in SLOW_REQUEST_META}
    slow.COOKIES[settings.SESSION_COOKIE_NAME] = key
    try:
        response = SessionMiddleware(slow_view)(slow)
        error = None
    except SessionInterrupted as interrupted:
        error = interrupted
        response = response_for_exception(slow, interrupted)
    result = {
        "error": type(error).__name__ if error else None,
        "message": str(error) if error else None,
        "status": response.status_code,
        "set_cookie": settings.SESSION_COOKIE_NAME in response.cookies,
        "brought_back": store_class().exists(key),
    }
    store_class().delete(key)  # whatever happened, the experiment leaves nothing
    return result


@require_POST
def interrupt(request):
    """Show what a request gets when its session is deleted while it runs:
    SessionMiddleware's save raises SessionInterrupted, and Django answers 400."""
    if isinstance(request.session, SignedCookieStore):
        return back_to("demo")  # nothing stored on the server to delete
    request.session[INTERRUPTED_KEY] = interrupted_request(request)
    return back_to("interrupt-result")


def back_to(anchor):
    """Every demo step ends on the demo, or on the result it produced."""
    return redirect(reverse("myapp:concurrency") + "#" + anchor)


SHOWN = (
    add_one_naively,
    add_to_session_cart,
    CartCounter,
    add_one_atomically,
    add_to_counter,
    race_session_cart,
    interrupt,
    interrupted_request,
)

NOT_SHOWN = {
    race: "The race form's checks and bookkeeping; the race itself is shown.",
    reset: "It only deletes both carts, so the demo can start again.",
}

urlpatterns = [
    # ex: /lessons/concurrency/
    path("", page, name="concurrency"),
    # ex: /lessons/concurrency/add/ (POST)
    path("add/", add_to_session_cart, name="concurrency-add"),
    # ex: /lessons/concurrency/add-atomic/ (POST)
    path("add-atomic/", add_to_counter, name="concurrency-add-atomic"),
    # ex: /lessons/concurrency/race/ (POST, parallel=20, cart=session)
    path("race/", race, name="concurrency-race"),
    # ex: /lessons/concurrency/reset/ (POST)
    path("reset/", reset, name="concurrency-reset"),
    # ex: /lessons/concurrency/interrupt/ (POST)
    path("interrupt/", interrupt, name="concurrency-interrupt"),
]
