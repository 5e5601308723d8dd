"""Eligibility, intensity and protocols through the match API, ORUK and the CSV import."""

from __future__ import annotations

import csv
from pathlib import Path

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from signpost.models import Service
from signpost.oruk.csv_io import COLUMN_NAMES

MATCH = "/api/v1/match?location=LS1+1BA&need=depression&age=30&severity=more-severe&limit=100"


def _restricted(body: dict) -> list[dict]:
    return [r for r in body["results"] if r["service"].get("eligibility")]


def test_not_answered_restricted_services_come_after_open_ones_and_say_who_for(
    client: FlaskClient,
) -> None:
    body = client.get(MATCH).get_json()
    flags = [bool(r["service"].get("eligibility")) for r in body["results"]]
    assert True in flags, "the Leeds demo has restricted services for depression"
    assert flags == sorted(flags)
    for result in _restricted(body):
        assert result["service"]["only_for"].startswith("Only for ")
        assert result["reasons"][0]["code"] == "eligibility_only_for"
    assert "circumstance" not in body["query"]


def test_none_of_these_leaves_every_restricted_service_out(client: FlaskClient) -> None:
    body = client.get(MATCH + "&circumstance=none").get_json()
    assert body["results"] and not _restricted(body)
    assert body["query"]["circumstance"] == []


def test_saying_you_qualify_ranks_the_service_normally_and_says_why(client: FlaskClient) -> None:
    body = client.get(MATCH + "&circumstance=perinatal").get_json()
    restricted = _restricted(body)
    assert restricted and all(r["service"]["eligibility"] == ["perinatal"] for r in restricted)
    assert all(
        any(reason["code"] == "eligibility_met" for reason in r["reasons"]) for r in restricted
    )


def test_unknown_circumstance_is_a_400(client: FlaskClient) -> None:
    response = client.get(MATCH + "&circumstance=astronaut")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "unknown_circumstance"


def test_summary_gives_intensity_per_modality_and_protocols(client: FlaskClient) -> None:
    body = client.get(MATCH + "&circumstance=none").get_json()
    summaries = [r["service"] for r in body["results"]]
    for summary in summaries:
        assert set(summary["intensity"]) == set(summary["modalities"])
    courses = [s for s in summaries if "guided self-help and courses" in s["name"]]
    assert courses and courses[0]["intensity"]["cbt"] == "low"
    low = [r for r in body["results"] if "guided self-help and courses" in r["service"]["name"]]
    assert all(r.get("nice_status") is None for r in low)
    assert any("stpp" in s.get("protocols", []) for s in summaries)


def test_oruk_service_has_the_x_fields(client: FlaskClient, db_session: Session) -> None:
    perinatal = (
        db_session.execute(
            select(Service).where(Service.name.like("%Perinatal Mental Health Team"))
        )
        .scalars()
        .first()
    )
    assert perinatal is not None
    body = client.get(f"/api/v1/services/{perinatal.id}").get_json()
    assert body["x_eligibility"] == ["perinatal"]
    assert set(body["x_intensity"]) == set(perinatal.modalities)


def test_csv_import_reads_eligibility_protocols_and_low_intensity(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "sheet.csv"
    template = tmp_path / "template.csv"
    assert runner.invoke(args=["csv-template", str(template), "--example"]).exit_code == 0
    row = next(csv.DictReader(template.open(encoding="utf-8")))
    row.update(
        service_name="Example student eating support (test)",
        modalities="cbt; counselling; guided-self-help",
        eligibility="students",
        eligibility_note="Example College",
        protocols="cbt-ed",
        low_intensity="counselling",
    )
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(COLUMN_NAMES))
        writer.writeheader()
        writer.writerow(row)
    result = runner.invoke(args=["import-csv", str(path)])
    assert result.exit_code == 0, result.output
    service = db_session.execute(
        select(Service).where(Service.name == "Example student eating support (test)")
    ).scalar_one()
    assert service.eligibility_list == ["students"]
    assert service.eligibility_note == "Example College"
    assert service.protocol_list == ["cbt-ed"]
    assert service.low_intensity_modalities == ["counselling"]

    row.update(service_name="Example bad sheet (test)", eligibility="astronauts")
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(COLUMN_NAMES))
        writer.writeheader()
        writer.writerow(row)
    refused = runner.invoke(args=["import-csv", str(path)])
    assert refused.exit_code != 0 and "astronauts" in refused.output
