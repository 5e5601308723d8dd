"""Page invariants for every HTML page the app serves, found by walking ``app.url_map``.

Every GET rule outside the API and static files is rendered (as the person who may see it,
with real values for its URL variables) together with the query pages, and each page must
have: one ``<h1>``; a ``<title>`` that starts with it (or with "Error: " and it); no
duplicate ids; an ``action`` on every form; a CSRF token in every POST form; the crisis
lines; the skip link to the main content; ``alt`` on every image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from flask import Flask, url_for
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from tests.integration import test_provider_fixtures as fx
from tests.integration.test_authz_matrix import _url_values
from tests.integration.test_provider_fixtures import World, sign_in_as

world = fx.world
fresh_limits = fx.fresh_limits

NOT_PAGES = ("/api/", "/static/", "/healthz")
SEARCH = {"location": "LS1 1BA", "need": "depression", "age": "30"}
CRISIS_NUMBERS = ("999", "111", "116 123", "85258")
# URL variables that are strings on purpose, and why; every other variable needs a typed
# converter (<int:...>, <path:...>) so a malformed value is a 404 before any view runs.
STRING_VARIABLES = {
    "service_id": "a UUID string (Open Referral UK ids)",
    "org_id": "a UUID string",
    "entity_id": "a UUID string of a service or an organisation",
    "import_id": "a UUID string of an imported service",
    "location_id": "a UUID string",
    "link_id": "a UUID string (service_at_location)",
    "taxonomy_id": "a taxonomy's string id (ORUK)",
    "term_id": "a taxonomy term's string id (ORUK)",
    "slug": "a modality slug from the closed vocabulary",
    "wait_key": "'overall' or a modality slug",
    "token": "a signed, time-limited token",
    "area": "a postcode area's letters, checked against the postcode index",
    "need": "a need slug from the closed vocabulary",
}
_VARIABLE = re.compile(r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\([^)]*\))?:)?(?P<name>\w+)>")


# -- reading a page ---------------------------------------------------------------------------


@dataclass
class Form:
    attrs: dict[str, str]
    csrf_tokens: int = 0


@dataclass
class Page:
    title: str = ""
    h1s: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    images_without_alt: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    text: str = ""


class PageParser(HTMLParser):
    """Collects what the invariants need (stdlib only)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._open: list[str] = []  # "title" / "h1" being read
        self._buffers: dict[str, list[str]] = {"title": [], "h1": []}
        self._text: list[str] = []
        self._skip = 0  # inside <script> or <style>
        self._form: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.page.ids.append(values["id"])
        if tag in {"script", "style"}:
            self._skip += 1
        elif tag in {"title", "h1"}:
            self._open.append(tag)
            self._buffers[tag] = []
        elif tag == "form":
            self._form = Form(values)
            self.page.forms.append(self._form)
        elif tag == "input" and values.get("name") == "csrf_token" and values.get("value"):
            if self._form is not None:
                self._form.csrf_tokens += 1
        elif tag == "img" and "alt" not in values:
            self.page.images_without_alt.append(values.get("src", "?"))
        elif tag == "a" and "href" in values:
            self.page.links.append(values["href"])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in {"script", "style", "title", "h1", "form"}:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skip = max(0, self._skip - 1)
        elif tag in {"title", "h1"} and tag in self._open:
            self._open.remove(tag)
            text = " ".join("".join(self._buffers[tag]).split())
            if tag == "title":
                self.page.title = text
            else:
                self.page.h1s.append(text)
        elif tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self._text.append(data)
        for tag in self._open:
            self._buffers[tag].append(data)

    def close(self) -> None:
        super().close()
        self.page.text = " ".join(" ".join(self._text).split())


def parse_page(html: str) -> Page:
    parser = PageParser()
    parser.feed(html)
    parser.close()
    return parser.page


