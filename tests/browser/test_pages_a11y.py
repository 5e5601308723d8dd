"""Every public page in a real browser: right status, no axe violations, crisis lines and
the demo banner on screen. Then the provider and moderation areas, signed in."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from signpost.demo.accounts import DEMO_ACCOUNTS, DemoAccount
from signpost.extensions import limiter
from tests.browser.conftest import assert_no_axe_violations

SEARCH = {"location": "LS1 1BA", "need": "depression", "age": "30"}
# Each crisis number as a person reads it (PRODUCT §8).
CRISIS_NUMBERS = ("999", "111", "116 123", "85258")


@pytest.fixture(scope="module")
def demo_service_id(app: Flask) -> str:
    """A demo listing that the search below finds (the GP handout only takes those)."""
    response = app.test_client().get(f"/api/v1/match?{urlencode(SEARCH)}")
    assert response.status_code == 200, response.status_code
    # Earlier journeys may publish a real listing that ranks first: take the first demo one.
    demo = [r for r in response.get_json()["results"] if r["service"]["demo"] is True]
    assert demo, "the demo data has no result for the search"
    service_id: str = demo[0]["service"]["id"]
    return service_id


# (id, path, expected status); "{service}" is filled with a demo service's id.
PUBLIC_PAGES = [
    ("start", "/", 200),
    ("search", f"/search?{urlencode(SEARCH)}", 200),
    ("service", "/services/{service}", 200),
    ("therapies", "/therapies", 200),
    ("therapy-cbt", "/therapies/cbt", 200),
    ("therapy-psychodynamic", "/therapies/psychodynamic", 200),
    ("gp", "/gp", 200),
    ("gp-results", f"/gp?{urlencode(SEARCH)}", 200),
    ("gp-handout", f"/gp/handout?{urlencode(SEARCH)}&service={{service}}", 200),
    # The urgent panel, the ways forward and the age question.
    ("search-urgent-young", "/search?location=BN1+1AA&need=psychosis&age=15", 200),
    ("search-zero-results", "/search?location=LS6+3HN&need=panic&age=15", 200),
    ("search-not-sure", "/search?location=LS6+3HN&need=not-sure&age_band=18-plus", 200),
    ("search-age-required", "/search?location=LS6+3HN&need=depression", 400),
    ("gp-urgent", "/gp?location=LS6+3HN&need=self-harm&age=30", 200),
    ("sign-in", "/sign-in", 200),
    ("privacy", "/privacy", 200),
    ("not-found", "/no-such-page", 404),
    ("unknown-service", "/services/00000000-0000-4000-8000-000000000000", 404),
    ("unknown-therapy", "/therapies/no-such-therapy", 404),
]


def assert_crisis_lines_visible(page: Page) -> None:
    for number in CRISIS_NUMBERS:
        shown = page.get_by_text(re.compile(rf"(?<!\d){re.escape(number)}(?!\d)")).filter(
            visible=True
        )
        expect(shown.first, f"crisis number {number} is not visible").to_be_visible()


def assert_demo_banner_visible(page: Page) -> None:
    banner = page.get_by_role("region", name="Demonstration data")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("demonstration")


@pytest.mark.parametrize(
    ("path", "status"), [pytest.param(path, status, id=name) for name, path, status in PUBLIC_PAGES]
)
def test_public_page(page: Page, demo_service_id: str, path: str, status: int) -> None:
    url = path.replace("{service}", demo_service_id)
    response = page.goto(url)
    assert response is not None
    assert response.status == status, f"{url}: HTTP {response.status}, expected {status}"
    assert_no_axe_violations(page)
    assert_crisis_lines_visible(page)
    assert_demo_banner_visible(page)


# The demo accounts (signpost/demo/accounts.py) and the first page of their area.
AREAS = {"owner": "/provider", "moderator": "/admin", "admin": "/admin"}


def demo_account(kind: str) -> DemoAccount:
    if kind == "owner":
        return next(a for a in DEMO_ACCOUNTS if a.membership == "owner")
    return next(a for a in DEMO_ACCOUNTS if a.role == kind)


def sign_in(page: Page, account: DemoAccount) -> None:
    limiter.reset()  # sign-in is rate limited per address, and every test comes from 127.0.0.1
    page.goto("/sign-in")
    page.locator('input[name="email"]').fill(account.email)
    page.locator('input[name="password"]').fill(account.password)
    with page.expect_navigation():
        page.locator('input[name="password"]').press("Enter")
    assert urlsplit(page.url).path != "/sign-in", f"{account.email} could not sign in"


def area_links(page: Page, prefix: str) -> list[str]:
    """Same-site GET links inside an area (sign-out excluded), in page order."""
    hrefs: list[str] = page.eval_on_selector_all(
        "a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    found: list[str] = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.netloc or not parts.path.startswith(prefix) or "sign-out" in parts.path:
            continue
        link = parts.path + (f"?{parts.query}" if parts.query else "")
        if link not in found:
            found.append(link)
    return found


@pytest.mark.parametrize("kind", list(AREAS))
def test_signed_in_area(page: Page, kind: str) -> None:
    home = AREAS[kind]
    sign_in(page, demo_account(kind))
    response = page.goto(home)
    assert response is not None
    assert response.status == 200, f"{home}: HTTP {response.status}"
    assert urlsplit(page.url).path == home, f"redirected to {page.url}"
    assert_no_axe_violations(page)
    assert_crisis_lines_visible(page)
    assert_demo_banner_visible(page)
    # Then the pages of the area linked from its first page (listings, queue, users, ...).
    links = area_links(page, home)
    assert links, f"{home} links to no other page of its area"
    for link in links[:15]:
        response = page.goto(link)
        assert response is not None
        assert response.status == 200, f"{link}: HTTP {response.status}"
        assert_no_axe_violations(page)


@pytest.mark.parametrize("fixture", ["page", "no_js_page"])
def test_the_axe_check_reports_violations(request: pytest.FixtureRequest, fixture: str) -> None:
    """The harness itself: an image without alt text on a real page must fail the check."""
    page: Page = request.getfixturevalue(fixture)
    page.goto("/privacy")
    assert_no_axe_violations(page)
    page.evaluate(
        """() => {
            const image = document.createElement("img");
            image.src = "/static/images/signpost-logo.svg";
            image.id = "no-alt-image";
            document.querySelector("main").append(image);
        }"""
    )
    with pytest.raises(AssertionError) as failure:
        assert_no_axe_violations(page)
    message = str(failure.value)
    assert "image-alt" in message and "#no-alt-image" in message, message
    # A context limits the check to part of the page.
    assert_no_axe_violations(page, {"exclude": [["#no-alt-image"]]})


def test_the_axe_check_reports_content_outside_landmarks(page: Page) -> None:
    """The best-practice ``region`` rule is on: text outside every landmark fails the check."""
    page.goto("/privacy")
    assert_no_axe_violations(page)
    page.evaluate(
        """() => {
            const stray = document.createElement("p");
            stray.id = "stray-text";
            stray.textContent = "Outside every landmark";
            document.body.prepend(stray);
        }"""
    )
    with pytest.raises(AssertionError) as failure:
        assert_no_axe_violations(page)
    assert "region" in str(failure.value) and "#stray-text" in str(failure.value)
