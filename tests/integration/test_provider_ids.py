"""Editing another organisation's records by changing ids in URLs or forms.

Records are always loaded through the signed-in user's memberships, so a foreign id is a
404 and nothing changes; ids in posted forms are not trusted at all.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from signpost.models import ChangeRequest, Membership, ProblemReport
from signpost.models.accounts import Invitation
from tests.integration import test_provider_fixtures as fx
from tests.integration.test_provider_fixtures import (
    World,
    add_report,
    post,
    refresh,
    service_form_data,
    sign_in_as,
)

world = fx.world

FOREIGN_SERVICE_PAGES = [
    ("GET", "/provider/services/{other}"),
    ("GET", "/provider/services/{other}/edit"),
    ("POST", "/provider/services/{other}/edit"),
    ("GET", "/provider/services/{other}/locations"),
    ("POST", "/provider/services/{other}/locations"),
    ("GET", "/provider/services/{other}/waits"),
    ("POST", "/provider/services/{other}/waits"),
    ("POST", "/provider/services/{other}/capacity"),
    ("POST", "/provider/services/{other}/verify"),
    ("GET", "/provider/services/{other}/history"),
    ("POST", "/provider/services/{other}/waits/overall/remove"),
]


@pytest.mark.parametrize(("method", "template"), FOREIGN_SERVICE_PAGES)
def test_another_organisations_listing_is_not_found(
    client: FlaskClient, db_session: Session, world: World, method: str, template: str
) -> None:
    sign_in_as(client, world.editor)
    url = template.format(other=world.other_service.id)
    before = (world.other_service.version, world.other_service.capacity)
    if method == "GET":
        response = client.get(url)
    else:
        data = service_form_data(world.other_service, name="Hijacked", capacity="closed")
        response = post(client, url, data)
    assert response.status_code == 404
    refresh(world.other_service)
    assert (world.other_service.version, world.other_service.capacity) == before
    assert world.other_service.name == "Other therapy service"
    assert not db_session.scalars(select(ChangeRequest)).all()


def test_another_organisations_location_cannot_be_removed_through_your_listing(
    client: FlaskClient, world: World
) -> None:
    sign_in_as(client, world.editor)
    foreign = world.other_service.locations[0]
    url = f"/provider/services/{world.service.id}/locations/{foreign.id}/remove"
    assert post(client, url, {"version": str(world.service.version)}).status_code == 404
    refresh(world.other_service)
    assert [loc.id for loc in world.other_service.locations] == [foreign.id]


def test_ids_in_the_edit_form_are_ignored(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    sign_in_as(client, world.editor)
    data = service_form_data(
        world.service,
        name="Still ours",
        id=world.other_service.id,
        organization_id=world.other_org.id,
        service_id=world.other_service.id,
    )
    post(client, f"/provider/services/{world.service.id}/edit", data)
    [request] = db_session.scalars(select(ChangeRequest)).all()
    assert request.entity_id == world.service.id
    assert request.organization_id == world.org.id
    refresh(world.other_service)
    assert world.other_service.name == "Other therapy service"


def test_another_organisations_report_cannot_be_closed(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    report = add_report(db_session, world.other_service)
    sign_in_as(client, world.editor)
    assert post(client, f"/provider/reports/{report.id}/resolve").status_code == 404
    refresh(report)
    assert report.resolved is False


def test_members_and_invitations_of_another_organisation_are_out_of_reach(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    invitation = Invitation(organization_id=world.other_org.id, email="x@test.example")
    db_session.add(invitation)
    db_session.commit()
    sign_in_as(client, world.owner)
    own_org = f"/provider/organisations/{world.org.id}"
    # Their member and their invitation, through our organisation's URLs.
    assert post(client, f"{own_org}/members/{world.other_editor.id}/remove").status_code == 404
    assert post(client, f"{own_org}/invitations/{invitation.id}/withdraw").status_code == 404
    # And through theirs.
    their_org = f"/provider/organisations/{world.other_org.id}"
    assert post(client, f"{their_org}/members/{world.other_editor.id}/remove").status_code == 404
    assert client.get(their_org).status_code == 404
    assert db_session.get(Membership, (world.other_editor.id, world.other_org.id)) is not None
    assert db_session.get(Invitation, invitation.id) is not None


def test_another_organisations_new_listing_waiting_for_review_is_not_found(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    request = ChangeRequest(
        entity_type="service",
        entity_id="11111111-2222-3333-4444-555555555555",
        organization_id=world.other_org.id,
        payload={"name": "Their draft"},
    )
    db_session.add(request)
    db_session.commit()
    sign_in_as(client, world.editor)
    assert client.get(f"/provider/services/{request.entity_id}").status_code == 404
    assert client.get(f"/provider/services/{request.entity_id}/edit").status_code == 404


def test_a_moderator_cannot_edit_listings_through_the_provider_pages(
    client: FlaskClient, world: World
) -> None:
    sign_in_as(client, world.moderator)
    assert client.get(f"/provider/services/{world.service.id}/edit").status_code == 404
    response = post(
        client,
        f"/provider/services/{world.service.id}/edit",
        service_form_data(world.service, name="Moderator edit"),
    )
    assert response.status_code == 404


def test_problem_reports_for_unpublished_listings_are_not_accepted(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    world.other_org.moderation = "pending"
    db_session.commit()
    assert client.get(f"/services/{world.other_service.id}/report").status_code == 404
    response = post(
        client,
        f"/services/{world.other_service.id}/report",
        {"kind": "other", "details": "Spam"},
    )
    assert response.status_code == 404
    assert not db_session.scalars(select(ProblemReport)).all()
