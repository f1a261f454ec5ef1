"""The run: each case measured in a fresh process of its own.

A Django process keeps what it started with (the database settings, the
middleware, the file engine's storage path cached on its class), so every
case gets a new interpreter, started with the case's settings. That process
measures (myapp/benchmark/child.py) and prints its numbers as JSON.
"""

import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import django

from .cases import CASES, CASES_BY_NAME, START, BenchmarkError
from .results import SCHEMA
from .servers import PROJECT_DIR

# What a measuring process runs, and the most it may take.
CHILD = "from myapp.benchmark import child; child.main()"
CHILD_TIMEOUT = 1800

# Each case's settings: its own module, with stores the benchmark may destroy.
SETTINGS_FILE = '''\
"""sessionbench: {module} with throwaway stores (written by myapp/benchmark)."""

from {module} import *  # noqa: F403

DATABASES = {{
    "default": {{
        **DATABASES["default"],
        "NAME": {database!r},
        "TEST": {{"NAME": {database!r}}},
    }}
}}
SESSION_FILE_PATH = {files!r}
'''


def run(
    cases=CASES,
    *,
    requests=200,
    rounds=5,
    over_http=False,
    concurrency=4,
    workers=2,
    pages=False,
    note="",
    report=print,
):
    """Measure each case in a process of its own; return one JSON-ready dict.

    ``pages`` adds a whole lesson page to the views timed; ``note`` is kept
    with the results: which run this is, and why it was made.
    """
    options = {
        "requests": requests,
        "rounds": rounds,
        "http": over_http,
        "concurrency": concurrency if over_http else 1,
        "workers": workers if over_http else None,
        "pages": pages,
    }
    results, skipped = [], []
    with tempfile.TemporaryDirectory(prefix="sessionbench-") as workdir:
        for case in cases:
            entry = {"settings": case.settings, "store": case.store}
            if missing := case.missing():
                report(f"{case.settings}: skipped, {missing}")
                skipped.append({**entry, "reason": missing})
                continue
            report(f"{case.settings}: measuring ({case.store})")
            outcome = run_case(case, Path(workdir), options)
            if "unavailable" in outcome:
                skipped.append({**entry, "reason": outcome["unavailable"]})
            else:
                results.append({**entry, **outcome})
    return {
        "schema": SCHEMA,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "note": note,
        "mode": "http" if over_http else "in-process",
        "machine": machine(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "options": options,
        "results": results,
        "skipped": skipped,
    }


def run_case(case, workdir, options):
    """Run one case in a fresh interpreter; return what it printed as JSON."""
    if case.needs == "postgres":
        database = f"sessionbench_{secrets.token_hex(4)}"
    else:
        database = str(workdir / f"{case.settings}.sqlite3")
    files = workdir / f"{case.settings}-sessions"
    files.mkdir()
    module = f"sessionbench_{case.settings}"
    text = SETTINGS_FILE.format(module=case.module, database=database, files=str(files))
    text += "".join(f"{name} = {value}\n" for name, value in case.overrides.items())
    (workdir / f"{module}.py").write_text(text)
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": module,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(workdir), str(PROJECT_DIR), os.environ.get("PYTHONPATH")])
        ),
        # Measure what production runs: no debug toolbar, no query log.
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    }
    spec = json.dumps({**options, "needs": case.needs, "start": START.get(case.needs)})
    try:
        completed = subprocess.run(
            [sys.executable, "-c", CHILD, spec],
            cwd=PROJECT_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise BenchmarkError(
            f"{case.settings}: no result after {CHILD_TIMEOUT} s"
        ) from None
    if completed.returncode != 0:
        raise BenchmarkError(
            f"{case.settings}: the measuring process failed\n{completed.stderr[-3000:]}"
        )
    return json.loads(completed.stdout.splitlines()[-1])


def command_line(data):
    """The command that measures again what `data` (a run's results) measured."""
    options = data["options"]
    words = ["python manage.py sessionbench"]
    if data["mode"] == "http":
        words.append("--http")
        words += [f"--concurrency {options['concurrency']}"]
        words += [f"--workers {options['workers']}"]
    if options.get("pages"):
        words.append("--pages")
    words += [f"--requests {options['requests']}", f"--rounds {options['rounds']}"]
    attempted = [entry["settings"] for entry in data["results"] + data["skipped"]]
    if set(attempted) != set(CASES_BY_NAME):
        words += [f"--only {name}" for name in attempted]
    return " ".join(words)


def machine():
    """What ran the benchmark: ratios from one machine do not transfer to another."""
    return {
        "platform": platform.platform(),
        "processor": processor(),
        "cpu_count": os.cpu_count(),
    }


def processor():
    """The CPU's model name (Linux's /proc/cpuinfo), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
