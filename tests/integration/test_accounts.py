"""Accounts: signing in and out, rate limits, cookies, password resets, registration and
invitations. Sign-in goes through the real form here (with its rate limit reset per test)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from signpost.accounts import tokens
from signpost.config import load_config
from signpost.demo.accounts import (
    DEMO_ACCOUNTS,
    DEMO_ORGANISATION_NAME,
    DemoAccount,
    demo_organisation_id,
)
from signpost.extensions import limiter
from signpost.mail import record_messages
from signpost.models import ChangeRequest, Membership, Organization, User
from signpost.models.accounts import Invitation
from tests.conftest import csrf_token_from
from tests.integration import test_provider_fixtures as fx
from tests.integration.test_provider_fixtures import World, make_user, post, refresh, sign_in_as

PASSWORD = "correct horse battery staple"

world = fx.world


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


def sign_in(client: FlaskClient, email: str, password: str, next_url: str = "") -> object:
    page = client.get("/sign-in" + (f"?next={next_url}" if next_url else ""))
    return client.post(
        page.request.full_path if next_url else "/sign-in",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "email": email,
            "password": password,
        },
    )


def sign_out(client: FlaskClient) -> None:
    """The header's sign-out button: a POST with the CSRF token."""
    assert post(client, "/sign-out").status_code == 302


# -- signing in and out ------------------------------------------------------------------------


def test_sign_in_and_out(client: FlaskClient, person: User) -> None:
    response = sign_in(client, " Real@Test.example ", PASSWORD)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response.headers["Location"] == "/provider"  # type: ignore[attr-defined]
    assert client.get("/provider").status_code == 200
    out = post(client, "/sign-out")
    assert out.headers["Location"] == "/sign-in"
    assert "You have signed out" in client.get("/sign-in").get_data(as_text=True)
    assert client.get("/provider").status_code == 302


def test_moderators_land_on_the_queue(client: FlaskClient, db_session: Session) -> None:
    make_user(db_session, "mod@test.example", role="moderator", password=PASSWORD)
    db_session.commit()
    response = sign_in(client, "mod@test.example", PASSWORD)
    assert response.headers["Location"] == "/admin"  # type: ignore[attr-defined]


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(
    client: FlaskClient, person: User
) -> None:
    asked = client.get("/provider/register?x=1")  # any page: the next is what matters
    assert asked.status_code == 200
    response = sign_in(client, person.email, PASSWORD, next_url="/provider/services/abc")
    assert response.headers["Location"] == "/provider/services/abc"  # type: ignore[attr-defined]
    sign_out(client)
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = sign_in(client, person.email, PASSWORD, next_url=evil)
        assert response.headers["Location"] == "/provider", evil  # type: ignore[attr-defined]
        sign_out(client)


@pytest.mark.parametrize(
    ("email", "password"),
    [("real@test.example", "wrong password here"), ("nobody@test.example", PASSWORD)],
)
def test_wrong_details_get_one_message(
    client: FlaskClient, person: User, email: str, password: str
) -> None:
    response = sign_in(client, email, password)
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "<title>Error: Sign in" in html
    assert re.search(r'<a href="#email">\s*Enter a correct email address and password', html)
    assert client.get("/provider").status_code == 302


@pytest.mark.parametrize(
    ("email", "password", "anchor", "message"),
    [
        ("", PASSWORD, "email", "Enter your email address"),
        ("not-an-email", PASSWORD, "email", "Enter an email address in the correct format"),
        ("real@test.example", "", "password", "Enter your password"),
    ],
)
def test_sign_in_form_errors(
    client: FlaskClient, person: User, email: str, password: str, anchor: str, message: str
) -> None:
    html = sign_in(client, email, password).get_data(as_text=True)  # type: ignore[attr-defined]
    assert re.search(rf'<a href="#{anchor}">\s*{re.escape(message)}', html)


def test_deactivated_accounts_cannot_sign_in(
    client: FlaskClient, db_session: Session, person: User
) -> None:
    person.active = False
    db_session.commit()
    html = sign_in(client, person.email, PASSWORD).get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Enter a correct email address and password" in html


def test_passwords_are_hashed_with_scrypt(person: User) -> None:
    assert person.password_hash.startswith("scrypt:")
    assert PASSWORD not in person.password_hash


def test_sign_in_is_rate_limited(app: Flask, person: User) -> None:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    limit = int(app.config["RATELIMIT_SIGN_IN"].split()[0])
    for _ in range(limit):
        response = sign_in(client, person.email, "wrong password!")
        assert response.status_code == 200  # type: ignore[attr-defined]
    blocked = sign_in(client, person.email, PASSWORD)
    assert blocked.status_code == 429  # type: ignore[attr-defined]
    assert "Too many attempts" in blocked.get_data(as_text=True)  # type: ignore[attr-defined]
    # The right password does not get through while blocked.
    assert client.get("/provider").status_code == 302


