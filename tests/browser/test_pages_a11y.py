"""Every public page in a real browser: right status, no axe violations, crisis lines and
the demo banner on screen. Then the provider and moderation areas, signed in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from signpost.extensions import db
from signpost.models import Membership, Organization, Service, User
from tests.browser.conftest import assert_no_axe_violations, unique

SEARCH = {"location": "LS1 1BA", "need": "depression", "age": "30"}
# Each crisis number as a person reads it (PRODUCT §8).
CRISIS_NUMBERS = ("999", "111", "116 123", "85258")
PASSWORD = "a11y-Correct-Horse-42"


@pytest.fixture(scope="module")
def demo_service_id(app: Flask) -> str:
    with app.app_context():
        service_id = db.session.execute(
            select(Service.id)
            .join(Organization)
            .where(Service.demo, Service.status == "active", Organization.moderation == "approved")
            .order_by(Service.name, Service.id)
            .limit(1)
        ).scalar_one_or_none()
        db.session.remove()
    assert service_id, "the demo data has no public service"
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


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    home: str  # the area's first page


@pytest.fixture(scope="module")
def accounts(app: Flask) -> Iterator[dict[str, Account]]:
    """A moderator and a provider (owner of a demo organisation), created for this run.

    Browser writes are committed, so these are new, uniquely named users rather than the
    shared demo accounts, whose passwords other tests must not depend on.
    """
    with app.app_context():
        organization_id = db.session.execute(
            select(Organization.id)
            .where(Organization.demo, Organization.moderation == "approved")
            .order_by(Organization.name, Organization.id)
            .limit(1)
        ).scalar_one()
        moderator = User(email=f"{unique('a11y-moderator')}@example.org", role="moderator")
        provider = User(email=f"{unique('a11y-provider')}@example.org", role="provider")
        for user in (moderator, provider):
            user.name = "Accessibility test"
            user.set_password(PASSWORD)
        provider.memberships.append(Membership(organization_id=organization_id, role="owner"))
        db.session.add_all([moderator, provider])
        db.session.commit()
        made = {
            "moderator": Account(moderator.email, PASSWORD, "/admin"),
            "provider": Account(provider.email, PASSWORD, "/provider"),
        }
        db.session.remove()
    yield made


def sign_in(page: Page, account: Account) -> None:
    page.goto("/sign-in")
    page.locator('input[name="email"]').fill(account.email)
    page.locator('input[name="password"]').fill(account.password)
    with page.expect_navigation():
        page.locator('input[name="password"]').press("Enter")
    assert urlsplit(page.url).path != "/sign-in", f"sign-in failed: still on {page.url}"


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


@pytest.mark.parametrize("role", ["provider", "moderator"])
def test_signed_in_area(page: Page, accounts: dict[str, Account], role: str) -> None:
    account = accounts[role]
    sign_in(page, account)
    response = page.goto(account.home)
    assert response is not None
    assert response.status == 200, f"{account.home}: HTTP {response.status}"
    assert urlsplit(page.url).path == account.home, f"redirected to {page.url}"
    assert_no_axe_violations(page)
    assert_crisis_lines_visible(page)
    # Then every page of the area linked from its first page (listings, queue items, ...).
    for link in area_links(page, account.home)[:15]:
        response = page.goto(link)
        assert response is not None
        assert response.status == 200, f"{link}: HTTP {response.status}"
        assert_no_axe_violations(page)
