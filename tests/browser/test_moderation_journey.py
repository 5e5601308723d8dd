"""The provider and moderator journey in a real browser, with axe on every page:

a charity registers, prepares a listing, a moderator approves the organisation, the charity
changes its now-public listing, the moderator sees the before/after and approves it, and the
public page shows the change. The live server's writes are committed, so every name here is
unique to the run.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from signpost.demo.accounts import DEMO_ACCOUNTS
from signpost.extensions import limiter
from signpost.mail import record_messages
from tests.browser.conftest import assert_no_axe_violations, unique

PASSWORD = "four random words here"


def moderator_login() -> tuple[str, str]:
    account = next(a for a in DEMO_ACCOUNTS if a.role == "moderator")
    return account.email, account.password


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/sign-in")
    assert_no_axe_violations(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    """The header's sign-out button (a form that POSTs with the CSRF token)."""
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()


def follow_registration_email(page: Page, app: Flask, email: str, check: bool = True) -> None:
    """Step 1 of registering: ask for the link, then open the link the email carries."""
    page.goto("/provider/register")
    if check:
        assert_no_axe_violations(page)
    page.get_by_label("Your email address").fill(email)
    with record_messages(app) as outbox:
        page.get_by_role("button", name="Send the link").click()
        expect(page.get_by_role("heading", name="Check your email", level=1)).to_be_visible()
    if check:
        assert_no_axe_violations(page)
    [message] = outbox
    link = re.search(r"https?://[^/\s]+(/provider/register/\S+)", message.body)
    assert link, message.body
    page.goto(link.group(1))


def fill_listing(page: Page, name: str) -> None:
    page.get_by_label("Name of the service").fill(name)
    page.get_by_label("Description").fill("Free counselling for adults in Leeds.")
    page.locator("input[name=modalities][value=counselling]").check()
    page.locator("input[name=needs][value=depression]").check()
    page.locator("input[name=formats][value=individual]").check()
    page.locator("input[name=delivery][value=in-person]").check()
    page.locator("input[name=referral_routes][value=self-referral]").check()
    page.locator("input[name=trainees_deliver][value=no]").check()
    page.locator("input[name=catchment_kind][value=areas]").check()
    page.get_by_role("textbox", name="Postcode areas or districts").fill("LS, BD")
    page.locator("input[name=cost_type][value=free]").check()


@pytest.fixture(autouse=True)
def fresh_limits() -> None:
    limiter.reset()  # sign-in is rate limited per address; this journey signs in four times


def test_register_approve_edit_and_publish(page: Page, app: Flask) -> None:
    org_name = unique("Journey Counselling")
    email = f"{unique('owner')}@journey.example"
    listing = unique("Journey drop-in")

    # 1. A charity registers.
    follow_registration_email(page, app, email)
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_title(re.compile(r"^Error: Register your organisation"))
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    assert_no_axe_violations(page)
    page.get_by_label("Name of the organisation").fill(org_name)
    page.locator("input[name=sector][value=charity]").check()
    page.get_by_label("Your name").fill("Jo Journey")
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Your listings", level=1)).to_be_visible()
    expect(page.get_by_text("A moderator is checking your organisation")).to_be_visible()
    assert_no_axe_violations(page)

    # 2. They prepare a listing: saved at once, not public until the organisation is approved.
    page.get_by_role("link", name=re.compile("Add a listing")).click()
    assert_no_axe_violations(page)
    fill_listing(page, listing)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=listing, level=1)).to_be_visible()
    assert_no_axe_violations(page)
    service_id = page.url.rstrip("/").rsplit("/", 1)[1]
    page.get_by_role("link", name=re.compile(r"^Locations")).click()
    page.get_by_label("Name of the location").fill("Journey hub")
    page.get_by_label("Address line 1").fill("1 Park Row")
    page.get_by_label("Town or city").fill("Leeds")
    page.get_by_label("Postcode").fill("ls1 5ab")
    page.get_by_role("button", name="Add location").click()
    expect(page.get_by_text("LS1 5AB")).to_be_visible()
    assert_no_axe_violations(page)
    sign_out(page)
    assert page.goto(f"/services/{service_id}").status == 404  # type: ignore[union-attr]

    # 3. A moderator approves the organisation.
    sign_in(page, *moderator_login())
    expect(page.get_by_role("heading", name="Changes to review")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name=f"New organisation: {org_name}").click()
    expect(page.get_by_role("link", name=listing)).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_text("Approved. The change is now public.")).to_be_visible()
    sign_out(page)
    expect(page.locator("h1")).to_contain_text("Sign in")
    assert page.goto(f"/services/{service_id}").status == 200  # type: ignore[union-attr]

    # 4. The charity changes its public listing: the change waits for review.
    sign_in(page, email, PASSWORD)
    page.get_by_role("link", name=listing).click()
    page.get_by_role("link", name="Change details").click()
    page.get_by_label("Name of the service").fill(f"{listing} evenings")
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_text("Your changes have been sent to a moderator")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Public now")).to_be_visible()
    assert_no_axe_violations(page)
    # "Still accurate" would vouch for the public version the editor has just corrected.
    expect(page.get_by_role("button", name="Yes, this listing is still accurate")).to_have_count(0)
    expect(page.get_by_text("Once they have been reviewed you can confirm")).to_be_visible()
    sign_out(page)
    page.goto(f"/services/{service_id}")
    expect(page.locator("h1")).to_have_text(listing)  # the public keeps the approved version

    # 5. The moderator compares before and after, and approves.
    sign_in(page, *moderator_login())
    page.get_by_role("link", name=f"Change to a listing: {listing}").click()
    diff = page.locator("table.signpost-changes")
    expect(diff.get_by_role("rowheader", name="Name")).to_be_visible()
    expect(diff).to_contain_text(f"{listing} evenings")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Reject").click()  # a reason is required
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.get_by_role("link", name="Enter a reason for rejecting the change")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Approve and publish").click()
    page.get_by_role("link", name="Audit log").click()
    expect(
        page.get_by_role("cell", name=re.compile("Change approved and published")).first
    ).to_be_visible()
    assert_no_axe_violations(page)
    sign_out(page)

    page.goto(f"/services/{service_id}")
    expect(page.locator("h1")).to_have_text(f"{listing} evenings")


def test_provider_pages_work_without_javascript(no_js_page: Page, app: Flask) -> None:
    page = no_js_page
    follow_registration_email(page, app, f"{unique('nat')}@journey.example", check=False)
    page.get_by_label("Name of the organisation").fill(unique("No Script Therapy"))
    page.locator("input[name=sector][value=low-cost]").check()
    page.get_by_label("Your name").fill("Nat")
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    page.get_by_role("link", name=re.compile("Add a listing")).click()
    fill_listing(page, unique("Low-cost clinic"))
    page.get_by_label("Name of the service").fill("")
    page.locator("input[name=cost_type][value=fixed]").check()
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_title(re.compile("^Error: Add a listing"))
    summary = page.locator(".nhsuk-error-summary")
    expect(summary.get_by_role("link", name="Enter the name of the service")).to_be_visible()
    expect(summary.get_by_role("link", name="Enter the cost per session")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_label("Name of the service").fill("Low-cost clinic, no script")
    page.get_by_label("Cost per session, in pounds", exact=True).fill("25")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Low-cost clinic, no script", level=1)).to_be_visible()
    page.get_by_role("button", name="Waiting list").click()
    expect(page.get_by_text("Capacity is now shown as: Waiting list")).to_be_visible()
    assert_no_axe_violations(page)