def test_one_account_is_limited_from_many_addresses(app: Flask, person: User) -> None:
    limit = int(app.config["RATELIMIT_SIGN_IN_ACCOUNT"].split()[0])
    for attempt in range(limit):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{attempt}"
        assert sign_in(client, person.email, "wrong password!").status_code == 200  # type: ignore[attr-defined]
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.200"
    assert sign_in(client, person.email, "wrong password!").status_code == 429  # type: ignore[attr-defined]


def test_session_cookie_flags(
    client: FlaskClient, person: User, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)  # production, whatever the shell says
    response = sign_in(client, person.email, PASSWORD)
    cookie = response.headers["Set-Cookie"]  # type: ignore[attr-defined]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    production = load_config(
        str(tmp_path), {"SECRET_KEY": "x" * 32, "PUBLIC_BASE_URL": "https://signpost.example.org"}
    )
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True


# -- password reset ------------------------------------------------------------------------------


def reset_link(app: Flask, client: FlaskClient, email: str) -> str | None:
    page = client.get("/forgot-password")
    with record_messages(app) as outbox:
        response = client.post(
            "/forgot-password",
            data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), "email": email},
        )
    assert "Check your email" in response.get_data(as_text=True)
    [message] = outbox  # one email whether or not the address has an account
    assert message.to == (email.strip().lower(),)
    match = re.search(r"https?://\S+/reset-password/\S+", message.body)
    return match.group(0).split("localhost", 1)[1] if match else None


def test_reset_a_forgotten_password(app: Flask, client: FlaskClient, person: User) -> None:
    other_session = app.test_client()
    sign_in(other_session, person.email, PASSWORD)
    assert other_session.get("/provider").status_code == 200

    link = reset_link(app, client, "real@test.example")
    assert link is not None
    form = client.get(link).get_data(as_text=True)
    assert "Choose a new password" in form
    short = client.post(link, data={"csrf_token": csrf_token_from(form), "password": "short"})
    assert "Password must be 12 characters or more" in short.get_data(as_text=True)
    done = client.post(
        link, data={"csrf_token": csrf_token_from(form), "password": "a brand new long password"}
    )
    assert done.headers["Location"] == "/sign-in"

    assert sign_in(client, person.email, "a brand new long password").status_code == 302  # type: ignore[attr-defined]
    # The link works once, and the old password's sessions are signed out.
    assert "This link does not work" in client.get(link).get_data(as_text=True)
    assert other_session.get("/provider").status_code == 302


def test_reset_does_not_reveal_whether_an_account_exists(
    app: Flask, client: FlaskClient, person: User
) -> None:
    # An unknown address gets an email too (saying there is no account), never a link.
    assert reset_link(app, client, "nobody@test.example") is None


def test_expired_and_forged_reset_links(app: Flask, client: FlaskClient, person: User) -> None:
    secret = app.config["SECRET_KEY"]
    token = tokens.make_reset_token(secret, person.id, person.password_hash)
    with pytest.raises(tokens.TokenError) as expired:
        tokens.read_reset_token(secret, token, max_age=-1)
    assert expired.value.expired
    forged = tokens.make_reset_token("another secret", person.id, person.password_hash)
    assert "This link does not work" in client.get(f"/reset-password/{forged}").get_data(
        as_text=True
    )


# -- registering an organisation ---------------------------------------------------------------


def registration_link(app: Flask, client: FlaskClient, email: str) -> str:
    """Step 1: ask for a link by email; the path of the link in that email."""
    page = client.get("/provider/register")
    with record_messages(app) as outbox:
        sent = client.post(
            "/provider/register",
            data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), "email": email},
        )
    assert "Check your email" in sent.get_data(as_text=True)
    [message] = outbox
    match = re.search(r"https?://[^/\s]+(/provider/register/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def register(app: Flask, client: FlaskClient, **changes: str) -> object:
    link = registration_link(app, client, "robin@riverside.example")
    page = client.get(link)
    data = {
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "name": "Riverside Listening Service",
        "sector": "charity",
        "charity_number": "1100001",
        "website": "https://riverside.example",
        "your_name": "Robin",
        "password": PASSWORD,
    }
    data.update(changes)
    return client.post(link, data=data)


def test_register_an_organisation(app: Flask, client: FlaskClient, db_session: Session) -> None:
    response = register(app, client)
    assert response.headers["Location"] == "/provider"  # type: ignore[attr-defined]
    org = db_session.scalars(
        select(Organization).where(Organization.name == "Riverside Listening Service")
    ).one()
    user = db_session.scalars(select(User).where(User.email == "robin@riverside.example")).one()
    assert org.moderation == "pending"
    assert user.membership_for(org.id).role == "owner"  # type: ignore[union-attr]
    request = db_session.scalars(
        select(ChangeRequest).where(ChangeRequest.entity_id == org.id)
    ).one()
    assert request.state == "pending" and request.payload["charity_number"] == "1100001"
    assert "A moderator is checking your organisation" in client.get("/provider").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("changes", "anchor", "message"),
    [
        ({"name": ""}, "name", "Enter the name of the organisation"),
        ({"sector": ""}, "sector", "Select the sector"),
        ({"password": "too short"}, "password", "Password must be 12 characters or more"),
        ({"website": "riverside"}, "website", "Enter a website address in the correct format"),
    ],
)
def test_registration_errors(
    app: Flask,
    client: FlaskClient,
    world: World,
    changes: dict[str, str],
    anchor: str,
    message: str,
) -> None:
    html = register(app, client, **changes).get_data(as_text=True)  # type: ignore[attr-defined]
    assert "<title>Error: " in html
    assert re.search(rf'<a href="#{anchor}">\s*{re.escape(message)}', html)


