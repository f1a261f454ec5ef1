"""The source renderer (myapp/source.py): highlighted once per version of a file,
never stale after the file changes (runserver's autoreload does not restart
for every file a page shows)."""

import os
import re
import sys
from html import unescape

import pytest

from myapp import source

SHOWN = "shown.py"
# A path with a slash: what excerpt_of() reads as a file, not a dotted name.
SHOWN_IN_FOLDER = "folder/shown.py"


# Modification times in nanoseconds: 2001-09-09, then a second and two later.
SAVED = 1_000_000_000_000_000_000
SAVED_AGAIN = SAVED + 1_000_000_000
TOUCHED = SAVED + 2_000_000_000


def write(path, text, mtime_ns):
    """Write text to path and give it this modification time."""
    path.write_text(text)
    os.utime(path, ns=(mtime_ns, mtime_ns))


@pytest.fixture
def project(tmp_path, settings):
    """A project directory of the test's own: files are shown relative to it."""
    settings.BASE_DIR = tmp_path
    return tmp_path


@pytest.fixture
def highlights(monkeypatch):
    """Count the calls to Pygments: what the cache saves."""
    calls = []

    def counted(text, lexer, formatter):
        calls.append(text)
        return highlight(text, lexer, formatter)

    highlight = source.highlight
    monkeypatch.setattr(source, "highlight", counted)
    return calls


class TestProjectFile:
    def test_is_highlighted_once_while_it_does_not_change(self, project, highlights):
        write(project / SHOWN, "answer = 42\n", SAVED)
        first = source.source_of(SHOWN)
        again = source.source_of(SHOWN)
        assert again is first
        assert highlights == ["answer = 42\n"]

    def test_a_changed_file_is_shown_changed(self, project):
        write(project / SHOWN, "answer = 42\n", SAVED)
        assert source.source_of(SHOWN).text == "answer = 42\n"
        write(project / SHOWN, "answer = 43\n", SAVED_AGAIN)
        changed = source.source_of(SHOWN)
        assert changed.text == "answer = 43\n"
        assert "43" in changed.html
        assert "42" not in changed.html

    def test_a_touched_file_is_read_again(self, project, highlights):
        """Only the modification time changed: read and highlighted again."""
        write(project / SHOWN, "answer = 42\n", SAVED)
        source.source_of(SHOWN)
        os.utime(project / SHOWN, ns=(TOUCHED, TOUCHED))
        assert source.source_of(SHOWN).text == "answer = 42\n"
        assert len(highlights) == 2


class TestExcerpt:
    @pytest.fixture
    def project(self, project):
        (project / "folder").mkdir()
        return project

    def test_follows_the_file_it_is_cut_from(self, project):
        write(project / SHOWN_IN_FOLDER, "a = 1\nanswer = 42\n", SAVED)
        excerpt = source.excerpt_of(SHOWN_IN_FOLDER, "answer", 1)
        assert (excerpt.text, excerpt.first_line) == ("answer = 42\n", 2)
        write(project / SHOWN_IN_FOLDER, "answer = 43\n", SAVED_AGAIN)
        excerpt = source.excerpt_of(SHOWN_IN_FOLDER, "answer", 1)
        assert (excerpt.text, excerpt.first_line) == ("answer = 43\n", 1)
        assert "43" in excerpt.html

    def test_a_start_no_longer_in_the_file_is_an_error(self, project):
        write(project / SHOWN_IN_FOLDER, "answer = 42\n", SAVED)
        source.excerpt_of(SHOWN_IN_FOLDER, "answer", 1)
        write(project / SHOWN_IN_FOLDER, "reply = 42\n", SAVED_AGAIN)
        with pytest.raises(ValueError, match="'answer' is not in the source"):
            source.excerpt_of(SHOWN_IN_FOLDER, "answer", 1)


class TestModule:
    def test_a_module_is_shown_as_its_file_now_reads(self, project, monkeypatch):
        """An imported module's file changed (runserver restarts for .py files;
        anything else that imported it does not): the page shows the file."""
        name = f"shown_module_{os.getpid()}"
        path = project / f"{name}.py"
        write(path, "answer = 42\n", SAVED)
        monkeypatch.syspath_prepend(str(project))
        module = __import__(name)
        try:
            assert source.source_of(module).text == "answer = 42\n"
            write(path, "answer = 43\n", SAVED_AGAIN)
            shown = source.source_of(module)
            assert shown.text == "answer = 43\n"
            assert shown.path == f"{name}.py"
        finally:
            del sys.modules[name]


class TestHighlighting:
    CODE = 'def count(request):\n    return request.session.get("n", 0) + 1  # one\n'

    def test_styled_tokens_keep_their_span(self):
        html = source.highlighted(self.CODE)
        for styled in ('class="k"', 'class="nf"', 'class="s2"', 'class="c1"'):
            assert styled in html

    def test_plain_tokens_are_text_and_the_code_reads_the_same(self):
        """Names, punctuation and whitespace have no style: no span each."""
        html = source.highlighted(self.CODE)
        for plain in ('class="n"', 'class="p"', 'class="w"'):
            assert plain not in html
        assert "(request):" in html
        text = re.sub(r"<[^>]+>", "", html)
        assert unescape(text).rstrip() == self.CODE.rstrip()
