"""Harvesting published ORUK feeds: honest mapping, skip-and-report, retries, provenance,
incremental runs, withdrawal and resumption, against real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signpost.models import Organization, Revision, Service
from signpost.models.accounts import Membership, User
from signpost.oruk.feed import RetryPolicy
from signpost.oruk.harvest import Source, State, harvest_source
from signpost.oruk.importer import import_services
from signpost.oruk.serialise import service_full
from signpost.oruk.taxonomy import get_catalogue
from tests.integration.oruk_feeds import FeedServer, oruk1_service, oruk3_service


def _records(items: list[dict[str, Any]]) -> list[tuple[str, object]]:
    return [(f"record {i}", item) for i, item in enumerate(items, start=1)]


def _harvest(session: Session, name: str, url: str, tmp_path: Path, **kwargs: Any) -> Any:
    waits: list[float] = kwargs.pop("waits", [])
    retry = RetryPolicy(attempts=kwargs.pop("attempts", 6), sleep=waits.append)
    state = kwargs.pop("state", None) or State(tmp_path / "state.json")
    return harvest_source(session, Source(name, url, per_page=kwargs.pop("per_page", 10)),
                          state=state, retry=retry, **kwargs)  # fmt: skip


def _service(session: Session, source: str, source_id: str) -> Service:
    return session.execute(
        select(Service).where(Service.source_name == source,
                              Service.source_record_id == source_id)
    ).scalar_one()  # fmt: skip


# --------------------------------------------------------------------------- mapping


def test_oruk_1_feed_is_recognised_and_mapped_honestly(db_session: Session, tmp_path: Path) -> None:
    feed = [oruk1_service(n) for n in range(1, 4)]
    with FeedServer(feed, version="1.0") as url:
        result = _harvest(db_session, "Bristol Example Directory", url, tmp_path)
    assert result.error is None and result.version == "1.0"
    assert result.summary.counts()["new"] == 3
    service = _service(db_session, "Bristol Example Directory", "1001")
    assert service.minimum_age == 18 and service.maximum_age is None  # -1: no limit stated
    assert service.cost_type is None and service.capacity is None  # not stated, not invented
    assert service.organization.sector is None
    assert service.phone == "0117 496 0123"  # from contacts[].phones
    assert service.website == "https://www.talkingspace1.example.org"
    assert service.organization.website == "https://talkingspace.example.org"
    assert service.opening_times == "Monday 09:00 to 17:00"
    assert service.area_description == "Bristol"
    assert service.last_verified_on is None  # the empty assured_date
    assert "<" not in service.description and "alert" not in service.description
    assert service.description.startswith("Free counselling for adults with anxiety & low mood.")
    (location,) = service.locations
    assert location.postcode == "BS1 4DJ" and location.latitude == pytest.approx(51.4545)
    entry = result.summary.records[0].as_json()
    assert entry["oruk_version"] == "1.0"
    assert any("HTML converted" in note for note in entry["normalised"])
    assert any("-1 means no limit" in note for note in entry["normalised"])
    assert entry["classification"]["class"] == "therapy"
    assert entry["classification"]["modalities"]["counselling"] == ["counselling"]


def test_oruk_3_feed_with_a_broken_record_imports_the_rest(
    db_session: Session, tmp_path: Path
) -> None:
    feed = [oruk3_service(n) for n in range(1, 5)]
    feed[2] = {**feed[2], "name": ""}  # unusable: a service needs a name
    feed[3]["minimum_age"], feed[3]["maximum_age"] = 30, 12  # contradictory: reported
    with FeedServer(feed) as url:
        result = _harvest(db_session, "Example City Council", url, tmp_path)
    counts = result.summary.counts()
    assert (counts["new"], counts["skipped"]) == (2, 2)
    skipped = [r.as_json() for r in result.summary.records if r.outcome == "skipped"]
    assert any("name" in reason for reason in skipped[0]["reasons"])
    assert any("maximum_age: 12 is below minimum_age 30" in r for r in skipped[1]["reasons"])
    service = _service(db_session, "Example City Council", feed[0]["id"])
    assert service.minimum_age is None and service.maximum_age is None
    assert service.opening_times == "Tuesday, Thursday 10:00 to 16:00"
    assert service.area_description == "Example City and surrounding area"
    assert service.import_review == "pending"


def test_a_1000_service_feed_with_one_broken_record_imports_999(db_session: Session) -> None:
    feed = [oruk3_service(n) for n in range(1, 1001)]
    feed[500]["service_at_locations"] = "not a list"
    feed[700]["name"] = 7  # wrong type: still usable, as the text "7"
    feed[900]["status"] = {"nested": True}
    del feed[600]["name"]
    summary = import_services(db_session, _records(feed), skip_bad=True)
    assert summary.counts()["new"] == 999 and summary.counts()["skipped"] == 1
    (skipped,) = [r for r in summary.records if r.outcome == "skipped"]
    assert skipped.source_id == feed[600]["id"] and "'name' is required" in skipped.reasons[0]


def test_imported_listing_is_not_republished_with_invented_facts(db_session: Session) -> None:
    import_services(db_session, _records([oruk3_service(1)]), skip_bad=True)
    service = db_session.get(Service, oruk3_service(1)["id"])
    service.source_name = "Example City Council"  # a harvested listing
    out = service_full(service, get_catalogue())
    assert "x_cost" not in out and "cost_options" not in out and "x_capacity" not in out
    assert "minimum_age" not in out and "maximum_age" not in out
    groups = [a for a in out.get("attributes", []) if "client" in json.dumps(a)]
    assert groups == []  # no age band claimed: "all ages" was never said


# --------------------------------------------------------------------------- pages


def test_service_page_escapes_html_and_says_not_stated(
    db_session: Session, client: FlaskClient, tmp_path: Path
) -> None:
    feed = [oruk3_service(1)]
    feed[0]["name"] = "Wellbeing <b>counselling</b>"
    with FeedServer(feed) as url:
        _harvest(db_session, "Example City Council", url, tmp_path)
    service = _service(db_session, "Example City Council", feed[0]["id"])
    assert service.name == "Wellbeing counselling"  # tags in text fields are stripped
    assert client.get(f"/services/{service.id}").status_code == 404  # not yet confirmed
    service.import_review, service.import_class = "confirmed", "therapy"
    service.how_to_refer = "Call us <script>alert(2)</script>"  # however text gets in
    db_session.commit()
    page = client.get(f"/services/{service.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "<strong>counselling" not in page
    assert "&lt;script&gt;alert(2)" in page
    assert "javascript:alert" not in page
    assert "Not stated: check with the service" in page
    assert "From Example City Council's directory, last updated" in page
    assert "Tuesday, Thursday 10:00 to 16:00" in page


# --------------------------------------------------------------------------- HTTP


def test_429s_are_retried_honouring_retry_after(db_session: Session, tmp_path: Path) -> None:
    feed = [oruk3_service(n) for n in range(1, 26)]
    waits: list[float] = []
    with FeedServer(feed, throttle=2, retry_after="3") as url:
        result = _harvest(db_session, "Throttled Council", url, tmp_path, waits=waits, per_page=5)
    assert result.error is None, result.error
    assert result.summary.counts()["new"] == 25
    assert waits and set(waits) == {3.0}  # the server's Retry-After, each time


def test_a_server_that_keeps_failing_stops_with_a_message(
    db_session: Session, tmp_path: Path
) -> None:
    waits: list[float] = []
    server = FeedServer([oruk3_service(1)])
    server.fail_pages = {1}
    with server as url:
        result = _harvest(db_session, "Broken Council", url, tmp_path, waits=waits, attempts=4)
    assert result.error is not None and "HTTP 500" in result.error
    assert waits == [1.0, 2.0, 4.0]  # exponential backoff between the four attempts


def test_harvest_twice_changes_nothing_the_second_time(db_session: Session, tmp_path: Path) -> None:
    feed = [oruk3_service(n) for n in range(1, 16)]
    with FeedServer(feed) as url:
        first = _harvest(db_session, "Twice Council", url, tmp_path, per_page=4)
        rows = lambda: sorted(  # noqa: E731
            db_session.execute(
                select(Service.id, Service.version, Service.status, Service.description)
                .where(Service.source_name == "Twice Council")
            ).all()
        )  # fmt: skip
        before = rows()
        revisions = db_session.execute(select(func.count()).select_from(Revision)).scalar_one()
        second = _harvest(db_session, "Twice Council", url, tmp_path, per_page=4)
    assert first.summary.counts()["new"] == 15
    assert second.summary.counts() == {"new": 0, "changed": 0, "unchanged": 15, "kept": 0,
                                       "withdrawn": 0, "skipped": 0}  # fmt: skip
    assert rows() == before
    assert db_session.execute(select(func.count()).select_from(Revision)).scalar_one() == revisions


def test_withdrawn_at_source_is_withdrawn_here_and_can_return(
    db_session: Session, tmp_path: Path
) -> None:
    feed = [oruk3_service(n) for n in range(1, 6)]
    with FeedServer(feed) as url:
        _harvest(db_session, "Withdrawing Council", url, tmp_path)
    with FeedServer(feed[:4]) as url:
        result = _harvest(db_session, "Withdrawing Council", url, tmp_path)
    assert result.summary.counts()["withdrawn"] == 1
    gone = db_session.get(Service, feed[4]["id"])
    assert gone.status == "inactive"
    assert db_session.get(Service, feed[0]["id"]).status == "active"
    with FeedServer(feed) as url:
        back = _harvest(db_session, "Withdrawing Council", url, tmp_path)
    assert back.summary.counts()["changed"] == 1
    assert db_session.get(Service, feed[4]["id"]).status == "active"


def test_an_interrupted_harvest_resumes_and_withdraws_nothing_wrongly(
    db_session: Session, tmp_path: Path
) -> None:
    feed = [oruk3_service(n) for n in range(1, 31)]
    state = State(tmp_path / "state.json")
    server = FeedServer(feed)
    server.fail_pages = {3}  # the source goes down after two batches
    with server as url:
        first = harvest_source(db_session, Source("Resuming Council", url, per_page=5),
                               state=state, retry=RetryPolicy(attempts=1),
                               batch_pages=2)  # fmt: skip
        assert first.error is not None
        assert state.get("Resuming Council")[0] == 2  # pages 1-2 are safely in
        server.fail_pages = set()
        second = harvest_source(db_session, Source("Resuming Council", url, per_page=5),
                                state=State(tmp_path / "state.json"),
                                retry=RetryPolicy(attempts=1), batch_pages=2)  # fmt: skip
    assert second.error is None and second.resumed_from_page == 3
    assert second.summary.counts()["new"] == 20 and second.summary.counts()["withdrawn"] == 0
    assert State(tmp_path / "state.json").get("Resuming Council") is None
    total = db_session.execute(
        select(func.count()).select_from(Service)
        .where(Service.source_name == "Resuming Council", Service.status == "active")
    ).scalar_one()  # fmt: skip
    assert total == 30


def test_a_claimed_listing_keeps_its_organisations_edits(
    db_session: Session, tmp_path: Path
) -> None:
    feed = [oruk3_service(1)]
    with FeedServer(feed) as url:
        _harvest(db_session, "Claimed Council", url, tmp_path)
    service = db_session.get(Service, feed[0]["id"])
    user = User(email="editor@claimed.example.org", name="Editor", role="provider")
    db_session.add(user)
    db_session.flush()
    db_session.add(Membership(user_id=user.id, organization_id=service.organization_id))
    service.description = "Our own words."
    db_session.add(Revision(entity_type="service", entity_id=service.id, action="update",
                            organization_id=service.organization_id, user_id=user.id))  # fmt: skip
    db_session.commit()
    feed[0]["description"] = "The council's new words."
    with FeedServer(feed) as url:
        result = _harvest(db_session, "Claimed Council", url, tmp_path)
    assert result.summary.counts()["kept"] == 1
    assert db_session.get(Service, feed[0]["id"]).description == "Our own words."


# --------------------------------------------------------------------------- command


def test_harvest_command_with_sources_file_and_report(
    db_session: Session, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    feed_file = tmp_path / "one.json"
    feed_file.write_text(json.dumps([oruk1_service(1), {"id": "x"}]), encoding="utf-8")
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "- name: File Council\n  file: one.json\n  licence: OGL-UK-3.0\n"
        "  contact: data@example.org\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.json"
    args = ["harvest", str(sources), "--report", str(report), "--state", str(tmp_path / "s")]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "File Council (ORUK 1.0): 1 new" in result.output and "1 skipped" in result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    (source,) = data["sources"]
    assert source["counts"]["new"] == 1 and source["licence"] == "OGL-UK-3.0"
    assert [r["outcome"] for r in source["records"]] == ["new", "skipped"]
    assert source["records"][1]["reasons"] == ["(record): 'name' is required"]
    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 0 and "1 unchanged" in dry.output


def test_bad_sources_file_is_refused(runner: FlaskCliRunner, tmp_path: Path) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text("- name: No location\n", encoding="utf-8")
    result = runner.invoke(args=["harvest", str(sources)])
    assert result.exit_code == 1
    assert "Harvest refused" in result.output and "give a url or a file" in result.output


def test_unconfirmed_imports_stay_out_of_search(app: Flask, db_session: Session) -> None:
    import_services(db_session, _records([oruk3_service(1)]), skip_bad=True)
    service = db_session.get(Service, oruk3_service(1)["id"])
    service.import_review, service.import_class = "pending", "therapy"
    db_session.commit()
    from signpost.directory.loading import load_records

    assert service.id not in {r.id for r in load_records(db_session)}
    service.import_review = "confirmed"
    db_session.commit()
    assert service.id in {r.id for r in load_records(db_session)}
    assert db_session.get(Organization, service.organization_id).sector is None


def test_api_age_and_sector_filters_skip_what_a_source_did_not_state(
    db_session: Session, client: FlaskClient, tmp_path: Path
) -> None:
    feed = [oruk3_service(1)]  # no ages (-1), no sector
    with FeedServer(feed) as url:
        _harvest(db_session, "Filter Council", url, tmp_path)
    service = _service(db_session, "Filter Council", feed[0]["id"])
    service.import_review, service.import_class = "confirmed", "therapy"
    db_session.commit()
    from signpost.oruk import taxonomy as tx

    cat = get_catalogue()
    band = cat.taxonomy_by_key[tx.CLIENT_GROUPS].terms[0]
    query = {"search": "Wellbeing counselling 1"}
    listed = client.get("/api/v1/services", query_string=query).get_json()
    assert service.id in {s["id"] for s in listed["contents"]}
    for term_id in (band.id, cat.term(tx.SECTORS, "charity").id):
        found = client.get(
            "/api/v1/services", query_string={**query, "taxonomy_term_id": term_id}
        ).get_json()
        assert service.id not in {s["id"] for s in found["contents"]}


def test_a_sector_set_here_is_not_cleared_by_a_source_that_states_none(
    db_session: Session, tmp_path: Path
) -> None:
    feed = [oruk3_service(1)]
    feed[0]["description"] = "First words."
    with FeedServer(feed) as url:
        _harvest(db_session, "Sector Council", url, tmp_path)
    service = db_session.get(Service, feed[0]["id"])
    organization = db_session.get(Organization, service.organization_id)
    assert organization.sector is None
    organization.sector = "nhs"  # a moderator knows better
    db_session.commit()
    feed[0]["description"] = "New words."
    with FeedServer(feed) as url:
        result = _harvest(db_session, "Sector Council", url, tmp_path)
    assert result.summary.counts()["changed"] == 1
    db_session.expire_all()
    assert db_session.get(Organization, service.organization_id).sector == "nhs"
