"""Editing listings through the provider pages: every field, NHS-style errors, locations,
waits, one-click capacity and "still accurate", and the revisions each change writes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from signpost.models import ChangeRequest, Revision, Service
from tests.conftest import csrf_token_from
from tests.integration import test_provider_fixtures as fx
from tests.integration.test_provider_fixtures import (
    World,
    make_organization,
    make_service,
    make_user,
    post,
    refresh,
    separate_requests,
    service_form_data,
    sign_in_as,
)

world = fx.world


def pending_for(session: Session, entity_id: str) -> list[ChangeRequest]:
    return list(
        session.scalars(
            select(ChangeRequest).where(
                ChangeRequest.entity_id == entity_id, ChangeRequest.state == "pending"
            )
        )
    )


def revisions_for(session: Session, entity_id: str) -> list[Revision]:
    return list(
        session.scalars(
            select(Revision).where(Revision.entity_id == entity_id).order_by(Revision.id)
        )
    )


@pytest.fixture
def unapproved(app: Flask, db_session: Session) -> Iterator[tuple[Service, object]]:
    """A listing of an organisation still waiting for approval (edits apply at once)."""
    owner = make_user(db_session, "new-owner@test.example")
    org = make_organization(
        db_session, "Awaiting Approval CIC", moderation="pending", members={owner: "owner"}
    )
    service = make_service(db_session, org, "Not yet public service")
    db_session.commit()
    with separate_requests(app):
        yield service, owner


# -- the edit form ---------------------------------------------------------------------------


def test_edit_form_shows_the_current_values(client: FlaskClient, world: World) -> None:
    sign_in_as(client, world.editor)
    html = client.get(f"/provider/services/{world.service.id}/edit").get_data(as_text=True)
    assert 'value="Test counselling service"' in html
    assert re.search(r'value="counselling"\s+checked', html)
    assert f'name="version" value="{world.service.version}"' in html
    assert "<title>Change Test counselling service" in html


def test_edit_of_a_published_listing_waits_for_a_moderator(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    sign_in_as(client, world.editor)
    data = service_form_data(
        world.service,
        name="Renamed counselling service",
        modalities=["counselling", "cbt"],
        cost_type="sliding-scale",
        cost_min="10",
        cost_max="£45.50",
        catchment_kind="areas",
        catchment_areas="ls, LS6 , bd1",
        website="https://example.org/counselling",
        email="Hello@Example.org",
        phone="0113 496 0000",
        maximum_age="65",
        communities=["lgbtq"],
        other_communities="Carers, carers",
    )
    response = post(client, f"/provider/services/{world.service.id}/edit", data)
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "sent to a moderator" in follow

    refresh(world.service)
    assert world.service.name == "Test counselling service"  # the public still sees this
    [request] = pending_for(db_session, world.service.id)
    payload = request.payload
    assert request.base_version == world.service.version
    assert request.submitted_by_id == world.editor.id
    assert payload["name"] == "Renamed counselling service"
    assert payload["modalities"] == ["cbt", "counselling"]
    assert (payload["cost_type"], payload["cost_min_gbp"], payload["cost_max_gbp"]) == (
        "sliding-scale",
        10.0,
        45.5,
    )
    assert payload["catchment"] == {
        "kind": "areas",
        "areas": ["BD1", "LS", "LS6"],
        "radius_km": None,
    }
    assert payload["email"] == "hello@example.org"
    assert payload["communities"] == ["lgbtq", "Carers"]
    assert payload["maximum_age"] == 65
    assert len(payload["locations"]) == 1  # locations and waits come along unchanged
    [revision] = [r for r in revisions_for(db_session, world.service.id) if r.action == "submit"]
    assert revision.user_id == world.editor.id
    assert revision.before["name"] == "Test counselling service"
    assert revision.after["name"] == "Renamed counselling service"


def test_a_second_edit_updates_the_same_pending_request(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    sign_in_as(client, world.editor)
    url = f"/provider/services/{world.service.id}/edit"
    post(client, url, service_form_data(world.service, name="First rename"))
    html = client.get(url).get_data(as_text=True)
    assert 'value="First rename"' in html  # the form starts from the pending edit
    version = re.search(r'name="version" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    response = post(
        client, url, service_form_data(world.service, name="Second rename", version=version)
    )
    assert response.status_code == 302
    [request] = pending_for(db_session, world.service.id)
    assert request.payload["name"] == "Second rename"


def test_an_unapproved_organisation_saves_at_once_with_a_revision(
    client: FlaskClient, db_session: Session, unapproved: tuple[Service, object]
) -> None:
    service, owner = unapproved
    sign_in_as(client, owner)  # type: ignore[arg-type]
    data = service_form_data(service, name="Ready for launch", trainees_deliver="yes")
    response = post(client, f"/provider/services/{service.id}/edit", data)
    assert response.status_code == 302
    refresh(service)
    assert service.name == "Ready for launch"
    assert service.trainees_deliver is True
    assert service.last_verified_on == date.today()
    assert not pending_for(db_session, service.id)
    [revision] = [r for r in revisions_for(db_session, service.id) if r.action == "update"]
    assert revision.before["name"] == "Not yet public service"
    assert revision.after["name"] == "Ready for launch"
    assert revision.user_id == owner.id  # type: ignore[attr-defined]


BAD_EDITS = [
    ({"name": "  "}, "name", "Enter the name of the service"),
    ({"description": ""}, "description", "Enter a description of the service"),
    ({"modalities": []}, "modalities", "Select the types of therapy the service offers"),
    ({"needs": []}, "needs", "Select what the service helps with"),
    ({"delivery": []}, "delivery", "Select how therapy is delivered"),
    ({"referral_routes": []}, "referral_routes", "Select how people can be referred"),
    ({"status": ""}, "status", "Select whether the service is open"),
    ({"minimum_age": "eighteen"}, "minimum_age", "Youngest age must be a whole number"),
    ({"minimum_age": "121"}, "minimum_age", "Youngest age must be between 0 and 120"),
    (
        {"minimum_age": "40", "maximum_age": "30"},
        "maximum_age",
        "Oldest age must be the same as or higher than the youngest age",
    ),
    ({"cost_type": "fixed", "cost_fixed": ""}, "cost_fixed", "Enter the cost per session"),
    ({"cost_type": "fixed", "cost_fixed": "lots"}, "cost_fixed", "Cost per session must be"),
    (
        {"cost_type": "sliding-scale", "cost_min": "50", "cost_max": "20"},
        "cost_max",
        "Highest cost must be the same as or more than the lowest cost",
    ),
    (
        {"catchment_kind": "areas", "catchment_areas": ""},
        "catchment_areas",
        "Enter the postcode areas or districts the service covers",
    ),
    (
        {"catchment_kind": "areas", "catchment_areas": "LS, Yorkshire"},
        "catchment_areas",
        "Yorkshire is not a postcode area or district",
    ),
    ({"catchment_kind": "radius", "catchment_radius": ""}, "catchment_radius", "Enter a distance"),
    ({"catchment_kind": ""}, "catchment_kind", "Select who can use the service"),
    ({"website": "example dot org"}, "website", "Enter a website address in the correct format"),
    ({"email": "not-an-email"}, "email", "Enter an email address in the correct format"),
    ({"phone": "call us"}, "phone", "Enter a phone number"),
    ({"modalities": ["counselling", "astrology"]}, "modalities", "from the list"),
    (
        {"modalities": ["counselling"], "low_intensity": ["cbt"]},
        "low_intensity",
        "Select only therapies the service offers",
    ),
    (
        {"eligibility": ["students"], "eligibility_note": ""},
        "eligibility_note",
        "Enter the college or university the service is for",
    ),
    ({"eligibility": ["astronauts"]}, "eligibility", "from the list"),
    ({"protocols": ["astrology"]}, "protocols", "from the list"),
]


def test_eligibility_protocols_and_intensity_are_saved_with_a_revision(
    client: FlaskClient, db_session: Session, unapproved: tuple[Service, object]
) -> None:
    service, owner = unapproved
    sign_in_as(client, owner)  # type: ignore[arg-type]
    data = service_form_data(
        service,
        modalities=["cbt", "counselling", "guided-self-help"],
        low_intensity=["cbt"],
        protocols=["cbt-ed", "sscm"],
        eligibility=["students", "women-only"],
        eligibility_note="Example College",
    )
    response = post(client, f"/provider/services/{service.id}/edit", data)
    assert response.status_code == 302
    refresh(service)
    assert service.low_intensity_modalities == ["cbt"]
    assert service.protocol_list == ["cbt-ed", "sscm"]
    assert service.eligibility_list == ["students", "women-only"]
    assert service.eligibility_note == "Example College"
    [revision] = [r for r in revisions_for(db_session, service.id) if r.action == "update"]
    assert revision.after["eligibility"] == ["students", "women-only"]
    form = client.get(f"/provider/services/{service.id}/edit").text
    assert re.search(r'value="sscm"[^>]*checked', form)
    assert "Only for students of a named college or university" in form


@pytest.mark.parametrize(("changes", "field", "message"), BAD_EDITS)
def test_errors_follow_the_nhs_pattern(
    client: FlaskClient,
    db_session: Session,
    world: World,
    changes: dict[str, object],
    field: str,
    message: str,
) -> None:
    sign_in_as(client, world.editor)
    response = post(
        client,
        f"/provider/services/{world.service.id}/edit",
        service_form_data(world.service, **changes),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: " in html
    summary = html[html.index("nhsuk-error-summary") :]
    assert re.search(rf'<a href="#{field}">\s*[^<]*{re.escape(message)}', summary), summary[:1500]
    assert f'id="{field}-error"' in html  # the message is also by the field itself
    assert not pending_for(db_session, world.service.id)


def test_a_new_listing_of_an_approved_organisation_waits_for_review(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    sign_in_as(client, world.owner)
    data = service_form_data(world.service, name="Brand new group", version="new")
    response = post(client, f"/provider/organisations/{world.org.id}/services/new", data)
    assert response.status_code == 302
    new_id = response.headers["Location"].rsplit("/", 1)[1]
    assert db_session.get(Service, new_id) is None
    [request] = pending_for(db_session, new_id)
    assert request.base_version is None
    assert request.payload["name"] == "Brand new group"
    page = client.get(f"/provider/services/{new_id}").get_data(as_text=True)
    assert "This new listing is waiting for a moderator" in page
    # Locations can be added while it waits: they join the same pending request.
    add = post(
        client,
        f"/provider/services/{new_id}/locations",
        {
            "version": f"new-{request.id}.{request.version}",
            "name": "Hub",
            "address_1": "2 Park Row",
            "city": "Leeds",
            "postcode": "ls1 4ap",
        },
    )
    assert add.status_code == 302
    refresh(request)
    assert [loc["postcode"] for loc in request.payload["locations"]] == ["LS1 4AP"]


# -- locations ---------------------------------------------------------------------------------


def location_data(client: FlaskClient, url: str, **changes: str) -> dict[str, str]:
    html = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    data = {
        "version": version,
        "name": "Second site",
        "address_1": "10 Some Street",
        "city": "Leeds",
        "postcode": "LS2 9JT",
        "accessibility": "Step-free access",
    }
    data.update(changes)
    return data


def test_add_and_remove_a_location(
    client: FlaskClient, db_session: Session, unapproved: tuple[Service, object]
) -> None:
    service, owner = unapproved
    sign_in_as(client, owner)  # type: ignore[arg-type]
    url = f"/provider/services/{service.id}/locations"
    response = post(client, url, location_data(client, url, postcode="ls29jt"))
    assert response.status_code == 302
    refresh(service)
    added = next(loc for loc in service.locations if loc.name == "Second site")
    assert added.postcode == "LS2 9JT"  # normalised by the geocoder
    assert added.latitude == pytest.approx(53.808, abs=0.01)
    assert added.organization_id == service.organization_id

    html = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    removed = post(client, f"{url}/{added.id}/remove", {"version": version})
    assert removed.status_code == 302
    refresh(service)
    assert [loc.name for loc in service.locations] == ["Main site"]
    actions = [r.action for r in revisions_for(db_session, service.id)]
    assert actions == ["update", "update"]


def test_a_northern_ireland_provider_can_add_a_site(
    client: FlaskClient, unapproved: tuple[Service, object]
) -> None:
    """Code-Point Open has no BT postcodes: the site is placed at its post town's centre."""
    service, owner = unapproved
    sign_in_as(client, owner)  # type: ignore[arg-type]
    url = f"/provider/services/{service.id}/locations"
    response = post(client, url, location_data(client, url, postcode="bt74 6aa"))
    assert response.status_code == 302
    refresh(service)
    added = next(loc for loc in service.locations if loc.name == "Second site")
    assert added.postcode == "BT74 6AA"
    assert added.latitude == pytest.approx(54.346, abs=0.01)  # Enniskillen


