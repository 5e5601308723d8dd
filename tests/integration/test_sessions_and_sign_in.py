"""Sessions the server can end, signing out by POST, sign-in limits that strangers cannot
use to lock an account, limits on the heavy pages, safe ``next=``, ``no-store`` for
signed-in pages, and account emails that do not reveal whether an address has an account."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from signpost.extensions import limiter
from signpost.mail import record_messages
from signpost.models import Membership, Organization, User
from signpost.rate_limits import DEVICE_COOKIE
from tests.conftest import csrf_token_from
from tests.integration import test_provider_fixtures as fx
from tests.integration.test_accounts import PASSWORD, sign_in
from tests.integration.test_provider_fixtures import World, make_user, post

world = fx.world
SEARCH = "location=LS1+1BA&need=depression&age=30"


@pytest.fixture(autouse=True)
def fresh_limits() -> Iterator[None]:
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def person(world: World, db_session: Session) -> User:
    user = make_user(db_session, "real@test.example", password=PASSWORD)
    db_session.add(Membership(user_id=user.id, organization_id=world.org.id, role="editor"))
    db_session.commit()
    return user


def browser(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_out(client: FlaskClient) -> None:
    response = post(client, "/sign-out")
    assert response.status_code == 302


# -- revocable sessions and signing out ------------------------------------------------------------


def test_signing_out_ends_a_copied_session(app: Flask, person: User) -> None:
    mine = app.test_client()
    assert sign_in(mine, person.email, PASSWORD).status_code == 302  # type: ignore[attr-defined]
    copied = app.test_client()
    cookie = mine.get_cookie("session")
    assert cookie is not None
    copied.set_cookie("session", cookie.value)
    assert copied.get("/provider").status_code == 200  # the copy works while signed in
    sign_out(mine)
    assert mine.get("/provider").status_code == 302
    assert copied.get("/provider").status_code == 302


def test_sign_out_needs_a_post_with_csrf(app: Flask, client: FlaskClient, person: User) -> None:
    sign_in(client, person.email, PASSWORD)
    asked = client.get("/sign-out")
    assert asked.status_code == 200  # a page with a button: a link cannot sign anyone out
    assert 'action="/sign-out"' in asked.get_data(as_text=True)
    assert client.get("/provider").status_code == 200
    assert client.post("/sign-out").status_code == 400  # no CSRF token
    assert client.get("/provider").status_code == 200
    sign_out(client)
    assert client.get("/provider").status_code == 302
    # Signed out, the question page sends people to sign in.
    assert client.get("/sign-out").headers["Location"] == "/sign-in"


def test_the_header_signs_out_with_a_form(client: FlaskClient, person: User) -> None:
    sign_in(client, person.email, PASSWORD)
    html = client.get("/provider").get_data(as_text=True)
    form = re.search(r'<form class="nhsuk-header__account-form"[^>]*>.*?</form>', html, re.S)
    assert form, "no sign-out form in the header"
    assert 'action="/sign-out"' in form.group(0) and 'method="post"' in form.group(0)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.group(0))
    assert token
    assert client.post("/sign-out", data={"csrf_token": token.group(1)}).status_code == 302
    assert client.get("/provider").status_code == 302


# -- sign-in limits --------------------------------------------------------------------------------


def test_strangers_cannot_lock_the_owner_out(app: Flask, person: User) -> None:
    owners_browser = browser(app, "192.0.2.10")
    assert sign_in(owners_browser, person.email, PASSWORD).status_code == 302  # type: ignore[attr-defined]
    assert owners_browser.get_cookie(DEVICE_COOKIE) is not None
    sign_out(owners_browser)

    limit = int(app.config["RATELIMIT_SIGN_IN_ACCOUNT"].split()[0])
    for attempt in range(limit):
        attacker = browser(app, f"198.51.100.{attempt}")
        assert sign_in(attacker, person.email, "wrong password!").status_code == 200  # type: ignore[attr-defined]
    # Strangers are slowed, even with the right password...
    new_browser = browser(app, "198.51.100.250")
    slowed = sign_in(new_browser, person.email, PASSWORD)
    assert slowed.status_code == 429  # type: ignore[attr-defined]
    assert "reset your password" in slowed.get_data(as_text=True)  # type: ignore[attr-defined]
    # ...but the owner's own browser still gets in.
    assert sign_in(owners_browser, person.email, PASSWORD).status_code == 302  # type: ignore[attr-defined]
    assert owners_browser.get("/provider").status_code == 200


def test_good_sign_ins_do_not_use_up_the_account_limit(app: Flask, person: User) -> None:
    limit = int(app.config["RATELIMIT_SIGN_IN_ACCOUNT"].split()[0])
    for attempt in range(limit + 2):
        client = browser(app, f"203.0.113.{attempt}")
        assert sign_in(client, person.email, PASSWORD).status_code == 302, attempt  # type: ignore[attr-defined]


def test_a_reset_link_makes_a_browser_the_owners(app: Flask, person: User) -> None:
    from tests.integration.test_accounts import reset_link

    limit = int(app.config["RATELIMIT_SIGN_IN_ACCOUNT"].split()[0])
    for attempt in range(limit):
        sign_in(browser(app, f"198.51.100.{attempt}"), person.email, "wrong password!")
    laptop = browser(app, "192.0.2.20")
    link = reset_link(app, laptop, person.email)
    assert link is not None
    form = laptop.get(link).get_data(as_text=True)
    laptop.post(link, data={"csrf_token": csrf_token_from(form), "password": "a new long password"})
    assert sign_in(laptop, person.email, "a new long password").status_code == 302  # type: ignore[attr-defined]


def test_the_heavy_pages_are_rate_limited(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "RATELIMIT_PAGES", "3 per minute")
    limiter.reset()
    # One budget across the search, the GP screen, the handout and the record text.
    assert client.get(f"/search?{SEARCH}").status_code == 200
    assert client.get(f"/gp?{SEARCH}").status_code == 200
    assert client.get(f"/gp/handout?{SEARCH}&service=x").status_code < 429
    for path in ("/search", "/gp", "/gp/handout", "/gp/record"):
        assert client.get(f"{path}?{SEARCH}").status_code == 429, path
    # Light pages are not counted.
    assert client.get("/therapies").status_code == 200
    assert browser(app, "192.0.2.99").get(f"/search?{SEARCH}").status_code == 200


# -- next=, caching --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "evil",
    [
        "/provider%0d%0aSet-Cookie:%20x=1",
        "/provider%0aLocation:%20https://evil.example",
        "/%09/evil.example",
    ],
)
def test_control_characters_in_next_give_a_safe_redirect(
    client: FlaskClient, person: User, evil: str
) -> None:
    response = sign_in(client, person.email, PASSWORD, next_url=evil)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response.headers["Location"] == "/provider"  # type: ignore[attr-defined]


def test_signed_in_pages_are_not_stored(client: FlaskClient, person: User) -> None:
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    assert client.get("/sign-in").headers["Cache-Control"] == "no-store"
    sign_in(client, person.email, PASSWORD)
    for path in ("/provider", "/", f"/search?{SEARCH}"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


# -- account emails say nothing about who has an account -------------------------------------------


def forgot(app: Flask, client: FlaskClient, email: str) -> tuple[str, list[str]]:
    page = client.get("/forgot-password")
    with record_messages(app) as outbox:
        response = client.post(
            "/forgot-password",
            data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), "email": email},
        )
    assert response.status_code == 200
    return _main(response.get_data(as_text=True)), [m.to[0] for m in outbox]


def _main(html: str) -> str:
    found = re.search(r"<main.*?</main>", html, re.S)
    assert found
    return re.sub(r"\S+@test\.example", "EMAIL", found.group(0))


def test_forgot_password_answers_the_same_for_any_address(
    app: Flask, client: FlaskClient, person: User
) -> None:
    known_page, known_mail = forgot(app, client, person.email)
    unknown_page, unknown_mail = forgot(app, client, "nobody@test.example")
    assert known_page == unknown_page
    # One email either way, so the time taken does not tell them apart either.
    assert known_mail == [person.email]
    assert unknown_mail == ["nobody@test.example"]


def start_registration(app: Flask, client: FlaskClient, email: str) -> tuple[str, list[str]]:
    page = client.get("/provider/register")
    with record_messages(app) as outbox:
        response = client.post(
            "/provider/register",
            data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), "email": email},
        )
    assert response.status_code == 200
    return _main(response.get_data(as_text=True)), [m.body for m in outbox]


def test_registration_answers_the_same_for_any_address(
    app: Flask, client: FlaskClient, db_session: Session, person: User
) -> None:
    known_page, [known_body] = start_registration(app, client, person.email)
    new_page, [new_body] = start_registration(app, client, "fresh@test.example")
    assert known_page == new_page
    assert "already has a Signpost account" in known_body
    assert "/provider/register/" not in known_body
    # The new address's email carries the link that finishes registering.
    link = re.search(r"https?://[^/\s]+(/provider/register/\S+)", new_body)
    assert link, new_body
    form = client.get(link.group(1)).get_data(as_text=True)
    assert "fresh@test.example" in form
    done = client.post(
        link.group(1),
        data={
            "csrf_token": csrf_token_from(form),
            "name": "Fresh Start Counselling",
            "sector": "charity",
            "your_name": "Fran",
            "password": PASSWORD,
        },
    )
    assert done.headers["Location"] == "/provider"
    org = db_session.scalars(
        select(Organization).where(Organization.name == "Fresh Start Counselling")
    ).one()
    user = db_session.scalars(select(User).where(User.email == "fresh@test.example")).one()
    assert org.moderation == "pending"
    assert user.membership_for(org.id).role == "owner"  # type: ignore[union-attr]
