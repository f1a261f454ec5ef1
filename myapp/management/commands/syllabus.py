"""Print the course as a Markdown table, or write it into README.md.

The README's syllabus is generated from myapp/course.py, so the two cannot
drift apart; tests/test_course.py fails when they do.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from myapp.course import LESSONS

START = "<!-- syllabus:start -->"
END = "<!-- syllabus:end -->"


def syllabus_table():
    rows = [
        "| # | lesson | URL | views | template | tests |",
        "|---|---|---|---|---|---|",
    ]
    for lesson in LESSONS:
        if lesson.available:
            cells = (
                f"`{lesson.url}`",
                f"`{lesson.module_path}`",
                f"`templates/{lesson.template_name}`",
                f"`{lesson.test_path}`",
            )
        else:
            cells = ("coming", "", "", "")
        rows.append(f"| {lesson.number} | {lesson.title} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def readme_with_syllabus(readme):
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{syllabus_table()}\n{END}{tail}"


class Command(BaseCommand):
    help = "Print the syllabus table; with --write, update README.md in place."

    def add_arguments(self, parser):
        parser.add_argument(
            "--write", action="store_true", help="rewrite the table in README.md"
        )

    def handle(self, *args, write=False, **options):
        if not write:
            self.stdout.write(syllabus_table())
            return
        readme = Path(settings.BASE_DIR, "README.md")
        readme.write_text(readme_with_syllabus(readme.read_text()))
        self.stdout.write(f"Updated the syllabus in {readme.name}.")
