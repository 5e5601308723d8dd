"""No lost updates: two people editing one listing.

The second save is refused with a clear message and their input stays on the page, with
the current version shown beside it. Races that slip past the form's version check are
caught by the version columns (StaleDataError) and the one-pending-edit unique index.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from signpost import listings
from signpost.models import ChangeRequest, Service
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


def form_version(client: FlaskClient, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="version" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def pending(session: Session, entity_id: str) -> list[ChangeRequest]:
    return list(
        session.scalars(
            select(ChangeRequest).where(
                ChangeRequest.entity_id == entity_id, ChangeRequest.state == "pending"
            )
        )
    )


@pytest.fixture
def unapproved(app: Flask, db_session: Session) -> Iterator[tuple[Service, object, object]]:
    first = make_user(db_session, "first@test.example")
    second = make_user(db_session, "second@test.example")
    org = make_organization(
        db_session, "Pending Org", moderation="pending", members={first: "owner", second: "editor"}
    )
    service = make_service(db_session, org, "Shared listing")
    db_session.commit()
    with separate_requests(app):
        yield service, first, second


def test_the_second_of_two_saves_is_refused_and_keeps_their_input(
    app: Flask, db_session: Session, unapproved: tuple[Service, object, object]
) -> None:
    service, first, second = unapproved
    url = f"/provider/services/{service.id}/edit"
    alice, bob = app.test_client(), app.test_client()
    sign_in_as(alice, first)  # type: ignore[arg-type]
    sign_in_as(bob, second)  # type: ignore[arg-type]
    alice_version = form_version(alice, url)
    bob_version = form_version(bob, url)
    assert alice_version == bob_version

    saved = post(alice, url, service_form_data(service, name="Alice's name", version=alice_version))
    assert saved.status_code == 302

    refused = post(
        bob,
        url,
        service_form_data(
            service, name="Bob's name", description="Bob's description", version=bob_version
        ),
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "<title>Error: " in html
    assert "Someone else changed this listing while you were editing it" in html
    assert 'value="Bob&#39;s name"' in html  # Bob's input is still in the form
    assert "Bob&#39;s description" in html
    assert "Alice&#39;s name" in html  # and the current version is shown beside it
    refresh(service)
    assert service.name == "Alice's name"  # nothing was overwritten

    # Bob reviews, then saves again on purpose: now based on the current version.
    current = re.search(r'name="version" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    assert current != bob_version
    again = post(bob, url, service_form_data(service, name="Bob's name", version=current))
    assert again.status_code == 302
    refresh(service)
    assert service.name == "Bob's name"


def test_a_pending_edit_cannot_be_overwritten_by_a_stale_form(
    app: Flask, db_session: Session, world: World
) -> None:
    url = f"/provider/services/{world.service.id}/edit"
    editor, owner = app.test_client(), app.test_client()
    sign_in_as(editor, world.editor)
    sign_in_as(owner, world.owner)
    editor_version = form_version(editor, url)
    owner_version = form_version(owner, url)
    post(
        editor,
        url,
        service_form_data(world.service, name="Editor's proposal", version=editor_version),
    )
    refused = post(
        owner, url, service_form_data(world.service, name="Owner's proposal", version=owner_version)
    )
    assert refused.status_code == 409
    [request] = pending(db_session, world.service.id)
    assert request.payload["name"] == "Editor's proposal"


def test_removing_a_location_from_a_stale_page_is_refused(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    sign_in_as(client, world.editor)
    stale = form_version(client, f"/provider/services/{world.service.id}/locations")
    post(client, f"/provider/services/{world.service.id}/capacity", {"capacity": "closed"})
    location = world.service.locations[0]
    response = post(
        client,
        f"/provider/services/{world.service.id}/locations/{location.id}/remove",
        {"version": stale},
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Someone else changed this listing" in page
    assert not pending(db_session, world.service.id)


def test_a_race_past_the_form_check_is_caught_by_the_version_column(
    db_session: Session, unapproved: tuple[Service, object, object]
) -> None:
    service, first, _second = unapproved
    draft = listings.load_draft(db_session, first, service.id)  # type: ignore[arg-type]
    assert draft is not None
    token = draft.token
    content = {**draft.content, "name": "Raced"}
    # Someone else's save lands between our version check and our UPDATE.
    db_session.execute(
        update(Service).where(Service.id == service.id).values(version=Service.version + 1)
    )
    with pytest.raises(listings.EditConflict):
        listings.save_draft(db_session, first, draft, content, token, date.today())  # type: ignore[arg-type]
    db_session.expire_all()
    assert db_session.get(Service, service.id).name == "Shared listing"  # type: ignore[union-attr]


def test_a_race_to_update_a_pending_edit_is_caught(db_session: Session, world: World) -> None:
    draft = listings.load_draft(db_session, world.editor, world.service.id)
    assert draft is not None
    listings.save_draft(
        db_session, world.editor, draft, {**draft.content, "name": "One"}, draft.token, date.today()
    )
    draft = listings.load_draft(db_session, world.editor, world.service.id)
    assert draft is not None and draft.pending is not None
    token = draft.token
    db_session.execute(
        update(ChangeRequest)
        .where(ChangeRequest.id == draft.pending.id)
        .values(version=ChangeRequest.version + 1)
    )
    with pytest.raises(listings.EditConflict):
        listings.save_draft(
            db_session, world.owner, draft, {**draft.content, "name": "Two"}, token, date.today()
        )


def test_only_one_pending_edit_per_listing_even_in_a_race(
    db_session: Session, world: World
) -> None:
    # Both editors load the listing before either has saved: both see no pending edit.
    first = listings.load_draft(db_session, world.editor, world.service.id)
    assert first is not None
    first_token, first_content = first.token, first.content
    listings.save_draft(
        db_session, world.editor, first, {**first_content, "name": "A"}, first_token, date.today()
    )
    stale = listings.Draft(first.organization, first.service, None)  # what the other loaded
    with pytest.raises(listings.EditConflict):
        listings.save_draft(
            db_session,
            world.owner,
            stale,
            {**first_content, "name": "B"},
            stale.token,
            date.today(),
        )
    assert [r.payload["name"] for r in pending(db_session, world.service.id)] == ["A"]


def test_approving_an_edit_the_listing_has_moved_past_is_refused(
    db_session: Session, world: World
) -> None:
    draft = listings.load_draft(db_session, world.editor, world.service.id)
    assert draft is not None
    listings.save_draft(
        db_session,
        world.editor,
        draft,
        {**draft.content, "name": "Old base"},
        draft.token,
        date.today(),
    )
    [request] = pending(db_session, world.service.id)
    # Something outside the edit flow (an import, say) changes the listing meanwhile.
    world.service.description = "Changed by an import"
    db_session.commit()
    with pytest.raises(listings.ModerationError, match="has changed since"):
        listings.approve(db_session, world.moderator, request, date.today())
    db_session.expire_all()
    assert db_session.get(Service, world.service.id).name == "Test counselling service"  # type: ignore[union-attr]
