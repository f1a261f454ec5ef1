"""Lesson 16: what each engine costs per request, measured by sessionbench."""

import math

from django.conf import settings
from django.http import HttpResponse
from django.template.defaultfilters import floatformat
from django.urls import path
from django.views.decorators.http import require_GET

from myapp import benchmark
from myapp.course import render_lesson

# What the benchmark's write view stores: a small cart, as a real site would.
CART_KEY = "performance_cart"
CART = {"apples": 3, "pears": 1}

# The chart's geometry, in SVG user units.
CHART_WIDTH = 720
LABEL_WIDTH = 250
VALUE_ROOM = 56
BAR_HEIGHT = 16
BAR_GAP = 3
GROUP_GAP = 16
AXIS_HEIGHT = 36


# --- The three views sessionbench times -------------------------------------
# Plain HttpResponse, no template: the difference between them is the session.


@require_GET
def no_session(request):
    """The baseline: the whole middleware stack, but the view never touches
    request.session, so the store is not even opened."""
    return HttpResponse(b"no session", content_type="text/plain")


@require_GET
def read(request):
    """Load the session from the store and read one key; nothing is saved."""
    found = request.session.get(CART_KEY) is not None
    return HttpResponse(b"found" if found else b"missing", content_type="text/plain")


@require_GET
def write(request):
    """Set one key: the session is modified, so SessionMiddleware saves it.

    A GET on purpose, like seed 000's /ssession: it always stores the same cart.
    """
    found = CART_KEY in request.session
    request.session[CART_KEY] = CART
    return HttpResponse(b"found" if found else b"missing", content_type="text/plain")


# --- The lesson page --------------------------------------------------------


def latest_results():
    """The latest `sessionbench --json` run, else the committed reference run.

    Return (results, which, note): which is "latest" or "reference"; note says
    why a latest file that exists could not be used.
    """
    note = ""
    try:
        return (
            benchmark.read_results(settings.BASE_DIR / benchmark.LATEST_RESULTS),
            "latest",
            note,
        )
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as error:
        note = f"{benchmark.LATEST_RESULTS} could not be read ({error})."
    return benchmark.read_results(benchmark.REFERENCE_RESULTS), "reference", note


def bar_chart(results):
    """Place one bar per engine and view (read, write) for an inline SVG.

    A bar's length is the ratio to the no-session view: 1 means the session
    cost nothing measurable, 0.5 means half as many requests per second.
    """
    ratios = [result[kind]["ratio"] for result in results for kind in ("read", "write")]
    # The axis runs from 0 to 1, or further when a ratio is above 1 (noise, or
    # a request cheaper than the no-session one), with at most 8 steps.
    largest = max([1.0, *ratios])
    step = next(s for s in (0.25, 0.5, 1, 2, 5, 10, 25, 50, 100) if largest <= 8 * s)
    steps = math.ceil(largest / step)
    top = steps * step
    plot_width = CHART_WIDTH - LABEL_WIDTH - VALUE_ROOM
    group_height = 2 * BAR_HEIGHT + BAR_GAP + GROUP_GAP
    plot_height = len(results) * group_height
    rows = []
    for index, result in enumerate(results):
        y = index * group_height + GROUP_GAP / 2
        bars = []
        for offset, kind in enumerate(("read", "write")):
            value = result[kind]["ratio"]
            width = round(value / top * plot_width, 1)
            bar_y = y + offset * (BAR_HEIGHT + BAR_GAP)
            bars.append(
                {
                    "kind": kind,
                    "value": floatformat(value, 2),
                    "x": LABEL_WIDTH,
                    "y": bar_y,
                    "width": width,
                    "height": BAR_HEIGHT,
                    "text_x": LABEL_WIDTH + width + 4,
                    "text_y": bar_y + BAR_HEIGHT - 4,
                }
            )
        rows.append(
            {
                "settings": result["settings"],
                "store": result["store"],
                "label_y": y + BAR_HEIGHT - 2,
                "store_y": y + 2 * BAR_HEIGHT + BAR_GAP - 4,
                "bars": bars,
            }
        )
    ticks = [
        {
            "value": floatformat(i * step, 2),
            "no_session": i * step == 1,
            "x": round(LABEL_WIDTH + i * step / top * plot_width, 1),
        }
        for i in range(steps + 1)
    ]
    return {
        "width": CHART_WIDTH,
        "height": plot_height + AXIS_HEIGHT,
        "plot_top": 0,
        "plot_bottom": plot_height,
        "axis_label_y": plot_height + 16,
        "title_x": LABEL_WIDTH + plot_width / 2,
        "title_y": plot_height + 32,
        "label_x": LABEL_WIDTH - 8,
        "rows": rows,
        "ticks": ticks,
    }


SHOWN = (
    no_session,
    read,
    write,
    benchmark.measure,
    benchmark.summarize,
    "sitecore/settings/db.py",
)


@require_GET
def page(request):
    """Show the latest benchmark results as a chart and a table."""
    results, which, note = latest_results()
    return render_lesson(
        request,
        "performance",
        {
            "bench": results,
            "which": which,
            "note": note,
            "command": benchmark.command_line(results),
            "chart": bar_chart(results["results"]),
            # Below 100% only over HTTP, when workers do not share the store.
            "show_found": any(
                result[kind]["found"] < 1
                for result in results["results"]
                for kind in ("read", "write")
            ),
            "latest_path": benchmark.LATEST_RESULTS,
            "reference_path": "myapp/benchmark_reference.json",
        },
    )


urlpatterns = [
    # ex: /lessons/performance/
    path("", page, name="performance"),
    # ex: /lessons/performance/bench/no-session/
    path("bench/no-session/", no_session, name="performance-no-session"),
    # ex: /lessons/performance/bench/read/
    path("bench/read/", read, name="performance-read"),
    # ex: /lessons/performance/bench/write/
    path("bench/write/", write, name="performance-write"),
]
