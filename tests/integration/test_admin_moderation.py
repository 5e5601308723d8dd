"""Moderation end to end: an editor proposes, a moderator sees the before/after and
approves or rejects with a reason, the public sees only approved versions, and every step
leaves a revision."""

from __future__ import annotations

import re
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from signpost.directory.loading import load_records
from signpost.extensions import db, limiter
from signpost.models import ChangeRequest, Organization, Revision, Service
from tests.conftest import csrf_token_from
from tests.integration import test_provider_fixtures as fx
from tests.integration.test_accounts import registration_link
from tests.integration.test_provider_fixtures import (
    World,
    post,
    refresh,
    service_form_data,
    sign_in_as,
)

world = fx.world


def the_request(session: Session, entity_id: str) -> ChangeRequest:
    return session.scalars(
        select(ChangeRequest)
        .where(ChangeRequest.entity_id == entity_id)
        .order_by(ChangeRequest.id.desc())
    ).first()  # type: ignore[return-value]


def actions(session: Session, entity_id: str) -> list[str]:
    return list(
        session.scalars(
            select(Revision.action).where(Revision.entity_id == entity_id).order_by(Revision.id)
        )
    )


def public_names(app: Flask, session: Session, service_id: str) -> list[str]:
    with app.test_request_context():
        return [record.name for record in load_records(session, [service_id])]


def propose_rename(client: FlaskClient, world: World, name: str) -> ChangeRequest:
    sign_in_as(client, world.editor)
    response = post(
        client,
        f"/provider/services/{world.service.id}/edit",
        service_form_data(world.service, name=name, cost_type="fixed", cost_fixed="25"),
    )
    assert response.status_code == 302
    return the_request(db.session, world.service.id)


def test_approve_an_edit_end_to_end(
    app: Flask, client: FlaskClient, db_session: Session, world: World
) -> None:
    request = propose_rename(client, world, "Leeds Talking Space")
    assert public_names(app, db_session, world.service.id) == ["Test counselling service"]

    sign_in_as(client, world.moderator)
    queue = client.get("/admin").get_data(as_text=True)
    assert "Change to a listing: Test counselling service" in queue
    review = client.get(f"/admin/requests/{request.id}").get_data(as_text=True)
    # The diff: only what changes, public version beside the proposal.
    assert "Public now" in review and "Proposed" in review
    assert "Leeds Talking Space" in review and "£25" in review
    rows = re.findall(r'<th scope="row" class="nhsuk-table__header">([^<]+)</th>', review)
    assert rows == ["Name", "Cost", "Lowest cost per session", "Highest cost per session"]

    response = post(client, f"/admin/requests/{request.id}/approve")
    assert response.status_code == 302
    refresh(world.service, request)
    assert request.state == "approved"
    assert request.reviewed_by_id == world.moderator.id
    assert (world.service.name, world.service.cost_type, world.service.cost_min_gbp) == (
        "Leeds Talking Space",
        "fixed",
        25.0,
    )
    assert public_names(app, db_session, world.service.id) == ["Leeds Talking Space"]
    assert actions(db_session, world.service.id) == ["submit", "approve"]
    approval = db_session.scalars(
        select(Revision).where(Revision.entity_id == world.service.id, Revision.action == "approve")
    ).one()
    assert approval.user_id == world.moderator.id
    assert approval.before["name"] == "Test counselling service"
    assert approval.after["name"] == "Leeds Talking Space"
    assert "editor@test.example" in (approval.note or "")
    assert "There is nothing to review" in client.get("/admin").get_data(as_text=True)


