"""Shared data for the provider, admin, accounts and authorisation tests.

Other test modules import the fixtures from here (``from tests.integration.
test_provider_fixtures import world, ...``). A ``World`` holds two approved organisations, a
listing in each, an owner and an editor of the first, an editor of the second, a
moderator and an admin. Everything is created inside the test's rolled-back transaction.

Passwords use a cheap hash (scrypt is deliberately slow); tests that sign in through the
form set a real password with :func:`make_user`'s ``password``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask, g, request_started
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from signpost.auth import SESSION_STAMP, session_stamp
from signpost.extensions import db, limiter
from signpost.models import (
    Location,
    Membership,
    Organization,
    ProblemReport,
    Service,
    ServiceAtLocation,
    User,
    Wait,
)
from tests.conftest import csrf_token_from

CHEAP_HASH = "pbkdf2:sha256:1000"


def make_user(
    session: Session,
    email: str,
    *,
    role: str = "provider",
    password: str | None = None,
    active: bool = True,
) -> User:
    user = User(email=email, name=email.split("@")[0].title(), role=role, active=active)
    if password is not None:
        user.set_password(password)
    else:
        user.password_hash = generate_password_hash("not-used-" + email, method=CHEAP_HASH)
    session.add(user)
    session.flush()
    return user


def make_organization(
    session: Session, name: str, *, moderation: str = "approved", members: dict[User, str]
) -> Organization:
    org = Organization(name=name, sector="charity", moderation=moderation, description="")
    session.add(org)
    session.flush()
    for user, role in members.items():
        session.add(Membership(user_id=user.id, organization_id=org.id, role=role))
    session.flush()
    return org


def make_service(session: Session, org: Organization, name: str, **fields: Any) -> Service:
    values: dict[str, Any] = {
        "description": "Counselling for adults.",
        "minimum_age": 18,
        "cost_type": "free",
        "languages": "English",
        "catchment_radius_km": 20.0,
        "last_verified_on": date.today(),
        "how_to_refer": "Call us.",
    }
    values.update(fields)
    service = Service(organization_id=org.id, name=name, **values)
    service.set_modalities(["counselling"])
    service.set_needs(["depression"])
    service.set_tags("format", ["individual"])
    service.set_tags("delivery", ["in-person"])
    service.set_tags("referral", ["self-referral"])
    location = Location(
        organization_id=org.id,
        name="Main site",
        address_1="1 Park Row",
        city="Leeds",
        postcode="LS1 5AB",
        latitude=53.797,
        longitude=-1.546,
    )
    service.service_locations.append(ServiceAtLocation(location=location))
    service.waits.append(
        Wait(modality=None, assessment_weeks=2, treatment_weeks=6, as_of=date.today())
    )
    session.add(service)
    session.flush()
    return service


@dataclass
class World:
    org: Organization
    other_org: Organization
    owner: User
    editor: User
    other_editor: User
    moderator: User
    admin: User
    service: Service
    other_service: Service

    def users(self) -> dict[str, User | None]:
        return {
            "anonymous": None,
            "other_editor": self.other_editor,
            "editor": self.editor,
            "owner": self.owner,
            "moderator": self.moderator,
            "admin": self.admin,
        }


def build_world(session: Session) -> World:
    owner = make_user(session, "owner@test.example")
    editor = make_user(session, "editor@test.example")
    other_editor = make_user(session, "other@test.example")
    moderator = make_user(session, "moderator@test.example", role="moderator")
    admin = make_user(session, "admin@test.example", role="admin")
    org = make_organization(
        session, "Test Counselling Trust", members={owner: "owner", editor: "editor"}
    )
    other_org = make_organization(session, "Other Therapy Centre", members={other_editor: "owner"})
    service = make_service(session, org, "Test counselling service")
    other_service = make_service(session, other_org, "Other therapy service")
    session.commit()
    return World(
        org, other_org, owner, editor, other_editor, moderator, admin, service, other_service
    )


@contextmanager
def separate_requests(app: Flask) -> Iterator[None]:
    """Start each request with a clean ``g``, as in production.

    conftest runs each test inside one app context, and Flask reuses it for every request,
    so without this the user Flask-Login cached and the CSRF token Flask-WTF cached on ``g``
    would leak from one request (or one client) to the next.
    """

    def clear(_sender: Flask, **_extra: object) -> None:
        for name in ("_login_user", "csrf_token"):
            g.pop(name, None)

    with request_started.connected_to(clear, app):
        yield


@pytest.fixture
def world(app: Flask, db_session: Session) -> Iterator[World]:
    with separate_requests(app):
        yield build_world(db_session)


@pytest.fixture
def fresh_limits() -> Iterator[None]:
    """Rate limits are counted per process: start each sign-in test from zero."""
    limiter.reset()
    yield
    limiter.reset()


def sign_in_as(client: FlaskClient, user: User | None) -> None:
    """Sign in without the form (and its rate limit): what Flask-Login stores."""
    if user is None:
        return
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
        session[SESSION_STAMP] = session_stamp(user)


def csrf(client: FlaskClient) -> str:
    """A CSRF token for this client's session, from a page anyone can open."""
    response = client.get("/forgot-password")
    assert response.status_code == 200
    return csrf_token_from(response.get_data(as_text=True))


def post(client: FlaskClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """POST like a browser: with the session's CSRF token."""
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, **kwargs)


def refresh(*objects: object) -> None:
    """Forget what the test's session cached, to see what requests wrote."""
    db.session.expire_all()
    for obj in objects:
        db.session.refresh(obj)


def service_form_data(service: Service, **changes: Any) -> dict[str, Any]:
    """The edit form as a browser would post it for ``service``, with ``changes``."""
    data: dict[str, Any] = {
        "version": str(service.version),
        "name": service.name,
        "description": service.description,
        "status": service.status,
        "modalities": service.modalities,
        "needs": service.needs,
        "formats": service.formats,
        "delivery": service.delivery,
        "minimum_age": "" if service.minimum_age is None else str(service.minimum_age),
        "maximum_age": "" if service.maximum_age is None else str(service.maximum_age),
        "referral_routes": service.referral_routes,
        "how_to_refer": service.how_to_refer,
        "cost_type": service.cost_type,
        "languages": service.languages,
        "trainees_deliver": "yes" if service.trainees_deliver else "no",
        "catchment_kind": "radius",
        "catchment_radius": "20",
    }
    data.update(changes)
    return data


def add_report(session: Session, service: Service) -> ProblemReport:
    report = ProblemReport(service_id=service.id, kind="contact", details="Phone number is wrong")
    session.add(report)
    session.commit()
    return report


def long_ago(days: int) -> date:
    return date.today() - timedelta(days=days)


# -- the factories themselves ----------------------------------------------------------------


def test_world_has_two_separate_organisations(world: World) -> None:
    assert world.service.organization_id == world.org.id
    assert world.other_service.organization_id == world.other_org.id
    assert world.owner.membership_for(world.org.id).role == "owner"  # type: ignore[union-attr]
    assert world.editor.membership_for(world.org.id).role == "editor"  # type: ignore[union-attr]
    assert world.other_editor.membership_for(world.org.id) is None
    assert world.moderator.is_moderator and not world.moderator.is_admin
    assert world.admin.is_admin


def test_sign_in_as_signs_in(client: FlaskClient, world: World) -> None:
    assert client.get("/provider").status_code == 302
    sign_in_as(client, world.editor)
    response = client.get("/provider")
    assert response.status_code == 200
    assert world.service.name in response.get_data(as_text=True)
