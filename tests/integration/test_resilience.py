"""Faults with one cause each, made to happen on demand.

* A save that loses an optimistic-lock race (the row's version moved between loading and
  writing) is a conflict the person can act on, never a 500, whichever write it was.
* Error pages never read the database: a signed-in person gets the friendly page with the
  crisis lines while the database is away.
* A missing postcode index is a friendly 503, and ``/healthz`` reports every dependency.

The real-thread versions of these races and outages are in test_simultaneous_saves.py and
test_chaos.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from signpost import listings
from signpost.extensions import db
from signpost.geo.geocoder import Geocoder
from signpost.models import ChangeRequest, Service
from tests.integration import test_provider_fixtures as fx
from tests.integration.live_apps import has_crisis_lines
from tests.integration.test_errors import SEARCH, database_down
from tests.integration.test_provider_fixtures import (
    World,
    add_report,
    make_organization,
    make_service,
    make_user,
    post,
    sign_in_as,
)

world = fx.world


def someone_else_saved(session: Session, service: Service) -> None:
    """Another request's save lands: the row's version moves, this session's copy does not."""
    session.execute(
        update(Service)
        .where(Service.id == service.id)
        .values(version=Service.version + 1)
        .execution_options(synchronize_session=False)
    )


# -- every optimistic-lock failure is a conflict -------------------------------------------------


def test_an_edit_to_a_listing_of_a_pending_organisation_that_lost_a_race(
    db_session: Session,
) -> None:
    owner = make_user(db_session, "pending-owner@test.example")
    org = make_organization(db_session, "Pending", moderation="pending", members={owner: "owner"})
    service = make_service(db_session, org, "Not yet public")
    db_session.commit()
    draft = listings.load_draft(db_session, owner, service.id)
    assert draft is not None and not draft.needs_review
    token = draft.token
    someone_else_saved(db_session, service)
    with pytest.raises(listings.EditConflict):
        listings.save_draft(
            db_session, owner, draft, {**draft.content, "name": "Late"}, token, date.today()
        )


def test_a_capacity_click_that_lost_a_race_with_an_edit(db_session: Session, world: World) -> None:
    someone_else_saved(db_session, world.service)
    with pytest.raises(listings.EditConflict):
        listings.set_capacity(db_session, world.editor, world.service, "closed")


def test_a_still_accurate_click_that_lost_a_race(db_session: Session, world: World) -> None:
    someone_else_saved(db_session, world.service)
    with pytest.raises(listings.EditConflict):
        listings.confirm_accurate(db_session, world.editor, world.service, date.today())


def test_an_approval_that_lost_a_race_with_a_capacity_click(
    db_session: Session, world: World
) -> None:
    draft = listings.load_draft(db_session, world.editor, world.service.id)
    assert draft is not None and draft.needs_review
    listings.save_draft(
        db_session,
        world.editor,
        draft,
        {**draft.content, "name": "Proposed"},
        draft.token,
        date.today(),
    )
    request = db_session.scalars(
        select(ChangeRequest).where(ChangeRequest.entity_id == world.service.id)
    ).one()
    someone_else_saved(db_session, world.service)
    with pytest.raises(listings.ModerationError, match="while you were reviewing"):
        listings.approve(db_session, world.moderator, request, date.today())


def test_a_lost_race_no_view_expected_is_a_409_page_not_a_500(
    client: FlaskClient,
    db_session: Session,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = add_report(db_session, world.service)

    def lost_race(*_args: Any, **_kwargs: Any) -> None:
        raise StaleDataError("UPDATE statement on table 'problem_reports' matched 0 rows")

    monkeypatch.setattr(listings, "resolve_report", lost_race)
    sign_in_as(client, world.editor)
    response = post(client, f"/provider/reports/{report.id}/resolve")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this while you were working on it" in html
    assert has_crisis_lines(html)


# -- error pages never read the database ---------------------------------------------------------


@pytest.fixture
def signed_in_reader(app: Flask) -> FlaskClient:
    """A client whose session names a signed-in user: loading them needs the database."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1"
        session["_fresh"] = True
    return client


@pytest.mark.parametrize(
    ("url", "status"),
    [("/provider", 503), (f"/search?{SEARCH}", 503), ("/no-such-page", 404)],
)
def test_a_signed_in_person_gets_the_friendly_page_while_the_database_is_away(
    app: Flask, signed_in_reader: FlaskClient, url: str, status: int
) -> None:
    with database_down(app):
        response = signed_in_reader.get(url)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert "Internal Server Error" not in html
    assert "<h1" in html and "Signpost" in html  # the designed page, not the last resort
    assert has_crisis_lines(html)


def test_the_error_page_does_not_reload_a_user_the_failed_request_had_loaded(
    app: Flask,
    client: FlaskClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The user is loaded, then the database dies mid-request: the rollback expires the
    # user, and the 503 page must not query to show them.
    from signpost.provider import listing_pages

    sign_in_as(client, world.owner)
    attempted: list[str] = []
    with app.app_context():
        engine = db.engine
    dead = engine.dialect.loaded_dbapi.OperationalError
    down: list[bool] = []

    def fail(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Rollbacks pass: the test's own rolled-back transaction must survive this.
        if down and not statement.lstrip().upper().startswith("ROLLBACK"):
            attempted.append(statement)
            raise dead("server closed the connection unexpectedly")

    real = listing_pages.listings.user_organizations

    def dies_midway(session: Session, user: Any) -> Any:
        down.append(True)
        return real(session, user)

    monkeypatch.setattr(listing_pages.listings, "user_organizations", dies_midway)
    event.listen(engine, "before_cursor_execute", fail)
    try:
        response = client.get("/provider")
    finally:
        event.remove(engine, "before_cursor_execute", fail)
    assert response.status_code == 503
    assert has_crisis_lines(response.get_data(as_text=True))
    assert len(attempted) == 1, attempted  # the view's query, and nothing from the error path


# -- the postcode index, and /healthz ------------------------------------------------------------


@pytest.fixture
def no_postcode_index(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        app.extensions, "signpost.geocoder", Geocoder("/nonexistent/postcodes.sqlite")
    )


@pytest.mark.parametrize("url", [f"/search?{SEARCH}", f"/gp?{SEARCH}"])
def test_a_missing_postcode_index_is_the_friendly_503(
    app: Flask, no_postcode_index: None, url: str
) -> None:
    response = app.test_client().get(url)
    assert response.status_code == 503
    assert response.headers.get("Retry-After", "").isdigit()
    html = response.get_data(as_text=True)
    assert "unavailable" in html and has_crisis_lines(html)


def test_a_missing_postcode_index_is_an_api_503(app: Flask, no_postcode_index: None) -> None:
    response = app.test_client().get(f"/api/v1/match?{SEARCH}")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "geocoder_unavailable"
    assert response.headers.get("Retry-After", "").isdigit()


def test_healthz_reports_every_dependency(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "postcode_index": "ok", "rate_limit_store": "ok"}


def test_healthz_fails_when_the_postcode_index_is_missing(
    app: Flask, no_postcode_index: None
) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["postcode_index"] == "unavailable"
    assert body["checks"]["database"] == "ok"