# -- invitations -----------------------------------------------------------------------------------


def invite(app: Flask, client: FlaskClient, world: World, email: str, role: str) -> str:
    sign_in_as(client, world.owner)
    with record_messages(app) as outbox:
        response = post(
            client,
            f"/provider/organisations/{world.org.id}/members",
            {"email": email, "role": role},
        )
    assert response.status_code == 302
    [message] = outbox
    assert "Test Counselling Trust" in message.subject
    return re.search(r"/invitations/\S+", message.body).group(0)  # type: ignore[union-attr]


def test_invite_someone_new(
    app: Flask, client: FlaskClient, db_session: Session, world: World
) -> None:
    link = invite(app, client, world, "newcomer@test.example", "editor")
    sign_out(client)
    page = client.get(link).get_data(as_text=True)
    assert "Join Test Counselling Trust" in page
    response = client.post(
        link,
        data={"csrf_token": csrf_token_from(page), "name": "Newcomer", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/provider"
    assert world.service.name in client.get("/provider").get_data(as_text=True)
    user = db_session.scalars(select(User).where(User.email == "newcomer@test.example")).one()
    assert user.membership_for(world.org.id).role == "editor"  # type: ignore[union-attr]
    assert user.password_hash.startswith("scrypt:")
    # The link works once.
    sign_out(client)
    assert "This link does not work" in client.get(link).get_data(as_text=True)


def test_an_existing_account_accepts_by_signing_in(
    app: Flask, client: FlaskClient, db_session: Session, world: World
) -> None:
    link = invite(app, client, world, world.other_editor.email, "owner")
    sign_out(client)
    page = client.get(link).get_data(as_text=True)
    assert f"Sign in as {world.other_editor.email}" in page
    sign_in_as(client, world.other_editor)
    page = client.get(link).get_data(as_text=True)
    client.post(link, data={"csrf_token": csrf_token_from(page)})
    refresh(world.other_editor)
    assert world.other_editor.membership_for(world.org.id).role == "owner"  # type: ignore[union-attr]


def test_a_withdrawn_invitation_stops_working(
    app: Flask, client: FlaskClient, db_session: Session, world: World
) -> None:
    link = invite(app, client, world, "withdrawn@test.example", "editor")
    invitation = db_session.scalars(
        select(Invitation).where(Invitation.email == "withdrawn@test.example")
    ).one()
    post(client, f"/provider/organisations/{world.org.id}/invitations/{invitation.id}/withdraw")
    assert "This link does not work" in client.get(link).get_data(as_text=True)


def test_members_cannot_be_invited_twice_and_owners_manage_people(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    sign_in_as(client, world.owner)
    url = f"/provider/organisations/{world.org.id}/members"
    again = post(client, url, {"email": world.editor.email, "role": "editor"})
    assert "is already a member of Test Counselling Trust" in again.get_data(as_text=True)
    yourself = post(client, f"{url}/{world.owner.id}/remove")
    assert "You cannot remove yourself" in client.get(yourself.headers["Location"]).get_data(
        as_text=True
    )
    post(client, f"{url}/{world.editor.id}/remove")
    refresh(world.editor)
    assert world.editor.membership_for(world.org.id) is None


# -- the demo accounts (seeded with the demo directory) ----------------------------------------


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda a: a.email)
def test_demo_accounts_work(app: Flask, account: DemoAccount, db_session: Session) -> None:
    with fx.separate_requests(app):
        client = app.test_client()
        response = sign_in(client, account.email, account.password)
        assert response.status_code == 302, account.email  # type: ignore[attr-defined]
        if account.membership:
            dashboard = client.get("/provider").get_data(as_text=True)
            assert DEMO_ORGANISATION_NAME in dashboard
            org_id = demo_organisation_id()
            people = client.get(f"/provider/organisations/{org_id}/members")
            assert people.status_code == (200 if account.membership == "owner" else 403)
        if account.role in ("moderator", "admin"):
            assert client.get("/admin").status_code == 200
            assert client.get("/admin/users").status_code == (
                200 if account.role == "admin" else 403
            )
