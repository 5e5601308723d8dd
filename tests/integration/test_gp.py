"""GP consultation mode through the Flask client: the search, bad input, the handout and
the text for the record. Pages are read with the standard library's HTML parser."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from html import escape
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from signpost.crisis import crisis_lines
from signpost.directory.loading import public_service_filter
from signpost.models import Organization, Service
from signpost.search.presenters import long_date

QUERY = [
    ("location", "LS1 1BA"),
    ("need", "depression"),
    ("age", "34"),
    ("severity", "more-severe"),
]


def gp_url(path: str = "/gp", pairs: list[tuple[str, str]] | None = None, **changes: str) -> str:
    """``path`` with the search query (QUERY unless ``pairs``), ``changes`` replacing fields."""
    query = dict(QUERY if pairs is None else pairs) | changes
    return f"{path}?{urlencode(list(query.items()))}"


def with_services(path: str, ids: list[str]) -> str:
    return gp_url(path) + "".join(f"&{urlencode({'service': i})}" for i in ids)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


@dataclass
class Page:
    """The parts of a rendered page the tests look at."""

    title: str = ""
    ids: list[str] = field(default_factory=list)
    h1: list[str] = field(default_factory=list)
    inputs: list[Element] = field(default_factory=list)
    buttons: list[Element] = field(default_factory=list)
    forms: list[Element] = field(default_factory=list)
    textareas: list[Element] = field(default_factory=list)
    images: list[Element] = field(default_factory=list)
    links: list[Element] = field(default_factory=list)
    text: str = ""

    @property
    def checkboxes(self) -> list[Element]:
        return [i for i in self.inputs if i.attrs.get("type") == "checkbox"]

    @property
    def service_boxes(self) -> list[Element]:
        return [box for box in self.checkboxes if box.attrs.get("name") == "service"]

    @property
    def service_ids(self) -> list[str]:
        return [box.attrs["value"] for box in self.service_boxes]

    def hidden(self) -> list[tuple[str, str]]:
        return [
            (i.attrs["name"], i.attrs.get("value", ""))
            for i in self.inputs
            if i.attrs.get("type") == "hidden"
        ]

    def error_links(self) -> list[str]:
        return [
            link.attrs["href"]
            for link in self.links
            if link.attrs.get("href", "").startswith("#")
            and "error-summary" in link.attrs.get("_in", "")
        ]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._stack: list[Element] = []
        self._classes: list[str] = []
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        values["_in"] = " ".join(self._classes)
        element = Element(tag, values)
        if "id" in values:
            self.page.ids.append(values["id"])
        kinds = {
            "input": self.page.inputs,
            "form": self.page.forms,
            "img": self.page.images,
            "a": self.page.links,
            "button": self.page.buttons,
            "textarea": self.page.textareas,
        }
        if tag in kinds:
            kinds[tag].append(element)
        if tag not in {"input", "img", "br", "meta", "link", "hr"}:
            self._stack.append(element)
            self._classes.append(values.get("class", ""))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            element = self._stack.pop()
            self._classes.pop()
            if element.tag == "h1":
                self.page.h1.append(" ".join(element.text.split()))
            if element.tag == "title":
                self.page.title = " ".join(element.text.split())
            if element.tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for element in self._stack:
            element.text += data
        if not any(e.tag in {"script", "style", "title"} for e in self._stack):
            self._text.append(data)

    def close(self) -> None:
        super().close()
        self.page.text = " ".join(" ".join(self._text).split())


def parse(html: str) -> Page:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.page


def assert_page_invariants(page: Page) -> None:
    """One h1, a title that starts with it, no duplicate ids."""
    assert len(page.h1) == 1, f"expected one h1, got {page.h1}"
    title = page.title.removeprefix("Error: ")
    assert title.startswith(page.h1[0]), f"title {page.title!r} should start with {page.h1[0]!r}"
    duplicates = [i for i, n in Counter(page.ids).items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def results(client: FlaskClient) -> Page:
    response = client.get(gp_url())
    assert response.status_code == 200
    return parse(response.text)


@pytest.fixture
def elsewhere_id(db_session: Session, results: Page) -> tuple[str, str]:
    """A public service that is not in the Leeds results: (id, name)."""
    row = db_session.execute(
        select(Service.id, Service.name)
        .join(Organization)
        .where(public_service_filter(), Service.id.not_in(results.service_ids))
        .order_by(Service.name, Service.id)
        .limit(1)
    ).one()
    return row.id, row.name


# --------------------------------------------------------------------------- /gp


def test_blank_form_focuses_the_postcode(client: FlaskClient) -> None:
    response = client.get("/gp")
    assert response.status_code == 200
    page = parse(response.text)
    assert_page_invariants(page)
    assert page.h1 == ["Find talking therapy with your patient"]
    location = next(i for i in page.inputs if i.attrs.get("id") == "location")
    assert "autofocus" in location.attrs
    assert "results-heading" not in page.ids
    search_form = page.forms[-1]
    assert search_form.attrs["action"] == "/gp" and search_form.attrs["method"] == "get"


def test_results_are_a_table_of_services_to_tick(results: Page) -> None:
    assert_page_invariants(results)
    assert "results-heading" in results.ids
    assert not any("autofocus" in i.attrs for i in results.inputs)  # focus goes to the results
    ids = results.service_ids
    assert 5 <= len(ids) <= 20 and len(set(ids)) == len(ids)
    # The first box has the group's name as its id, so an error summary can link to it.
    assert results.service_boxes[0].attrs["id"] == "service"
    for header in ("Service", "Therapy", "Distance", "Cost", "Referral", "Wait"):
        assert header in results.text
    assert "Choose services for the handout" in results.text  # the fieldset's legend


def test_results_cite_nice_and_show_the_choice_panel(results: Page) -> None:
    assert "Your choices under NICE" in results.text
    assert "NICE choice (NG222" in results.text
    assert any(link.attrs.get("href", "").endswith("/ng222") for link in results.links)


def test_the_handout_form_carries_the_query_and_the_ticks(results: Page) -> None:
    handout_form = next(f for f in results.forms if f.attrs["action"] == "/gp/handout")
    assert handout_form.attrs["method"] == "get"
    assert results.hidden() == QUERY
    first, second = results.buttons[-2:]
    assert squash(first.text) == "Make a handout"  # the default button: Enter opens the handout
    assert squash(second.text) == "Text for the record"
    assert second.attrs["formaction"] == "/gp/record"


def test_ticked_services_stay_ticked(client: FlaskClient, results: Page) -> None:
    chosen = results.service_ids[1:3]
    page = parse(client.get(with_services("/gp", chosen)).text)
    assert [b.attrs["value"] for b in page.service_boxes if "checked" in b.attrs] == chosen


def test_a_blank_gp_page_ignores_stray_ticks(client: FlaskClient) -> None:
    response = client.get("/gp?service=abc")
    assert response.status_code == 200
    assert "There is a problem" not in response.text


def asked(**fields: str) -> dict[str, str]:
    return {"location": "LS1 1BA", "need": "depression", "age": "34"} | fields


BAD_INPUT = [
    (asked(location=""), "location", "Enter a postcode, part of a postcode or a town"),
    (asked(need=""), "need", "Select what your patient wants help with"),
    ({"location": "LS1 1BA"}, "need", "Select what your patient wants help with"),
    (asked(need="sadness"), "need", "Select what your patient wants help with from the list"),
    (asked(age="old"), "age", "Age must be a whole number"),
    (asked(age="999"), "age", "Age must be between"),
    (asked(severity="dire"), "severity", "Select how much"),
    (asked(max_cost="lots"), "max_cost", "Enter the most"),
    (asked(age=""), "age", "Enter your age, or say if you are under 18"),
    (asked(location="ZZ99 9ZZ"), "location", "is not a valid postcode"),
    (asked(location="L$1 1BA!!"), "location", "is not a valid postcode"),
    (asked(location="BT99 1AA"), "location", "Northern Ireland"),
    (asked(location="x" * 5000), "location", "We could not find a place"),
]


@pytest.mark.parametrize(("args", "field_name", "message"), BAD_INPUT)
def test_bad_input_gets_an_error_summary_not_a_500(
    client: FlaskClient, args: dict[str, str], field_name: str, message: str
) -> None:
    response = client.get(f"/gp?{urlencode(args)}")
    assert response.status_code == 400
    page = parse(response.text)
    assert_page_invariants(page)
    assert page.title.startswith("Error: Find talking therapy with your patient")
    assert "There is a problem" in page.text
    assert message in page.text
    links = page.error_links()
    assert f"#{field_name}" in links
    for link in links:
        assert link[1:] in page.ids, f"error summary link {link} points at nothing"
    assert "results-heading" not in page.ids


def test_missing_need_keeps_what_was_typed(client: FlaskClient) -> None:
    page = parse(client.get("/gp?location=LS6+3HN&need=&age=40").text)
    location = next(i for i in page.inputs if i.attrs.get("id") == "location")
    assert location.attrs["value"] == "LS6 3HN"
    assert next(i for i in page.inputs if i.attrs.get("id") == "age").attrs["value"] == "40"


# --------------------------------------------------------------------------- /gp/handout


def test_handout_shows_the_chosen_services(
    client: FlaskClient, db_session: Session, results: Page
) -> None:
    chosen = results.service_ids[:3]
    response = client.get(with_services("/gp/handout", chosen))
    assert response.status_code == 200
    html = response.text
    page = parse(html)
    assert_page_invariants(page)
    assert page.h1 == ["Talking therapy options for you"]
    assert re.findall(r'data-service-id="([^"]+)"', html) == chosen
    for service_id in chosen:
        service = db_session.get(Service, service_id)
        assert service is not None
        item = html.split(f'data-service-id="{service_id}"', 1)[1].split("</li>", 1)[0]
        assert escape(service.name) in item
        routes = set(service.referral_routes)
        if "self-referral" in routes:
            assert "How to start:" in item
            contact = escape(service.how_to_refer or service.phone or service.website or "")
            assert contact in item
        elif "gp-referral" in routes:
            assert "Your GP will refer you." in item
        assert "Why this one:" in item and "NICE" in item


def test_handout_has_nice_choice_crisis_lines_date_and_qr(
    client: FlaskClient, results: Page
) -> None:
    page = parse(client.get(with_services("/gp/handout", results.service_ids[:1])).text)
    assert "Your choices under NICE" in page.text
    assert "NG222" in page.text and "Usually offered first:" in page.text
    for line in crisis_lines("england", 34):  # the results fixture: Leeds, age 34
        if line.key != "emergency":
            assert f"{line.name}: {line.contact}" in page.text
    assert "call 999 or go to A&E" in page.text
    assert "Childline" not in page.text.split("Text for the record")[0]  # not for age 34
    assert long_date(date.today()) in page.text
    qr = next(i for i in page.images if "qr" in i.attrs.get("class", ""))
    assert qr.attrs["src"].startswith("data:image/png;base64,")
    assert qr.attrs["alt"]
    assert "LS1 1BA" not in page.text.split("Text for the record")[0]  # outward code on paper


def test_handout_covers_one_gp_only_service(client: FlaskClient, db_session: Session) -> None:
    """A service only the GP can refer to says so, in place of contact details."""
    pairs = [("location", "LS1 1BA"), ("need", "depression"), ("age", "34")]
    page = parse(client.get(gp_url("/gp", pairs)).text)
    gp_only = [
        service_id
        for service_id in page.service_ids
        if "self-referral" not in (db_session.get(Service, service_id) or Service()).referral_routes
    ]
    assert gp_only, "the Leeds demo data should have a service without self-referral"
    url = gp_url("/gp/handout", pairs) + f"&service={gp_only[0]}"
    html = client.get(url).text
    assert "<strong>How to start:</strong> Your GP will refer you." in html


def test_more_than_five_ticked_keeps_the_first_five(client: FlaskClient, results: Page) -> None:
    chosen = results.service_ids[:7]
    html = client.get(with_services("/gp/handout", chosen)).text
    assert re.findall(r'data-service-id="([^"]+)"', html) == chosen[:5]
    assert "You selected 7 services. A handout has room for 5, so it shows the first 5." in html


def test_unknown_and_ineligible_services_are_explained(
    client: FlaskClient, results: Page, elsewhere_id: tuple[str, str]
) -> None:
    other_id, other_name = elsewhere_id
    chosen = [results.service_ids[0], "no-such-service", other_id]
    response = client.get(with_services("/gp/handout", chosen))
    assert response.status_code == 200
    html = response.text
    assert re.findall(r'data-service-id="([^"]+)"', html) == chosen[:1]
    assert "1 service you selected could not be found" in html
    assert f"{escape(other_name)} is not in the results for this search" in html


@pytest.mark.parametrize(
    "services",
    [[], ["no-such-service"], ["x" * 5000], ["'; DROP TABLE services; --", "%00", "../../etc"]],
)
def test_no_usable_service_asks_to_select_one(client: FlaskClient, services: list[str]) -> None:
    response = client.get(with_services("/gp/handout", services))
    assert response.status_code == 400
    page = parse(response.text)
    assert_page_invariants(page)
    assert page.title.startswith("Error: ")
    assert "Select at least one service" in page.text
    assert page.error_links() == ["#service"] and "service" in page.ids
    assert page.service_ids  # the results are shown again, to tick


def test_handout_with_a_broken_query_goes_back_to_the_form(client: FlaskClient) -> None:
    response = client.get("/gp/handout?location=ZZ99+9ZZ&need=depression&service=abc")
    assert response.status_code == 400
    assert "There is a problem" in response.text


# --------------------------------------------------------------------------- the record


@pytest.mark.parametrize("path", ["/gp/record", "/gp/handout"])
def test_record_text_has_no_patient_identifiers(
    client: FlaskClient, db_session: Session, results: Page, path: str
) -> None:
    chosen = results.service_ids[:2]
    html = client.get(with_services(path, chosen)).text
    page = parse(html)
    assert_page_invariants(page)
    (record,) = page.textareas
    assert "readonly" in record.attrs and record.attrs["id"] == "record-text"
    assert '<label class="nhsuk-label" for="record-text">' in html
    text = record.text
    assert "LS1 1BA" not in text and "1BA" not in text
    assert "Area searched: LS1." in text
    assert "Safety-netting:" in text and "Plan:" in text
    assert long_date(date.today()) in text
    assert "NG222" in text and "first-line:" in text
    numbered = [line for line in text.splitlines() if re.match(r"\d\. ", line)]
    assert len(numbered) == len(chosen)
    for number, (line, service_id) in enumerate(zip(numbered, chosen, strict=True), start=1):
        service = db_session.get(Service, service_id)
        assert service is not None
        assert line.startswith(f"{number}. {service.name} (")


def test_record_page_links_to_the_handout(client: FlaskClient, results: Page) -> None:
    chosen = results.service_ids[:2]
    page = parse(client.get(with_services("/gp/record", chosen)).text)
    assert page.h1 == ["Text for the record"]
    hrefs = [link.attrs.get("href", "") for link in page.links]
    assert any(h.startswith("/gp/handout?") and chosen[1] in h for h in hrefs)