@pytest.mark.parametrize(
    ("postcode", "message"),
    [
        ("", "Enter a postcode"),
        ("ZZ99 9ZZ", "is not a valid postcode"),
        ("Leeds", "Enter a full postcode, like LS1 4AP"),
        ("LS1", "Enter a full postcode, like LS1 4AP"),
        ("BT99 1AA", "We could not find that Northern Ireland postcode"),
        ("BT1", "Enter a full postcode, like LS1 4AP"),
    ],
)
def test_a_location_needs_a_full_postcode_the_geocoder_knows(
    client: FlaskClient, world: World, postcode: str, message: str
) -> None:
    sign_in_as(client, world.editor)
    url = f"/provider/services/{world.service.id}/locations"
    response = post(client, url, location_data(client, url, postcode=postcode))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: " in html
    assert re.search(r'<a href="#postcode">\s*[^<]*' + re.escape(message), html)
    assert 'value="10 Some Street"' in html  # their input is kept


# -- waits ---------------------------------------------------------------------------------------


def wait_data(client: FlaskClient, url: str, **changes: str) -> dict[str, str]:
    html = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    day = date.today() - timedelta(days=3)
    data = {
        "version": version,
        "modality": "",
        "assessment_weeks": "3",
        "treatment_weeks": "10",
        "as_of-day": str(day.day),
        "as_of-month": str(day.month),
        "as_of-year": str(day.year),
    }
    data.update(changes)
    return data