def invariant_failures(html: str) -> list[str]:
    """Every page invariant ``html`` breaks, in words."""
    page = parse_page(html)
    failures: list[str] = []
    if len(page.h1s) != 1:
        failures.append(f"expected exactly one <h1>, found {len(page.h1s)}: {page.h1s}")
    elif not page.h1s[0]:
        failures.append("the <h1> is empty")
    else:
        h1 = page.h1s[0]
        if not (page.title.startswith(h1) or page.title.startswith(f"Error: {h1}")):
            failures.append(f"<title> {page.title!r} does not start with the <h1> {h1!r}")
    duplicates = sorted({i for i in page.ids if page.ids.count(i) > 1})
    if duplicates:
        failures.append(f"duplicate ids: {duplicates}")
    for form in page.forms:
        method = form.attrs.get("method", "get").lower()
        if not form.attrs.get("action"):
            failures.append(f"a {method.upper()} form has no action: {form.attrs}")
        if method == "post" and form.csrf_tokens < 1:
            failures.append(f"a POST form has no csrf_token: {form.attrs}")
    for number in CRISIS_NUMBERS:
        if not re.search(rf"(?<!\d){re.escape(number)}(?!\d)", page.text):
            failures.append(f"crisis number {number} is not on the page")
    if "#maincontent" not in page.links or "maincontent" not in page.ids:
        failures.append("no skip link to #maincontent (or no element with that id)")
    if page.images_without_alt:
        failures.append(f"images without alt: {page.images_without_alt}")
    return failures


# The checker checks: each invariant, broken on purpose, is reported.
GOOD_PAGE = """<!DOCTYPE html><html><head><title>Find therapy – Signpost</title></head><body>
<a href="#maincontent">Skip to main content</a><main id="maincontent"><h1>Find therapy</h1>
<form method="post" action="/x"><input type="hidden" name="csrf_token" value="t"></form>
<form method="get" action="/search"></form><img src="a.png" alt="">
<p>999 · 111, option 2 · 116 123 · 85258</p></main></body></html>"""
BROKEN = [
    ("two h1", GOOD_PAGE.replace("</main>", "<h1>Again</h1></main>"), "exactly one <h1>"),
    ("no h1", GOOD_PAGE.replace("<h1>Find therapy</h1>", ""), "exactly one <h1>"),
    ("title", GOOD_PAGE.replace("<title>Find", "<title>Signpost – Find"), "<title>"),
    ("duplicate id", GOOD_PAGE.replace("<img", '<img id="maincontent"'), "duplicate ids"),
    ("no action", GOOD_PAGE.replace(' action="/search"', ""), "no action"),
    ("no csrf", GOOD_PAGE.replace('name="csrf_token"', 'name="other"'), "no csrf_token"),
    ("crisis", GOOD_PAGE.replace("116 123", "116"), "crisis number 116 123"),
    ("skip link", GOOD_PAGE.replace('href="#maincontent"', 'href="/"'), "skip link"),
    ("alt", GOOD_PAGE.replace(' alt=""', ""), "images without alt"),
]


def test_a_good_page_passes() -> None:
    assert invariant_failures(GOOD_PAGE) == []
    assert invariant_failures(GOOD_PAGE.replace("<title>", "<title>Error: ")) == []


@pytest.mark.parametrize(("html", "reported"), [pytest.param(h, r, id=i) for i, h, r in BROKEN])
def test_each_broken_invariant_is_reported(html: str, reported: str) -> None:
    failures = invariant_failures(html)
    assert any(reported in failure for failure in failures), failures


# -- the pages --------------------------------------------------------------------------------


def _variables(rule: Rule) -> list[tuple[str, str]]:
    """(converter, name) for each variable in the rule's text; "default" for plain ones."""
    return [
        (m.group("converter") or "default", m.group("name")) for m in _VARIABLE.finditer(rule.rule)
    ]


def _page_rules(app: Flask) -> list[Rule]:
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or set())
            and rule.endpoint != "static"
            and not rule.rule.startswith(NOT_PAGES)
        ),
        key=lambda rule: rule.rule,
    )


def _person(rule: Rule) -> str:
    """Who opens the page: an admin for /admin, the listing's owner for /provider."""
    if rule.endpoint.startswith("admin."):
        return "admin"
    if rule.rule.startswith("/provider"):
        return "owner"
    return "anonymous"