def test_reject_needs_a_reason_and_the_provider_sees_it(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    request = propose_rename(client, world, "Too Good To Be True Therapy")
    sign_in_as(client, world.moderator)
    missing = post(client, f"/admin/requests/{request.id}/reject", {"reason": "  "})
    html = missing.get_data(as_text=True)
    assert "<title>Error: " in html
    assert re.search(r'<a href="#reason">\s*Enter a reason for rejecting the change', html)

    post(client, f"/admin/requests/{request.id}/reject", {"reason": "Name is misleading."})
    refresh(world.service, request)
    assert request.state == "rejected" and request.reason == "Name is misleading."
    assert world.service.name == "Test counselling service"
    assert actions(db_session, world.service.id) == ["submit", "reject"]

    sign_in_as(client, world.editor)
    dashboard = client.get("/provider").get_data(as_text=True)
    assert "Changes that were not approved" in dashboard
    assert "Name is misleading." in dashboard


def test_a_moderator_cannot_review_their_own_change(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    request = propose_rename(client, world, "Self-approved")
    request.submitted_by_id = world.moderator.id
    db_session.commit()
    sign_in_as(client, world.moderator)
    response = post(client, f"/admin/requests/{request.id}/approve")
    assert response.status_code == 409
    assert "You cannot review a change you made yourself" in response.get_data(as_text=True)
    refresh(request)
    assert request.state == "pending"


def test_a_reviewed_change_cannot_be_approved_twice(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    request = propose_rename(client, world, "Once only")
    sign_in_as(client, world.moderator)
    post(client, f"/admin/requests/{request.id}/approve")
    again = post(client, f"/admin/requests/{request.id}/approve")
    assert again.status_code == 409
    assert "already been reviewed" in again.get_data(as_text=True)


def test_a_new_listing_is_created_when_approved(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    sign_in_as(client, world.owner)
    response = post(
        client,
        f"/provider/organisations/{world.org.id}/services/new",
        service_form_data(world.service, name="Evening group", version="new"),
    )
    new_id = response.headers["Location"].rsplit("/", 1)[1]
    request = the_request(db_session, new_id)
    sign_in_as(client, world.moderator)
    review = client.get(f"/admin/requests/{request.id}").get_data(as_text=True)
    assert "New listing: Evening group" in review
    post(client, f"/admin/requests/{request.id}/approve")
    service = db_session.get(Service, new_id)
    assert service is not None and service.name == "Evening group"
    assert service.organization_id == world.org.id
    assert service.last_verified_on == date.today()
    assert actions(db_session, new_id) == ["submit", "approve"]


def test_new_organisation_register_review_approve(
    app: Flask, client: FlaskClient, db_session: Session, world: World
) -> None:
    limiter.reset()
    link = registration_link(app, client, "Sam@Northern.example")
    form = client.get(link).get_data(as_text=True)
    response = client.post(
        link,
        data={
            "csrf_token": csrf_token_from(form),
            "name": "Northern Sky Therapy CIC",
            "sector": "charity",
            "your_name": "Sam Founder",
            "password": "correct horse battery staple",
        },
    )
    assert response.status_code == 302
    org = db_session.scalars(
        select(Organization).where(Organization.name == "Northern Sky Therapy CIC")
    ).one()
    assert org.moderation == "pending"
    # The new owner prepares a listing: saved at once, but not public.
    response = post(
        client,
        f"/provider/organisations/{org.id}/services/new",
        service_form_data(world.service, name="Sky counselling", version="new"),
    )
    service_id = response.headers["Location"].rsplit("/", 1)[1]
    assert db_session.get(Service, service_id) is not None
    assert public_names(app, db_session, service_id) == []

    request = the_request(db_session, org.id)
    sign_in_as(client, world.moderator)
    review = client.get(f"/admin/requests/{request.id}").get_data(as_text=True)
    assert "New organisation: Northern Sky Therapy CIC" in review
    assert "Sky counselling" in review  # its listings are shown with it
    post(client, f"/admin/requests/{request.id}/approve")
    refresh(org)
    assert org.moderation == "approved"
    assert public_names(app, db_session, service_id) == ["Sky counselling"]
    assert "approve" in actions(db_session, org.id)


def test_a_rejected_organisation_can_be_sent_again(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    world.other_org.moderation = "pending"
    db_session.add(
        ChangeRequest(
            entity_type="organization",
            entity_id=world.other_org.id,
            organization_id=world.other_org.id,
            payload={"name": world.other_org.name},
            submitted_by_id=world.other_editor.id,
        )
    )
    db_session.commit()
    request = the_request(db_session, world.other_org.id)
    sign_in_as(client, world.moderator)
    post(client, f"/admin/requests/{request.id}/reject", {"reason": "Add a charity number."})
    refresh(world.other_org)
    assert world.other_org.moderation == "rejected"

    sign_in_as(client, world.other_editor)  # the organisation's owner
    dashboard = client.get("/provider").get_data(as_text=True)
    assert "Add a charity number." in dashboard
    post(client, f"/provider/organisations/{world.other_org.id}/resubmit")
    refresh(world.other_org)
    assert world.other_org.moderation == "pending"
    assert the_request(db_session, world.other_org.id).state == "pending"


def test_organisation_details_changes_are_moderated(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    sign_in_as(client, world.owner)
    url = f"/provider/organisations/{world.org.id}"
    html = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    data = {"version": version, "name": "Test Counselling Trust", "sector": "charity"}
    data["charity_number"] = "1234567"
    assert post(client, url, data).status_code == 302
    refresh(world.org)
    assert world.org.charity_number is None
    request = the_request(db_session, world.org.id)
    sign_in_as(client, world.moderator)
    assert "1234567" in client.get(f"/admin/requests/{request.id}").get_data(as_text=True)
    post(client, f"/admin/requests/{request.id}/approve")
    refresh(world.org)
    assert world.org.charity_number == "1234567"


def test_history_and_audit_log(client: FlaskClient, world: World) -> None:
    request = propose_rename(client, world, "Audited name")
    sign_in_as(client, world.moderator)
    post(client, f"/admin/requests/{request.id}/approve")
    history = client.get(f"/admin/history/{world.service.id}").get_data(as_text=True)
    assert "Change approved and published" in history
    assert "Change sent for review" in history
    assert "Audited name" in history
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "moderator@test.example" in audit and "editor@test.example" in audit
    # The log says which listing changed, in UK time.
    assert "<strong>Audited name</strong>" in audit
    assert re.search(r"\d{1,2} \w+ \d{4}, \d\d:\d\d \((GMT|BST)\)", audit)
    assert " UTC" not in audit
    assert client.get("/admin/history/no-such-thing").status_code == 404


def test_uk_time_follows_summer_time() -> None:
    from datetime import UTC, datetime

    from signpost.admin.views import uk_time

    assert uk_time(datetime(2026, 7, 1, 11, 30, tzinfo=UTC)) == "1 July 2026, 12:30 (BST)"
    assert uk_time(datetime(2026, 11, 30, 11, 30)) == "30 November 2026, 11:30 (GMT)"


def test_problem_reports_reach_moderators_and_can_be_closed(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    report = fx.add_report(db_session, world.service)
    sign_in_as(client, world.moderator)
    html = client.get("/admin/reports").get_data(as_text=True)
    assert "Phone number is wrong" in html and world.service.name in html
    post(client, f"/admin/reports/{report.id}/resolve")
    refresh(report)
    assert report.resolved
    assert "There are no open reports" in client.get("/admin/reports").get_data(as_text=True)