def test_waits_for_the_whole_service_and_per_therapy(
    client: FlaskClient, db_session: Session, unapproved: tuple[Service, object]
) -> None:
    service, owner = unapproved
    sign_in_as(client, owner)  # type: ignore[arg-type]
    url = f"/provider/services/{service.id}/waits"
    assert post(client, url, wait_data(client, url)).status_code == 302
    per_therapy = wait_data(
        client, url, modality="counselling", assessment_weeks="", treatment_weeks="20"
    )
    assert post(client, url, per_therapy).status_code == 302
    refresh(service)
    waits = {w.modality: (w.assessment_weeks, w.treatment_weeks) for w in service.waits}
    assert waits == {None: (3, 10), "counselling": (None, 20)}
    assert {w.as_of for w in service.waits} == {date.today() - timedelta(days=3)}

    html = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    assert post(client, f"{url}/counselling/remove", {"version": version}).status_code == 302
    refresh(service)
    assert [w.modality for w in service.waits] == [None]


@pytest.mark.parametrize(
    ("changes", "anchor", "message"),
    [
        (
            {"assessment_weeks": "", "treatment_weeks": ""},
            "assessment_weeks",
            "Enter the weeks to first assessment, the weeks to start of therapy, or both",
        ),
        ({"treatment_weeks": "ten"}, "treatment_weeks", "must be a whole number"),
        (
            {"as_of-day": "", "as_of-month": "", "as_of-year": ""},
            "as_of-day",
            "Enter the date of these figures",
        ),
        ({"as_of-month": ""}, "as_of-day", "Date of these figures must include a month"),
        ({"as_of-day": "31", "as_of-month": "2"}, "as_of-day", "must be a real date"),
        ({"as_of-year": str(date.today().year + 1)}, "as_of-day", "must be today or in the past"),
        ({"modality": "emdr"}, "modality", "Not a valid choice"),  # not a therapy it offers
    ],
)
def test_wait_errors(
    client: FlaskClient, world: World, changes: dict[str, str], anchor: str, message: str
) -> None:
    sign_in_as(client, world.editor)
    url = f"/provider/services/{world.service.id}/waits"
    response = post(client, url, wait_data(client, url, **changes))
    html = response.get_data(as_text=True)
    assert "<title>Error: " in html
    assert re.search(rf'<a href="#{anchor}">\s*[^<]*{re.escape(message)}', html), html[:3000]


