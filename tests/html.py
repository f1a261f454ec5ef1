"""The one way tests read HTML: parse a response, check it is well formed,
select by id. Tests do not import BeautifulSoup themselves."""

from collections import Counter

from bs4 import BeautifulSoup

LABELLED_INPUTS = ("input", "select", "textarea")
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class Page:
    def __init__(self, response):
        assert response["Content-Type"].startswith("text/html"), response[
            "Content-Type"
        ]
        self.response = response
        self.soup = BeautifulSoup(response.content.decode(), "html.parser")
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
