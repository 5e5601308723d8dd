"""The per-worker index notices changes: a listing edit shows in the next search."""

from __future__ import annotations

from flask.testing import FlaskClient

from signpost.directory import versioning
from signpost.extensions import db
from signpost.models import Service

QUERY = "/api/v1/match?location=LS1+1BA&need=depression&age=30&limit=100"


def result_ids(client: FlaskClient) -> list[str]:
    return [r["service"]["id"] for r in client.get(QUERY).get_json()["results"]]


def test_closing_a_service_removes_it_from_the_next_search(client: FlaskClient) -> None:
    before = result_ids(client)
    service = db.session.get(Service, before[0])
    assert service is not None
    version = versioning.current(db.session)
    service.capacity = "closed"
    db.session.commit()
    assert versioning.current(db.session) == version + 1  # bumped in the same transaction
    after = result_ids(client)
    assert before[0] not in after
    assert set(after) < set(before)


def test_unrelated_writes_do_not_rebuild(client: FlaskClient) -> None:
    from signpost.models import ProblemReport

    result_ids(client)
    version = versioning.current(db.session)
    db.session.add(ProblemReport(service_id=result_ids(client)[0], kind="other", details="x"))
    db.session.commit()
    assert versioning.current(db.session) == version
