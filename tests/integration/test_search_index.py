"""The per-worker index notices changes: a listing edit shows in the next search."""

from __future__ import annotations

from flask import Flask
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


def test_a_slow_directory_is_rebuilt_in_the_background(app: Flask, client: FlaskClient) -> None:
    from signpost.directory.search_index import cache_for

    cache = cache_for(app)
    service_id = result_ids(client)[0]
    old = cache.get(db.session)
    cache.build_seconds = 30.0  # as if the directory were huge
    service = db.session.get(Service, service_id)
    assert service is not None
    service.capacity = "closed"
    db.session.commit()
    # The search that notices the change is answered from the previous index at once…
    assert cache.get(db.session) is old
    # …and once the background rebuild is done, searches see the change. (Called directly,
    # not over HTTP: in tests every thread shares one database connection.)
    cache.wait_for_rebuild()
    new = cache.get(db.session)
    assert new is not old
    assert new.records[new.row_of(service_id)].capacity == "closed"
    assert service_id not in result_ids(client)
