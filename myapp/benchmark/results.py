"""Results files: what `sessionbench --json` writes and lessons 15 and 16 read."""

import json
from datetime import datetime
from pathlib import Path

from .cases import CASES_BY_NAME, KINDS, PAGE

SCHEMA = 1
# `sessionbench --json` writes here (var/ is git-ignored); the lesson page
# shows it, or the reference measured on the course machine when it is absent.
LATEST_RESULTS = Path("var/bench/latest.json")
REFERENCE_RESULTS = Path(__file__).resolve().parent.parent / "benchmark_reference.json"


def write_results(data, path):
    """Write what `run()` returned as JSON, for the lesson page to read."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def read_results(path):
    """A results file written by `sessionbench --json`; ValueError if it is not one."""
    data = json.loads(Path(path).read_text())
    check_results(data)
    return data


def check_results(data):
    """Raise ValueError unless data has the shape `run()` returns."""

    def number(value):
        return isinstance(value, int | float) and not isinstance(value, bool)

    def check_numbers(result, kind, fields):
        for field in fields:
            value = result[kind][field]
            if not number(value) or value < 0:
                raise ValueError(f"{result['settings']} {kind} {field}")

    try:
        if data["schema"] != SCHEMA or data["mode"] not in ("in-process", "http"):
            raise ValueError("unknown schema or mode")
        datetime.fromisoformat(data["date"])
        if not isinstance(data["machine"]["cpu_count"], int):
            raise ValueError("machine.cpu_count is not a number")
        for key in ("platform", "processor"):
            str(data["machine"][key])
        str(data["python"]), str(data["django"])
        if not isinstance(data.get("note", ""), str):
            raise ValueError("note is not text")
        for result in data["results"]:
            if result["settings"] not in CASES_BY_NAME:
                raise ValueError(f"unknown case {result['settings']!r}")
            for kind in KINDS:
                fields = ["requests_per_second", "p50_ms", "p99_ms"]
                if kind != "baseline":
                    fields += ["ratio", "found"]
                check_numbers(result, kind, fields)
            # A lesson page, in a run made with --pages.
            if PAGE in result:
                check_numbers(
                    result, PAGE, ["requests_per_second", "p50_ms", "p99_ms", "ratio"]
                )
                str(result[PAGE]["path"])
        for skipped in data["skipped"]:
            str(skipped["settings"]), str(skipped["reason"])
    except (KeyError, TypeError) as error:
        raise ValueError(f"not a sessionbench results file ({error!r})") from None
