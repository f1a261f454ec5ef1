"""The views of two popular tutorials the course starts from, made correct.

The course calls them seed 000 (``setsession``/``getsession``) and seed 002
(``login``/``home``/``logout``), and keeps their names and URLs where their
readers expect them. Each docstring says what the view teaches; the lesson
pages (``myapp/lessons/``) show this code next to a live demo.
"""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from myapp.course import LESSONS, PARTS
from myapp.forms import LoginForm
from myapp.progress import read_progress, reset_progress

# Session keys are plain constants: one spelling, greppable, no typos.
STUDENT_NAME_KEY = "sname"
STUDENT_EMAIL_KEY = "semail"
USERNAME_KEY = "username"


# --- Seed 000: set and get ------------------------------------------------
# ex: /ssession then /gsession


@require_GET
def setsession(request):
    """Store two values; SessionMiddleware saves them after the view returns.

    A GET, as in the tutorial it comes from: it writes two fixed values, so
    repeating it is harmless. Anything that takes user input or destroys data
    is a POST.
    """
    request.session[STUDENT_NAME_KEY] = "irfan"
    request.session[STUDENT_EMAIL_KEY] = "irfan@example.com"
    return render(request, "myapp/setsession.html")


@require_GET
def getsession(request):
    """Read the two values with ``.get()``, which returns None when they are missing.

    A popular tutorial wrote ``request.session['sname']``: a KeyError, a 500
    error page, for anyone who opens this page before /ssession.
    """
    student_name = request.session.get(STUDENT_NAME_KEY)
    student_email = request.session.get(STUDENT_EMAIL_KEY)
    return render(
        request,
        "myapp/getsession.html",
        {"student_name": student_name, "student_email": student_email},
    )


# --- Seed 002: a name remembered across pages -------------------------------
# ex: /login/ then /home/, and the button on /home/ posts to /logout/


@require_http_methods(["GET", "POST"])
def login(request):
    """Validate the name with a form, store it, then redirect (POST/redirect/GET)."""
    form = LoginForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        # A new key whenever who-you-are changes: the defence against session
        # fixation that django.contrib.auth.login() applies too.
        request.session.cycle_key()
        request.session[USERNAME_KEY] = form.cleaned_data["username"]
        return redirect("myapp:home")
    username = request.session.get(USERNAME_KEY)
    return render(request, "myapp/login.html", {"form": form, "username": username})


@require_GET
def home(request):
    """Greet the stored name, or "Guest"; the template escapes it."""
    username = request.session.get(USERNAME_KEY, "Guest")
    return render(request, "myapp/home.html", {"username": username})


def logout(request):
    """Log out with POST only: ``flush()`` deletes the data, the stored record
    and the cookie, and sets the key to None until something is stored again.

    A GET gets 405. Otherwise any other site could log the user out with a
    link here, or by redirecting the browser here: a top-level navigation
    carries the session cookie even under SameSite=Lax. Django's own
    LogoutView is POST-only since 5.0.
    """
    if request.method != "POST":
        response = render(request, "myapp/logout_get.html", status=405)
        response["Allow"] = "POST"
        return response
    request.session.flush()
    return redirect("myapp:login")


# --- The course index -------------------------------------------------------
# ex: /


@require_GET
def index(request):
    """List the lessons by part, with the progress this session has recorded."""
    progress = read_progress(request.session)
    parts = [
        (part, [lesson for lesson in LESSONS if lesson.part == part]) for part in PARTS
    ]
    return render(
        request,
        "myapp/index.html",
        {
            "parts": parts,
            "opened": progress["opened"],
            "done": progress["done"],
        },
    )


@require_POST
def reset_course_progress(request):
    """Forget the course progress, and only that: other lessons' keys stay."""
    reset_progress(request.session)
    return redirect("myapp:index")


def csrf_failure(request, reason=""):
    """A 403 page that says what happened: no valid CSRF token, nothing changed."""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
