"""A sessionbench results file made up by a test, for the pages that show
one: lesson 16's chart and table, lesson 15's costs."""

from myapp import benchmark


def given_results(**cases):
    """A results file as sessionbench writes it. Each case is
    (p50 ms without a session, (read ratio, read p50 ms), (write ratio,
    write p50 ms)); every write found its session half the time."""
    results = []
    for name, (
        baseline_ms,
        (read_ratio, read_ms),
        (write_ratio, write_ms),
    ) in cases.items():
        results.append(
            {
                "settings": name,
                "store": benchmark.CASES_BY_NAME[name].store,
                "engine": "db" if name in ("base", "db") else name,
                "baseline": {
                    "requests_per_second": 1000.0,
                    "p50_ms": baseline_ms,
                    "p99_ms": 10.0,
                },
                "read": {
                    "requests_per_second": 600.0,
                    "p50_ms": read_ms,
                    "p99_ms": 10.0,
                    "ratio": read_ratio,
                    "found": 1.0,
                },
                "write": {
                    "requests_per_second": 300.0,
                    "p50_ms": write_ms,
                    "p99_ms": 10.0,
                    "ratio": write_ratio,
                    "found": 0.5,
                },
            }
        )
    return {
        "schema": benchmark.SCHEMA,
        "date": "2030-01-02T03:04:05+00:00",
        "note": "A run for the tests.",
        "mode": "http",
        "machine": {"platform": "Testix-1.0", "processor": "Abacus", "cpu_count": 7},
        "python": "3.99.0",
        "django": "9.9",
        "options": {
            "requests": 11,
            "rounds": 3,
            "http": True,
            "concurrency": 4,
            "workers": 2,
        },
        "results": results,
        "skipped": [{"settings": "redis", "store": "Redis", "reason": "not here"}],
    }
