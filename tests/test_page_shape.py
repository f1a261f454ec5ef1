"""Every lesson keeps the page shape: a short core, the demo near the top, the
detail folded below it, and code that is the running code.

The limits come from the course's syllabus ("How a lesson page reads"): at
most 300 words before "Try it" (median at most 250), no sentence over 30 words
there, a takeaway, at most two misconception boxes in the core, and "Go
deeper" sections that are folded questions.
"""

import statistics
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import URLPattern, reverse

from myapp.course import live_lessons
from myapp.source import resolve, source_of
from tests.html import parse, reading_load

LIVE = live_lessons()
MOST_WORDS_BEFORE_DEMO = 300
MEDIAN_WORDS_BEFORE_DEMO = 250
LONGEST_SENTENCE = 30
MOST_MISCONCEPTIONS_IN_CORE = 2


def lesson_ids(lessons):
    return [lesson.slug for lesson in lessons]


@pytest.fixture
def served(client, db):
    """The lesson page as a first-time visitor gets it."""

    def get(lesson):
        response = client.get(lesson.url)
        assert response.status_code == 200
        return response

    return get


@pytest.mark.parametrize("lesson", LIVE, ids=lesson_ids(LIVE))
class TestCore:
    def test_at_most_300_words_before_try_it(self, served, lesson):
        load = reading_load(served(lesson).content.decode(), LONGEST_SENTENCE)
        assert load.words_before_demo <= MOST_WORDS_BEFORE_DEMO

    def test_no_sentence_over_30_words_before_try_it(self, served, lesson):
        load = reading_load(served(lesson).content.decode(), LONGEST_SENTENCE)
        assert load.long_sentences == []

    def test_a_takeaway_in_the_core(self, served, lesson):
        page = parse(served(lesson))
        takeaways = page.by_id("explanation").select(".takeaway")
        assert len(takeaways) == 1
        assert len(takeaways[0].get_text(" ").split()) >= 5

    def test_at_most_two_misconception_boxes_in_the_core(self, served, lesson):
        page = parse(served(lesson))
        boxes = page.by_id("explanation").select(".misconception")
        assert len(boxes) <= MOST_MISCONCEPTIONS_IN_CORE

    def test_go_deeper_sections_are_folded_questions(self, served, lesson):
        page = parse(served(lesson))
        sections = page.by_id("deeper").find_all("details", recursive=False)
        assert sections, "no Go deeper section"
        for section in sections:
            assert not section.has_attr("open")
            question = " ".join(section.summary.get_text(" ").split())
            assert question.endswith("?"), question
            assert section.get("id", "").startswith("deeper-"), question


def test_median_core_at_most_250_words(client, db):
    words = [
        reading_load(client.get(lesson.url).content.decode()).words_before_demo
        for lesson in LIVE
    ]
    assert statistics.median(words) <= MEDIAN_WORDS_BEFORE_DEMO


def folded_lines(text):
    """Non-blank lines, spaces folded; an elision line (…, ...) is not code."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return [line for line in lines if line and line.strip("#. …") != ""]


def running_code(name):
    return source_of(name if "/" in name else resolve(name)).text


@pytest.mark.parametrize("lesson", LIVE, ids=lesson_ids(LIVE))
class TestCodeOnThePage:
    """Code in the core and in Go deeper is the running code, or a labelled
    mistake that a named test proves, or a shell command."""

    def code_blocks(self, response):
        page = parse(response)
        for section_id in ("explanation", "deeper"):
            yield from page.by_id(section_id).find_all("pre")

    def test_every_code_block_is_running_code_or_a_tested_mistake(self, served, lesson):
        for block in self.code_blocks(served(lesson)):
            excerpt = block.find_parent("figure", class_="excerpt")
            mistake = block.find_parent("figure", class_="mistake")
            if excerpt is not None:
                continue  # rendered from the code by {% excerpt %}
            if "shell" in block.get("class", []):
                continue  # commands to type, not code that runs here
            if mistake is not None:
                assert "mistake" in mistake.figcaption.get_text().lower()
                test_file, _, test_name = mistake["data-test"].partition("::")
                test_source = Path(settings.BASE_DIR, test_file).read_text()
                assert f"def {test_name.split('::')[-1]}(" in test_source, (
                    f"{mistake['data-test']} does not exist"
                )
                continue
            assert block.has_attr("data-from"), (
                f"a code block neither rendered from the code nor checked: "
                f"{block.get_text()[:80]!r}"
            )
            code = " ".join(running_code(block["data-from"]).split())
            for line in folded_lines(block.get_text()):
                assert line in code, f"{line!r} is not in {block['data-from']}"


def demo_views(lesson):
    """The views behind the lesson's demo URLs, seed views included."""
    from myapp import urls

    patterns = list(lesson.module.urlpatterns) + [
        pattern for pattern in urls.urlpatterns if isinstance(pattern, URLPattern)
    ]
    return {
        pattern.name: pattern.callback
        for pattern in patterns
        if isinstance(pattern, URLPattern) and lesson.owns(pattern.name)
    }


@pytest.mark.parametrize("lesson", LIVE, ids=lesson_ids(LIVE))
def test_every_demo_view_is_shown_or_says_why_not(lesson):
    """A demo whose code the page does not show is listed in NOT_SHOWN with
    the reason, so leaving a view out of SHOWN is a decision, not a slip."""
    shown = set(lesson.shown)
    not_shown = getattr(lesson.module, "NOT_SHOWN", {})
    for name, view in demo_views(lesson).items():
        if view in not_shown:
            assert len(not_shown[view].split()) >= 4, f"say why {name} is not shown"
        else:
            assert view in shown, f"{name} is neither in SHOWN nor in NOT_SHOWN"


def test_an_excerpt_is_cut_from_the_running_code(client, db):
    """The snippet tag quotes the code it names, from the line it is told."""
    from myapp.source import excerpt_of

    excerpt = excerpt_of("myapp.views.getsession", "STUDENT_NAME_KEY", 1)
    assert excerpt.text.strip() in source_of(resolve("myapp.views.getsession")).text
    assert "STUDENT_NAME_KEY" in excerpt.text
    assert excerpt.text.count("\n") == 1
    with pytest.raises(ValueError, match="is not in the source"):
        excerpt_of("myapp.views.getsession", "no such line anywhere", 1)


def test_the_top_pager_jumps_to_try_it(client, db):
    lesson = LIVE[1]
    page = parse(client.get(lesson.url))
    top = page.by_id("pager-top")
    assert top.find("a", class_="jump")["href"] == "#demo"
    assert top.find("a", rel="prev")["href"] == LIVE[0].url
    assert top.find("a", rel="next")["href"] == LIVE[2].url
    assert reverse("myapp:index") in page.links()
