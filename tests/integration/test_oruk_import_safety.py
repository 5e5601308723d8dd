"""Imports never take over another organisation's records, refuse malformed files with a
message (never a traceback), and keep spreadsheet formulas out of CSV both ways."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from signpost.models import Location, Service
from tests.integration.oruk_feeds import oruk3_service

OTHER_ORG = {"id": "9c9c9c9c-0000-4000-8000-00000000000c", "name": "Another Charity"}


def _write(tmp_path: Path, records: object, name: str = "feed.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def _with_location(n: int, location_id: str) -> dict[str, Any]:
    record = oruk3_service(n)
    record["service_at_locations"] = [
        {"id": f"5a1e0000-0000-4000-8000-{n:012d}", "location": {
            "id": location_id, "name": "Shared hall",
            "addresses": [{"address_1": "1 Example Street", "postal_code": "BS1 4DJ"}]}}
    ]  # fmt: skip
    return record


def test_a_clashing_location_id_does_not_take_over_another_organisations_location(
    db_session: Session, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    location_id = "10c10c10-0000-4000-8000-000000000001"
    first = runner.invoke(
        args=["import-oruk", str(_write(tmp_path, [_with_location(1, location_id)]))]
    )
    assert first.exit_code == 0, first.output
    intruder = _with_location(2, location_id)
    intruder["organization"] = OTHER_ORG
    intruder["service_at_locations"][0]["location"]["name"] = "Taken over"
    result = runner.invoke(args=["import-oruk", str(_write(tmp_path, [intruder], "b.json"))])
    assert result.exit_code == 1
    assert "Import refused" in result.output
    assert "a location of another organisation has this id" in result.output
    assert db_session.get(Location, location_id).name == "Shared hall"


def test_a_service_cannot_move_between_organisations_by_id(
    db_session: Session, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    record = oruk3_service(3)
    assert runner.invoke(args=["import-oruk", str(_write(tmp_path, [record]))]).exit_code == 0
    moved = {**copy.deepcopy(record), "organization": OTHER_ORG, "name": "Moved"}
    result = runner.invoke(args=["import-oruk", str(_write(tmp_path, [moved], "m.json"))])
    assert result.exit_code == 1 and "cannot move between organisations" in result.output
    service = db_session.get(Service, record["id"])
    assert service.name == "Wellbeing counselling 3"
    assert service.organization_id == record["organization"]["id"]
    skipped = runner.invoke(
        args=["import-oruk", str(_write(tmp_path, [moved], "m.json")), "--skip-bad"]
    )
    assert skipped.exit_code == 0 and "1 skipped" in skipped.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('[{"id": "00000000-0000-4000-8000-000000000001", "name": "Cut', "bad JSON"),
        ("[1, 2]", "a service must be a JSON object"),
        ('{"contents": 5}', "'id' is required"),
        ("", "bad JSON"),
        ('"a string"', "expected a list of services"),
    ],
)
def test_malformed_files_are_refused_with_a_message(
    runner: FlaskCliRunner, tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(args=["import-oruk", str(path)])
    assert result.exit_code == 1, result.output
    assert "Import refused" in result.output and expected in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("kind", ["nested", "binary"])
def test_a_50_mb_file_is_refused_with_a_message(
    runner: FlaskCliRunner, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "big.json"
    size = 50 * 1024 * 1024
    path.write_bytes(b"[" * size if kind == "nested" else b'["\xff\xfe' + b"\x00\xff" * (size // 2))
    result = runner.invoke(args=["import-oruk", str(path)])
    assert result.exit_code == 1
    assert "Import refused" in result.output
    assert isinstance(result.exception, SystemExit)


def test_duplicate_ids_are_refused(runner: FlaskCliRunner, tmp_path: Path) -> None:
    record = oruk3_service(4)
    result = runner.invoke(args=["import-oruk", str(_write(tmp_path, [record, record]))])
    assert result.exit_code == 1
    assert (
        "Import refused" in result.output and "service id already used by record 1" in result.output
    )


def test_csv_formula_cells_are_refused(
    db_session: Session, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "formula.csv"
    path.write_text(
        "organization_name,organization_sector,service_name,minimum_age,description\n"
        'Formula Charity,charity,"=HYPERLINK(""http://evil.example"",""Click"")",-1,ok\n'
        "Formula Charity,charity,Plain service,18,@SUM(1+1)\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["import-csv", str(path)])
    assert result.exit_code == 1
    assert "Import refused" in result.output
    assert "row 2: service_name: '=HYPERLINK" in result.output
    assert "looks like a spreadsheet formula" in result.output
    assert "row 3: description: '@SUM(1+1)'" in result.output
    assert "minimum_age" not in result.output.split("Import refused")[1].split("row 3")[0]


def test_csv_export_neutralises_formulas_and_reimports(
    db_session: Session, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    record = oruk3_service(5)
    record["name"] = "=cmd|' /C calc'!A0"
    record["description"] = "+44 line"
    assert runner.invoke(args=["import-oruk", str(_write(tmp_path, [record]))]).exit_code == 0
    out = tmp_path / "export.csv"
    result = runner.invoke(args=["export-csv", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as fp:
        rows = {row["service_id"]: row for row in csv.DictReader(fp)}
    row = rows[record["id"]]
    assert row["service_name"] == "'=cmd|' /C calc'!A0"
    assert row["description"] == "'+44 line"
    assert row["cost_type"] == "" and row["capacity"] == ""  # not stated stays empty
    for exported in rows.values():
        for value in exported.values():
            assert not (value or "").startswith(("=", "+", "@"))
