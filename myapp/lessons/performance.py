"""Lesson 16: what each engine costs per request, measured by sessionbench."""

import math

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import floatformat
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from myapp import benchmark
from myapp.course import render_lesson

# What the benchmark's write view stores: a small cart, as a real site would.
CART_KEY = "performance_cart"
CART = {"apples": 3, "pears": 1}

# What each benchmark view says about itself to a person who opens it.
NO_SESSION_TEXT = (
    "This is lesson 16's 'no session' view, one of the three views sessionbench\n"
    "times. It never touches request.session: as plain text, which sessionbench\n"
    "asks for, your session is not even loaded (with the default settings). As\n"
    "HTML, this page's layout reads your theme from the session.\n"
)
READ_TEXT = (
    "This is lesson 16's 'read' view, one of the three views sessionbench times.\n"
    f"It loads your session and looks for the key {CART_KEY!r}; it saves nothing.\n"
    "'found': the key is there. 'missing': open the 'write' view first.\n"
)
WRITE_TEXT = (
    "This is lesson 16's 'write' view, one of the three views sessionbench times.\n"
    f"It stores a small cart under {CART_KEY!r}, so your session is saved.\n"
    "'missing': the cart was not there before this request. 'found': it was.\n"
)

# The chart's geometry, in SVG user units.
CHART_WIDTH = 780
LABEL_WIDTH = 290
VALUE_ROOM = 150
BAR_HEIGHT = 16
BAR_GAP = 3
GROUP_GAP = 16
AXIS_HEIGHT = 36


# --- The three views sessionbench times -------------------------------------
# Plain text, no template: the difference between them is the session. The
# first line is what sessionbench reads; the rest is for a person who opens one.


def explained(request, verdict, what):
    """The verdict on the first line, then what this view is and the way back.

    A browser that asks for HTML gets the same words as a course page with a
    link back; sessionbench asks for nothing and times the plain text.
    """
    if "text/html" in request.headers.get("Accept", ""):
        response = render(
            request,
            "lessons/performance/bench.html",
            {"verdict": verdict, "what": what},
        )
    else:
        lesson = request.build_absolute_uri(reverse("myapp:performance"))
        text = f"{verdict}\n\n{what}\nBack to lesson 16: {lesson}#demo\n"
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    patch_vary_headers(response, ["Accept"])
    return response


@require_GET
def no_session(request):
    """The baseline: the whole middleware stack, but the view never touches
    request.session, so the store is not even opened."""
    return explained(request, "no session", NO_SESSION_TEXT)


@require_GET
def read(request):
    """Load the session from the store and read one key; nothing is saved."""
    found = request.session.get(CART_KEY) is not None
    return explained(request, "found" if found else "missing", READ_TEXT)


@require_GET
def write(request):
    """Set one key: the session is modified, so SessionMiddleware saves it.

    A GET on purpose, like lesson 3's /ssession: it always stores the same cart.
    """
    found = CART_KEY in request.session
    request.session[CART_KEY] = CART
    return explained(request, "found" if found else "missing", WRITE_TEXT)


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


def cost_row(result):
    """One settings module's costs: each ratio beside the milliseconds the
    session added to a median request (p50 with it minus p50 without it)."""
    row = {key: result[key] for key in ("settings", "store", "engine")}
    for kind in ("read", "write", benchmark.PAGE):
        if kind not in result:  # a lesson page only in a run made with --pages
            continue
        stats = result[kind]
        added = stats["p50_ms"] - result["baseline"]["p50_ms"]
        row[kind] = {"ratio": f"{stats['ratio']:.2f}", "added": f"{added:+.2f} ms"}
        if "found" in stats:
            row[kind]["found"] = f"{stats['found']:.0%}"
    row["baseline_ms"] = f"{result['baseline']['p50_ms']:.2f}"
    return row


def measured_page(results):
    """The lesson page a run made with --pages timed, or "" without one."""
    pages = [
        result[benchmark.PAGE]["path"] for result in results if benchmark.PAGE in result
    ]
    return pages[0] if pages else ""


def on_one_redis(results):
    """The engines measured on the same Redis, in the order of the chart: what
    each read and write cost, side by side."""
    return [
        cost_row(result)
        for result in results
        if benchmark.CASES_BY_NAME[result["settings"]].needs == "redis"
    ]


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
    rows, on_redis = [], []
    for index, result in enumerate(results):
        y = index * group_height + GROUP_GAP / 2
        if benchmark.CASES_BY_NAME[result["settings"]].needs == "redis":
            on_redis.append(index)
        bars = []
        costs = cost_row(result)
        for offset, kind in enumerate(("read", "write")):
            value = result[kind]["ratio"]
            width = round(value / top * plot_width, 1)
            bar_y = y + offset * (BAR_HEIGHT + BAR_GAP)
            bars.append(
                {
                    "kind": kind,
                    "value": costs[kind]["ratio"],
                    "added": costs[kind]["added"],
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
    # One band behind the engines that share a Redis, when they sit together.
    band = None
    if on_redis and on_redis == list(range(on_redis[0], on_redis[-1] + 1)):
        band = {
            "y": on_redis[0] * group_height,
            "height": len(on_redis) * group_height,
            "width": CHART_WIDTH,
        }
    return {
        "width": CHART_WIDTH,
        "height": plot_height + AXIS_HEIGHT,
        "redis_band": band,
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
            "costs": [cost_row(result) for result in results["results"]],
            "redis_rows": on_one_redis(results["results"]),
            "page_path": measured_page(results["results"]),
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
