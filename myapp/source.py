"""Show the code that runs: source read from the live objects, highlighted.

Lesson pages never paste code. They name functions, classes or modules (or a
project file by its path) and this module reads them with ``inspect``, so the
page and the running code cannot disagree.

Highlighting a function takes Pygments milliseconds, and every lesson page
shows a few, so the highlighted code is kept per process. It is kept under
the file's path, modification time and size: a changed file (which
runserver's autoreload may not restart for, a project file shown by its path)
is read and highlighted again on the next request, never shown stale.
"""

import importlib
import inspect
import os
import sysconfig
import textwrap
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.safestring import mark_safe
from pygments import highlight
from pygments.filter import Filter
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from pygments.token import STANDARD_TYPES, Token

FORMATTER = HtmlFormatter(cssclass="highlight", wrapcode=True)


def looks_plain(token_type):
    """True when the style gives this token no colour, weight, slant or border."""
    style = FORMATTER.style.style_for_token(token_type)
    shown = ("color", "bgcolor", "bold", "italic", "underline", "border")
    return not any(style[name] for name in shown)


# Pygments wraps every token in a <span>, also the names and punctuation its
# style leaves plain, and whitespace (whose colour nobody sees): about half of
# a lesson page's elements. Written as plain text they look the same, and the
# browser (and axe-core, which checks every element's contrast) has half the
# elements to lay out and check.
PLAIN_TYPES = frozenset(
    token_type for token_type in STANDARD_TYPES if looks_plain(token_type)
) | {Token.Text.Whitespace}


class PlainWhereUnstyled(Filter):
    def filter(self, lexer, stream):
        for token_type, value in stream:
            yield (Token.Text if token_type in PLAIN_TYPES else token_type), value


def highlighted(text):
    """Python source as HTML, styled by the Pygments rules in course.css."""
    lexer = PythonLexer()
    lexer.add_filter(PlainWhereUnstyled())
    return mark_safe(highlight(text, lexer, FORMATTER))


# Where installed packages live: Django's own code is shown relative to these.
PACKAGE_ROOTS = {
    Path(sysconfig.get_paths()[name]).resolve() for name in ("purelib", "platlib")
}


def display_path(path):
    """myapp/views.py for the project, django/contrib/... for Django itself.

    Packages first: the virtualenv may sit inside the project.
    """
    path = Path(path).resolve()
    for root in PACKAGE_ROOTS:
        if path.is_relative_to(root):
            return str(path.relative_to(root))
    return str(path.relative_to(settings.BASE_DIR))


@dataclass(frozen=True)
class Source:
    name: str  # dotted name, or the file path
    path: str  # relative to the project, for the caption
    first_line: int
    text: str
    html: str

    @property
    def element_id(self):
        return "source-" + self.name.replace(".", "-").replace("/", "-")


# Highlighted code kept per process: at most this many versions of it.
CACHED_SOURCES = 512


def source_of(target):
    """Source of a function, class or module (the project's or Django's), or of
    a project file given by its path; highlighted once per version of its file."""
    path = source_file(target)
    version = os.stat(path)
    return highlighted_source(target, path, version.st_mtime_ns, version.st_size)


def source_file(target):
    """The file a target's source is read from."""
    if isinstance(target, str):
        return Path(settings.BASE_DIR, target)
    return file_of(target)


@cache
def file_of(target):
    """The file a function, class or module was loaded from: it stays the same
    for the life of the process, so it is looked up once."""
    return Path(inspect.getsourcefile(inspect.unwrap(target)))


@lru_cache(maxsize=CACHED_SOURCES)
def highlighted_source(target, path, mtime_ns, size):
    """Read and highlight target: once per version (mtime_ns, size) of path."""
    if isinstance(target, str):
        text, first_line, name = path.read_text(), 1, target
    else:
        # Decorated views: read the function the decorators wrap (its source
        # starts at the first decorator line).
        target = inspect.unwrap(target)
        lines, first_line = inspect.getsourcelines(target)
        text = "".join(lines)
        qualname = getattr(target, "__qualname__", "")
        name = f"{target.__module__}.{qualname}" if qualname else target.__name__
        first_line = max(first_line, 1)  # modules report line 0
    return Source(
        name=name,
        path=display_path(path),
        first_line=first_line,
        text=text,
        html=highlighted(text),
    )


@cache
def resolve(dotted_name):
    """The object a dotted name points to: a module, or an attribute inside one
    (``myapp.lessons.visit_counter.count``, ``django.contrib.sessions.backends.db``)."""
    parts = dotted_name.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(f"nothing to show at {dotted_name!r}")


@dataclass(frozen=True)
class Excerpt:
    name: str  # what it is cut from, as given
    path: str
    first_line: int
    text: str
    html: str


def excerpt_of(name, start, line_count):
    """``line_count`` lines of the running code, from the first line that
    contains ``start``: the short snippet at the top of a lesson.

    ``name`` is a dotted name or a project file path, as for ``source_of``.
    A ``start`` that is not in the code is an error, so a snippet cannot
    silently drift from the code it quotes.
    """
    source = source_of(name if "/" in name else resolve(name))
    return cut_excerpt(source, name, start, line_count)


@lru_cache(maxsize=CACHED_SOURCES)
def cut_excerpt(source, name, start, line_count):
    """The excerpt, highlighted once per version of the source it is cut from."""
    lines = source.text.splitlines()
    index = next((i for i, line in enumerate(lines) if start in line), None)
    if index is None:
        raise ValueError(f"{start!r} is not in the source of {name}")
    text = textwrap.dedent("\n".join(lines[index : index + line_count])) + "\n"
    return Excerpt(
        name=name,
        path=source.path,
        first_line=source.first_line + index,
        text=text,
        html=highlighted(text),
    )


def stylesheet():
    """The Pygments rules; static/css/course.css includes them (make css)."""
    return FORMATTER.get_style_defs(".highlight")
