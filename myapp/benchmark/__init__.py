"""sessionbench: what a session costs per request, engine by engine.

A case is one settings module of sitecore/settings/. Each case runs in a
process of its own (a fresh interpreter, or gunicorn with --http), and the
same process also serves a view that never touches the session, interleaved
with the session views, so every ratio compares requests served by one
process at one time. Benchmarks report; nothing here asserts a speed.

The stores are throwaway: SQLite and session files in a temporary directory, a
PostgreSQL database created and dropped for the run, and the sessions a run
leaves in a shared cache deleted at the end.

Read it in this order:

- cases.py: what is measured (the settings modules, the views);
- runner.py: the run, one fresh process per case;
- child.py: inside that process, the throwaway stores;
- timing.py: the visitors, the rounds and the ratios;
- in_process.py and over_http.py: the two ways a visitor sends a request;
- servers.py: start gunicorn (or any server) on a free port, stop it;
- results.py: the JSON file lessons 15 and 16 show.
"""

from .cases import (
    CASES,
    CASES_BY_NAME,
    KINDS,
    PAGE,
    BenchmarkError,
    Case,
    Unavailable,
)
from .results import (
    LATEST_RESULTS,
    REFERENCE_RESULTS,
    SCHEMA,
    check_results,
    read_results,
    write_results,
)
from .runner import command_line, run
from .timing import measure, summarize

# A run is bounded: counts the command accepts.
LIMITS = {"requests": 10_000, "rounds": 50, "concurrency": 64, "workers": 16}

__all__ = [
    "CASES",
    "CASES_BY_NAME",
    "KINDS",
    "LATEST_RESULTS",
    "LIMITS",
    "PAGE",
    "REFERENCE_RESULTS",
    "SCHEMA",
    "BenchmarkError",
    "Case",
    "Unavailable",
    "check_results",
    "command_line",
    "measure",
    "read_results",
    "run",
    "summarize",
    "write_results",
]
