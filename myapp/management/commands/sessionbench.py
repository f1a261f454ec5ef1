"""python manage.py sessionbench: what a session costs, engine by engine."""

from django.core.management.base import BaseCommand, CommandError

from myapp import benchmark

KIND_NAMES = {"baseline": "no session", "read": "read", "write": "write"}
PAGE_NAME = "lesson page"


class Command(BaseCommand):
    help = (
        "Time a view that reads the session and one that writes it against a "
        "view without a session, under every engine this machine can run. "
        "Lesson 16 shows the results."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--requests",
            type=int,
            default=200,
            help="requests per view per round (default 200)",
        )
        parser.add_argument(
            "--rounds",
            type=int,
            default=5,
            help="rounds; each number is the median over them (default 5)",
        )
        parser.add_argument(
            "--http",
            action="store_true",
            help="measure real gunicorn servers over HTTP instead of in process",
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=4,
            help="with --http: visitors at once, each with its cookie (default 4)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            help="with --http: gunicorn worker processes (default 2)",
        )
        parser.add_argument(
            "--pages",
            action="store_true",
            help="also time a whole lesson page (the visit counter, lesson 6) "
            "against the view without a session",
        )
        parser.add_argument(
            "--only",
            action="append",
            choices=list(benchmark.CASES_BY_NAME),
            metavar="SETTINGS",
            help="measure only this settings module (repeatable): "
            + ", ".join(benchmark.CASES_BY_NAME),
        )
        parser.add_argument(
            "--note",
            default="",
            help="a sentence kept with the results: which run this is, and why",
        )
        parser.add_argument(
            "--json",
            metavar="PATH",
            help=f"also write the results as JSON, e.g. {benchmark.LATEST_RESULTS}",
        )

    def handle(self, *args, **options):
        for name, limit in benchmark.LIMITS.items():
            if not 1 <= options[name] <= limit:
                raise CommandError(f"--{name} must be from 1 to {limit}")
        only = options["only"] or list(benchmark.CASES_BY_NAME)
        try:
            results = benchmark.run(
                [benchmark.CASES_BY_NAME[name] for name in only],
                requests=options["requests"],
                rounds=options["rounds"],
                over_http=options["http"],
                concurrency=options["concurrency"],
                workers=options["workers"],
                pages=options["pages"],
                note=options["note"],
                report=self.stderr.write,
            )
        except benchmark.BenchmarkError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(table(results))
        if options["json"]:
            benchmark.write_results(results, options["json"])
            self.stdout.write(f"\nResults written to {options['json']}")


def table(results):
    """The results as aligned text: one row per settings module."""
    http = results["mode"] == "http"
    names = dict(KIND_NAMES)
    if results["options"].get("pages"):
        names[benchmark.PAGE] = PAGE_NAME
    header = ["settings", "engine", "store"]
    for kind, name in names.items():
        header += (
            [f"{name} req/s", f"{name} p50 ms", f"{name} p99 ms"]
            if http
            else [f"{name} ms"]
        )
        if kind != "baseline":
            header.append(f"{name} ratio")
        if kind in ("read", "write"):
            header.append(f"{name} found")
    rows = [header]
    for result in results["results"]:
        row = [result["settings"], result["engine"], result["store"]]
        for kind in names:
            stats = result[kind]
            if http:
                row += [
                    f"{stats['requests_per_second']:.0f}",
                    f"{stats['p50_ms']:.2f}",
                    f"{stats['p99_ms']:.2f}",
                ]
            else:
                row.append(f"{1000 / stats['requests_per_second']:.3f}")
            if kind != "baseline":
                row.append(f"{stats['ratio']:.2f}")
            if kind in ("read", "write"):
                row.append(f"{stats['found']:.0%}")
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    options = results["options"]
    setup = (
        f"{options['concurrency']} visitors, gunicorn with {options['workers']} workers"
        if http
        else "one visitor, in process"
    )
    intro = (
        f"sessionbench ({results['mode']}): {options['requests']} requests per view "
        f"x {options['rounds']} rounds, {setup}\n"
        f"Django {results['django']}, Python {results['python']}, "
        f"{results['machine']['platform']}, {results['machine']['cpu_count']} CPUs\n"
        f"Reproduce: {benchmark.command_line(results)}\n"
    )
    if results.get("note"):
        intro += f"Note: {results['note']}\n"
    notes = [
        "",
        "ratio: requests per second with the session / without it, same process, "
        "same round (1.00: the session cost nothing measurable).",
        "found: requests whose session was in the store (below 100%: the store "
        "is not shared by the processes, or lost the session).",
    ]
    if results["options"].get("pages"):
        path = next((r[benchmark.PAGE]["path"] for r in results["results"]), "")
        notes.append(
            f"{PAGE_NAME}: {path}, the whole page (inspector, code, headers) "
            "for a visitor with a session."
        )
    notes += [f"skipped {s['settings']}: {s['reason']}" for s in results["skipped"]]
    return intro + "\n" + "\n".join(lines + notes)