# Without a query these pages show their form with its errors (400); QUERY_PAGES has them
# with one.
STATUS_WITHOUT_QUERY = {
    "patient.search": 400,
    "patient.my_preferences": 400,
    "gp.handout": 400,
    "gp.record": 400,
}
# Pages that need a query: (endpoint, query, final status); "{service}" = a listing's id.
QUERY_PAGES = [
    ("patient.search", urlencode(SEARCH), 200),
    ("patient.search", urlencode({"location": "", "need": "nonsense"}), 400),
    ("gp.consultation", urlencode(SEARCH), 200),
    ("gp.handout", urlencode(SEARCH) + "&service={service}", 200),
    ("gp.record", urlencode(SEARCH) + "&service={service}", 200),
    ("patient.search", urlencode({**SEARCH, "location": "St Ives"}), 200),  # which St Ives?
    ("patient.search", urlencode({**SEARCH, "page": "2"}), 200),
    ("patient.my_preferences", urlencode(SEARCH), 200),
    ("patient.my_preferences", urlencode(SEARCH) + "&prefer=1&service={service}", 200),
    ("patient.questions", urlencode({**SEARCH, "step": "help"}), 200),
    ("patient.questions", urlencode({**SEARCH, "step": "severity"}), 200),
    ("patient.questions", "step=where&location=", 400),
]


def _page_urls(
    app: Flask, values: dict[str, object]
) -> tuple[list[tuple[str, str, int]], list[str]]:
    """(person, url, final status) for every page rule and query page, and the rules whose
    URL variables have no value."""
    values = {**values, "slug": "cbt"}
    urls: list[tuple[str, str, int]] = []
    unfilled: list[str] = []
    with app.test_request_context():
        for rule in _page_rules(app):
            arguments: dict[str, object] = {}
            for _converter, name in _variables(rule):
                value = values.get(name)
                arguments[name] = value.get(rule.endpoint) if isinstance(value, dict) else value
            if any(value is None for value in arguments.values()):
                unfilled.append(rule.rule)
                continue
            status = STATUS_WITHOUT_QUERY.get(rule.endpoint, 200)
            urls.append((_person(rule), url_for(rule.endpoint, **arguments), status))
        service = str(values["service_id"])
        for endpoint, query, status in QUERY_PAGES:
            url = f"{url_for(endpoint)}?{query.replace('{service}', service)}"
            urls.append(("anonymous", url, status))
    urls.append(("anonymous", "/no-such-page", 404))
    return urls, unfilled


def test_every_page_keeps_the_invariants(
    app: Flask, db_session: Session, world: World, fresh_limits: None
) -> None:
    urls, unfilled = _page_urls(app, _url_values(app, db_session, world))
    assert not unfilled, (
        f"no value for the URL variables of {unfilled}: add one to _url_values "
        "(tests/integration/test_authz_matrix.py)"
    )
    problems: dict[str, list[str]] = {}
    html_pages = 0
    for person, url, status in urls:
        client = app.test_client()  # one per page, so signing out affects nothing else
        sign_in_as(client, world.users()[person])
        response = client.get(url, follow_redirects=True)
        where = f"{url} as {person} (HTTP {response.status_code})"
        if response.status_code != status:
            problems[where] = [f"expected HTTP {status} (after redirects)"]
        elif response.mimetype == "text/html":
            html_pages += 1
            failures = invariant_failures(response.get_data(as_text=True))
            if failures:
                problems[where] = failures
    report = "\n".join(f"{page}:\n  - " + "\n  - ".join(f) for page, f in problems.items())
    assert not problems, f"{len(problems)} page(s) break the page invariants:\n{report}"
    assert html_pages >= len(_page_rules(app)), "some page rules did not render HTML"


def test_url_variables_are_typed_or_listed_as_string_ids(app: Flask) -> None:
    untyped = sorted(
        f"{rule.rule} ({name})"
        for rule in app.url_map.iter_rules()
        for converter, name in _variables(rule)
        if converter in {"default", "string"} and name not in STRING_VARIABLES
    )
    assert not untyped, (
        "give these URL variables a typed converter (e.g. <int:...>), or list them in "
        f"STRING_VARIABLES with the reason they are strings: {untyped}"
    )
    # And the list holds nothing stale.
    used = {name for rule in app.url_map.iter_rules() for _c, name in _variables(rule)}
    assert set(STRING_VARIABLES) <= used, sorted(set(STRING_VARIABLES) - used)
