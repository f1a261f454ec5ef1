"""The one way tests read HTML: parse a response, check it is well formed,
select by id. Tests do not import BeautifulSoup themselves."""

import re
from collections import Counter
from dataclasses import dataclass

from bs4 import BeautifulSoup

LABELLED_INPUTS = ("input", "select", "textarea")
# Pygments wraps every token of highlighted code in a <span>: most of a
# lesson page's elements, and most of the time BeautifulSoup takes to build
# its tree. Tests read code as text, which is the same without them.
CODE_BLOCK = re.compile(r"<pre\b.*?</pre>", re.DOTALL)
SPAN_TAG = re.compile(r"</?span\b[^>]*>")


def without_code_spans(html):
    return CODE_BLOCK.sub(lambda block: SPAN_TAG.sub("", block.group(0)), html)


UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class Page:
    def __init__(self, response):
        assert response["Content-Type"].startswith("text/html"), response[
            "Content-Type"
        ]
        self.response = response
        html = without_code_spans(response.content.decode())
        self.soup = BeautifulSoup(html, "html.parser")
        self.check_well_formed()

    def check_well_formed(self):
        """Fail on what makes a page invalid or inaccessible: duplicate ids,
        form fields without a label, a missing lang or title."""
        ids = Counter(tag["id"] for tag in self.soup.find_all(id=True))
        duplicates = [id_ for id_, count in ids.items() if count > 1]
        assert not duplicates, f"duplicate ids: {duplicates}"
        if self.soup.html is not None:
            assert self.soup.html.get("lang"), "<html> has no lang"
            assert self.soup.title, "page without a <title>"
            assert self.soup.title.get_text(strip=True), "empty <title>"
        for field in self.soup.find_all(LABELLED_INPUTS):
            if field.get("type") in UNLABELLED_TYPES:
                continue
            field_id = field.get("id")
            labelled = (
                field.get("aria-label")
                or (field_id and self.soup.find("label", attrs={"for": field_id}))
                or field.find_parent("label")
            )
            assert labelled, f"form field without a label: {field}"
        for form in self.soup.find_all("form"):
            if form.get("method", "get").lower() == "post":
                assert form.find("input", attrs={"name": "csrfmiddlewaretoken"}), (
                    f"POST form without a CSRF token: {form.get('action')}"
                )

    def by_id(self, element_id):
        element = self.soup.find(id=element_id)
        assert element is not None, f"no element with id {element_id!r}"
        return element

    def has_id(self, element_id):
        return self.soup.find(id=element_id) is not None

    def text(self, element_id=None):
        """The visible text of an element (or the whole page), spaces folded."""
        element = self.by_id(element_id) if element_id else self.soup
        return " ".join(element.get_text(" ").split())

    def raw_text(self, element_id):
        """The text of an element exactly as written, for code blocks."""
        return self.by_id(element_id).get_text()

    def select(self, css):
        return self.soup.select(css)

    def links(self):
        return [a["href"] for a in self.soup.find_all("a", href=True)]

    def forms(self):
        return self.soup.find_all("form")

    def field_errors(self):
        return [" ".join(e.get_text(" ").split()) for e in self.select(".errorlist")]

    def inspector_items(self):
        """The session inspector's table as {key: JSON text}."""
        table = self.soup.find(id="inspector-items")
        if table is None or table.name != "table":
            return {}
        return {
            row.th.get_text(strip=True): row.td.get_text(strip=True)
            for row in table.tbody.find_all("tr")
        }


def parse(response):
    return Page(response)


# --- Reading load ---------------------------------------------------------
# How much a learner reads before a lesson's demo: the same measure as the
# course's reading-load tool. The words of the lesson's <article> before
# #demo; a folded <details> counts only its summary line; code blocks (<pre>)
# are not words. A sentence ends at . ! ? or : before a capital or "(", so a
# heading without a full stop runs into the sentence after it.

SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-Z(])")


@dataclass(frozen=True)
class ReadingLoad:
    words_before_demo: int
    long_sentences: list  # the sentences over the limit, to name in a failure
    has_takeaway: bool


def reading_load(html, longest_sentence=30):
    soup = BeautifulSoup(without_code_spans(html), "html.parser")
    article = soup.select_one("article") or soup
    demo = article.select_one("#demo")
    has_takeaway = article.select_one(".takeaway") is not None
    for folded in article.select("details:not([open])"):
        for child in list(folded.children):
            if getattr(child, "name", None) != "summary":
                child.extract()
    parts = []
    for element in article.descendants:
        if element is demo:
            break
        if isinstance(element, str) and not any(
            parent.name == "pre" for parent in element.parents
        ):
            parts.append(str(element))
    before = re.sub(r"\s+", " ", " ".join(parts)).strip()
    sentences = [s for s in SENTENCE_END.split(before) if len(s.split()) > 2]
    return ReadingLoad(
        words_before_demo=len(before.split()),
        long_sentences=[s for s in sentences if len(s.split()) > longest_sentence],
        has_takeaway=has_takeaway,
    )
