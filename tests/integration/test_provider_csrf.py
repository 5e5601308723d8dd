"""CSRF protection is on in tests as in production: a POST without the form's token is
refused, whoever sends it, and nothing changes."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from signpost.models import ChangeRequest, ProblemReport
from tests.integration import test_provider_fixtures as fx
from tests.integration.test_provider_fixtures import (
    World,
    refresh,
    service_form_data,
    sign_in_as,
)

world = fx.world


def test_csrf_is_enabled(app: Flask) -> None:
    assert app.config.get("WTF_CSRF_ENABLED", True) is True


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_post_without_a_valid_token_is_refused(
    client: FlaskClient, db_session: Session, world: World, token: str | None
) -> None:
    sign_in_as(client, world.editor)
    client.get("/provider")  # the session has a token; the post does not carry it
    data: dict[str, object] = {"capacity": "closed"}
    if token is not None:
        data["csrf_token"] = token
    response = client.post(f"/provider/services/{world.service.id}/capacity", data=data)
    assert response.status_code == 400
    assert "Your form session expired" in response.get_data(as_text=True)
    refresh(world.service)
    assert world.service.capacity == "accepting"


CASES = [
    ("anonymous", "/sign-in", {"email": "owner@test.example", "password": "x" * 12}),
    ("anonymous", "/forgot-password", {"email": "owner@test.example"}),
    ("anonymous", "/services/{service}/report", {"kind": "other", "details": "Spam"}),
    ("editor", "/provider/services/{service}/edit", None),
    ("editor", "/provider/services/{service}/verify", {}),
    (
        "owner",
        "/provider/organisations/{org}/members",
        {"email": "a@test.example", "role": "owner"},
    ),
    ("moderator", "/admin/requests/{request}/approve", {}),
    ("admin", "/admin/users/{editor}", {"role": "admin", "active": "yes"}),
]


@pytest.mark.parametrize(("person", "template", "data"), CASES)
def test_every_kind_of_form_needs_the_token(
    client: FlaskClient,
    db_session: Session,
    world: World,
    person: str,
    template: str,
    data: dict[str, str] | None,
) -> None:
    request = ChangeRequest(
        entity_type="service",
        entity_id=world.service.id,
        organization_id=world.org.id,
        base_version=world.service.version,
        payload={"name": "x"},
        submitted_by_id=world.editor.id,
    )
    db_session.add(request)
    db_session.commit()
    sign_in_as(client, world.users()[person])
    url = template.format(
        service=world.service.id, org=world.org.id, request=request.id, editor=world.editor.id
    )
    response = client.post(url, data=service_form_data(world.service) if data is None else data)
    assert response.status_code == 400
    refresh(request, world.editor)
    assert request.state == "pending"
    assert world.editor.role == "provider"
    assert not db_session.scalars(select(ProblemReport)).all()
