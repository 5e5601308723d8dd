"""The curation queue: harvested listings wait for a moderator, one screen each, and only
those confirmed as therapy reach search; suggested tags are not tags until confirmed."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from signpost.directory.loading import load_records
from signpost.extensions import db
from signpost.models import Revision, Service
from signpost.oruk.importer import import_services
from signpost.oruk.provenance import Provenance
from tests.integration import test_provider_fixtures as fx
from tests.integration.oruk_feeds import oruk3_service
from tests.integration.test_provider_fixtures import World, post, refresh, sign_in_as

world = fx.world


def _harvested(session: Session, *, therapy: bool = True) -> Service:
    from datetime import UTC, datetime

    record = oruk3_service(77, therapy=therapy)
    import_services(session, [("record 1", record)], skip_bad=True,
                    provenance=Provenance("Example City Council", datetime.now(UTC)))  # fmt: skip
    return session.get(Service, record["id"])


def _public(app: Flask, session: Session, service_id: str) -> bool:
    with app.test_request_context():
        return any(r.id == service_id for r in load_records(session, [service_id]))


def test_suggestions_are_not_tags_until_a_moderator_confirms(
    app: Flask, client: FlaskClient, world: World
) -> None:
    service = _harvested(db.session)
    assert service.import_class == "therapy" and service.import_review == "pending"
    assert service.modalities == [] and service.needs == []  # only suggested
    assert not _public(app, db.session, service.id)

    sign_in_as(client, world.moderator)
    queue = client.get("/admin/imports").get_data(as_text=True)
    assert "Wellbeing counselling 77" in queue
    screen = client.get(f"/admin/imports/{service.id}").get_data(as_text=True)
    assert "from the words: counselling" in screen
    assert "Counselling (suggested from: counselling)" in screen
    assert "&lt;script&gt;" not in screen and "<script>alert" not in screen

    decision = {"kind": "therapy", "modalities": ["counselling"], "needs": ["anxiety"]}
    response = post(client, f"/admin/imports/{service.id}", decision)
    assert response.status_code == 302
    refresh(service)
    assert service.import_review == "confirmed"
    assert service.modalities == ["counselling"] and service.needs == ["anxiety"]
    assert _public(app, db.session, service.id)
    (revision,) = db.session.query(Revision).filter_by(entity_id=service.id, action="curate")
    assert revision.user_id == world.moderator.id


def test_confirmed_as_not_therapy_stays_out_of_search(
    app: Flask, client: FlaskClient, world: World
) -> None:
    service = _harvested(db.session)
    sign_in_as(client, world.moderator)
    response = post(client, f"/admin/imports/{service.id}",
                    {"kind": "mental-health", "modalities": ["counselling"]})  # fmt: skip
    assert response.status_code == 302
    refresh(service)
    assert service.import_class == "mental-health" and service.modalities == []
    assert not _public(app, db.session, service.id)


def test_a_decision_needs_a_class(client: FlaskClient, world: World) -> None:
    service = _harvested(db.session, therapy=False)
    sign_in_as(client, world.moderator)
    response = post(client, f"/admin/imports/{service.id}", {})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>Error: " in page
    assert "Select what this service is" in page


def test_providers_cannot_curate(client: FlaskClient, world: World) -> None:
    service = _harvested(db.session)
    sign_in_as(client, world.editor)
    assert client.get(f"/admin/imports/{service.id}").status_code in (403, 404)
    assert post(client, f"/admin/imports/{service.id}", {"kind": "therapy"}).status_code in (
        403, 404,
    )  # fmt: skip
    refresh(service)
    assert service.import_review == "pending"


def test_a_listing_that_was_not_imported_has_no_curation_screen(
    client: FlaskClient, world: World
) -> None:
    sign_in_as(client, world.moderator)
    assert client.get(f"/admin/imports/{world.service.id}").status_code == 404


def test_a_moderator_hands_a_harvested_organisation_to_its_people(
    client: FlaskClient, world: World
) -> None:
    from signpost.accounts import users
    from signpost.models import Organization
    from signpost.models.accounts import Invitation

    service = _harvested(db.session)
    sign_in_as(client, world.moderator)
    response = post(client, f"/admin/imports/{service.id}/claim", {"email": "not an email"})
    assert response.status_code == 200 and "correct format" in response.get_data(as_text=True)
    response = post(client, f"/admin/imports/{service.id}/claim", {"email": "Lead@Example.org"})
    assert response.status_code == 302
    (invitation,) = db.session.query(Invitation).filter_by(organization_id=service.organization_id)
    assert (invitation.email, invitation.role) == ("lead@example.org", "owner")
    # Once accepted, the person is a member: their edits outrank the next harvest.
    user = users.accept_invitation(
        db.session, invitation, signed_in=None, name="Lead", password="a long passphrase 42"
    )
    organization = db.session.get(Organization, service.organization_id)
    assert user.membership_for(organization.id) is not None