# -- one click: capacity and "still accurate" publish at once ---------------------------------


def test_capacity_publishes_at_once_and_keeps_a_pending_edit_valid(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    sign_in_as(client, world.editor)
    post(
        client,
        f"/provider/services/{world.service.id}/edit",
        service_form_data(world.service, name="Pending rename"),
    )
    response = post(
        client, f"/provider/services/{world.service.id}/capacity", {"capacity": "waitlist"}
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Capacity is now shown as: Waiting list" in page
    refresh(world.service)
    assert world.service.capacity == "waitlist"
    [request] = pending_for(db_session, world.service.id)
    assert request.base_version == world.service.version  # rebased: still approvable
    [revision] = [r for r in revisions_for(db_session, world.service.id) if r.action == "capacity"]
    assert (revision.before, revision.after) == (
        {"capacity": "accepting"},
        {"capacity": "waitlist"},
    )


def test_capacity_rejects_values_outside_the_vocabulary(client: FlaskClient, world: World) -> None:
    sign_in_as(client, world.editor)
    post(client, f"/provider/services/{world.service.id}/capacity", {"capacity": "full"})
    refresh(world.service)
    assert world.service.capacity == "accepting"


def test_still_accurate_confirms_today(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    world.service.last_verified_on = date.today() - timedelta(days=200)
    db_session.commit()
    sign_in_as(client, world.owner)
    response = post(client, f"/provider/services/{world.service.id}/verify")
    assert response.status_code == 302
    refresh(world.service)
    assert world.service.last_verified_on == date.today()
    assert world.service.last_verified_by_id == world.owner.id
    [revision] = [r for r in revisions_for(db_session, world.service.id) if r.action == "verify"]
    assert revision.after == {"last_verified_on": date.today().isoformat()}


def test_still_accurate_is_refused_while_a_change_awaits_review(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    """The click vouches for the public listing; a pending correction says it is wrong."""
    stale = date.today() - timedelta(days=200)
    world.service.last_verified_on = stale
    db_session.commit()
    sign_in_as(client, world.owner)
    url = f"/provider/services/{world.service.id}/waits"
    assert "A moderator checks new waiting times before they are public" in client.get(url).text
    assert post(client, url, wait_data(client, url)).status_code == 302  # now pending
    page = client.get(f"/provider/services/{world.service.id}").text
    assert "Yes, this listing is still accurate" not in page
    response = post(client, f"/provider/services/{world.service.id}/verify")
    assert response.status_code == 302
    refresh(world.service)
    assert world.service.last_verified_on == stale
    follow = client.get(f"/provider/services/{world.service.id}").text
    assert "waiting for a moderator" in follow
    assert not [r for r in revisions_for(db_session, world.service.id) if r.action == "verify"]


def test_history_lists_each_change_with_who_and_what(client: FlaskClient, world: World) -> None:
    sign_in_as(client, world.editor)
    post(client, f"/provider/services/{world.service.id}/capacity", {"capacity": "closed"})
    post(
        client,
        f"/provider/services/{world.service.id}/edit",
        service_form_data(world.service, name="History rename"),
    )
    html = client.get(f"/provider/services/{world.service.id}/history").get_data(as_text=True)
    assert "Capacity changed" in html
    assert "Change sent for review" in html
    assert "editor@test.example" in html
    assert "History rename" in html and "Not taking new people" in html


def test_the_service_page_shows_pending_changes_and_reports(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    fx.add_report(db_session, world.service)
    sign_in_as(client, world.editor)
    post(
        client,
        f"/provider/services/{world.service.id}/edit",
        service_form_data(world.service, name="Shown after review"),
    )
    html = client.get(f"/provider/services/{world.service.id}").get_data(as_text=True)
    assert "Your latest changes are waiting for a moderator" in html
    assert "Shown after review" in html and "Public now" in html
    assert "Phone number is wrong" in html
    csrf_token_from(html)  # its buttons are real forms
