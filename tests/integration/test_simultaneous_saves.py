"""Overlapping saves, for real: 200 threads post edit forms at the same moment.

Against an app on its own database (an SQLite file, or a PostgreSQL schema with
TEST_DATABASE_URL), so every request commits through its own connection. Saves to
different listings must all succeed; saves to one listing must give exactly one winner
and, to every loser, the 409 page with their own input still in the form. Never a 500 and
never the "directory unavailable" page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from signpost.auth import session_stamp
from signpost.extensions import db
from signpost.models import ChangeRequest, Revision, Service
from tests.integration.live_apps import all_at_once, form_fields, own_app, signed_in_client
from tests.integration.test_provider_fixtures import (
    make_organization,
    make_service,
    make_user,
    service_form_data,
)

SAVES = 200
ORGANISATIONS = 20


@pytest.fixture(scope="module")
def racing_app(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with own_app(tmp_path_factory.mktemp("saves"), app.config["POSTCODE_INDEX"]) as own:
        yield own


def _listings(app: Flask, moderations: list[str], per_org: int) -> list[tuple[str, int, str]]:
    """Listings (service id, owner id, owner's password hash) in new organisations."""
    made = []
    with app.app_context():
        session = db.session
        for n, moderation in enumerate(moderations):
            tag = f"{moderation}-{n}-{per_org}"
            owner = make_user(session, f"owner-{tag}@test.example")
            org = make_organization(
                session, f"Race {tag}", moderation=moderation, members={owner: "owner"}
            )
            for i in range(per_org):
                service = make_service(session, org, f"Listing {tag}-{i}")
                made.append((service.id, owner.id, session_stamp(owner)))
        session.commit()
        session.remove()
    return made


def _opened_form(
    app: Flask, service_id: str, user_id: int, stamp: str
) -> tuple[str, str, dict[str, object]]:
    """Open the edit form once: (session cookie, URL, the form as posted unchanged)."""
    client = signed_in_client(app, user_id, stamp)
    url = f"/provider/services/{service_id}/edit"
    page = client.get(url)
    assert page.status_code == 200
    token, version = form_fields(page.get_data(as_text=True))
    with app.app_context():
        service = db.session.get(Service, service_id)
        assert service is not None
        data = service_form_data(service, version=version)
        db.session.remove()
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value, url, {**data, "csrf_token": token}


def _tab(app: Flask, cookie: str) -> FlaskClient:
    """Another browser tab of the same signed-in session (the form was opened in each)."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client


def _post(client: FlaskClient, url: str, data: dict[str, object]):
    return lambda: client.post(url, data=data)


def _statuses(responses: list[TestResponse]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def test_simultaneous_saves_to_different_listings_all_succeed(racing_app: Flask) -> None:
    # Half the organisations are approved (the save becomes a change request for review),
    # half still pending (the save changes the listing row at once).
    half = ORGANISATIONS // 2
    listings = _listings(racing_app, ["approved"] * half + ["pending"] * half, SAVES // 20)
    assert len(listings) == SAVES
    prepared = []
    for n, (sid, uid, pw) in enumerate(listings):
        cookie, url, form = _opened_form(racing_app, sid, uid, pw)
        prepared.append((_tab(racing_app, cookie), url, {**form, "name": f"Saved at once {n}"}))
    with racing_app.app_context():
        revisions_before = db.session.scalar(select(func.count()).select_from(Revision))
        db.session.remove()

    responses = all_at_once([_post(*p) for p in prepared])

    assert _statuses(responses) == {302: SAVES}, _statuses(responses)
    with racing_app.app_context():
        revisions_after = db.session.scalar(select(func.count()).select_from(Revision))
        for n, (service_id, _uid, _pw) in enumerate(listings):
            service = db.session.get(Service, service_id)
            assert service is not None
            if service.organization.moderation == "pending":
                assert service.name == f"Saved at once {n}"
            else:
                proposal = db.session.scalar(
                    select(ChangeRequest).where(
                        ChangeRequest.entity_id == service_id, ChangeRequest.state == "pending"
                    )
                )
                assert proposal is not None and proposal.payload["name"] == f"Saved at once {n}"
        db.session.remove()
    assert revisions_after == revisions_before + SAVES


@pytest.mark.parametrize("moderation", ["pending", "approved"])
def test_simultaneous_saves_to_one_listing_give_one_winner_and_409s(
    racing_app: Flask, moderation: str
) -> None:
    [(service_id, user_id, stamp)] = _listings(racing_app, [moderation], 1)
    cookie, url, form = _opened_form(racing_app, service_id, user_id, stamp)
    prepared = [
        (_tab(racing_app, cookie), url, {**form, "name": f"Editor {n} was here"})
        for n in range(SAVES)
    ]

    responses = all_at_once([_post(*p) for p in prepared])

    assert _statuses(responses) == {302: 1, 409: SAVES - 1}, _statuses(responses)
    [winner] = [n for n, r in enumerate(responses) if r.status_code == 302]
    for n, response in enumerate(responses):
        if n == winner:
            continue
        html = response.get_data(as_text=True)
        assert "Someone else changed this listing while you were editing it" in html
        assert f'value="Editor {n} was here"' in html, "the loser's input is kept"
    with racing_app.app_context():
        service = db.session.get(Service, service_id)
        assert service is not None
        if moderation == "pending":
            assert service.name == f"Editor {winner} was here"
        else:
            [proposal] = db.session.scalars(
                select(ChangeRequest).where(
                    ChangeRequest.entity_id == service_id, ChangeRequest.state == "pending"
                )
            ).all()
            assert proposal.payload["name"] == f"Editor {winner} was here"
        db.session.remove()
