"""csv-template and import-csv: a spreadsheet way in for charities with many services."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signpost.directory import versioning
from signpost.models import Organization, Service
from signpost.oruk.csv_io import COLUMN_NAMES
from signpost.oruk.taxonomy import make_id

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "oruk"
NORTHGATE = make_id("csv", "organization", "northgate counselling trust")


@pytest.fixture(autouse=True)
def _generous_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "RATELIMIT_API", "100000 per minute")


def services_of(session: Session, organization_id: str) -> list[Service]:
    return list(
        session.execute(
            select(Service).where(Service.organization_id == organization_id).order_by(Service.name)
        ).scalars()
    )


def test_template_to_stdout(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["csv-template"])
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows == [list(COLUMN_NAMES)]


def test_template_example_row_imports(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "template.csv"
    result = runner.invoke(args=["csv-template", str(path), "--example"])
    assert result.exit_code == 0 and "service_name:" in result.output  # the column guide
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == 1 and rows[0]["service_name"]
    imported = runner.invoke(args=["import-csv", str(path)])
    assert imported.exit_code == 0, imported.output
    assert "1 services (1 new, 0 updated)" in imported.output


def test_import_a_charity_sheet(
    runner: FlaskCliRunner, db_session: Session, client: object
) -> None:
    version = versioning.current(db_session)
    result = runner.invoke(args=["import-csv", str(FIXTURES / "charity_services.csv")])
    assert result.exit_code == 0, result.output
    assert "2 services (2 new, 0 updated)" in result.output
    assert versioning.current(db_session) == version + 1

    org = db_session.get(Organization, NORTHGATE)
    assert org is not None and org.sector == "charity" and org.charity_number == "1188888"
    assert org.moderation == "approved" and org.demo is False
    adult, groups = services_of(db_session, NORTHGATE)
    assert adult.name == "Adult counselling"
    assert adult.modalities == ["counselling", "psychodynamic"]
    assert adult.needs == ["anxiety", "bereavement", "depression"]
    assert (adult.cost_type, adult.cost_min_gbp, adult.cost_max_gbp) == ("sliding-scale", 15, 45)
    assert adult.capacity == "waitlist" and adult.languages == "English, Urdu"
    assert sorted(loc.postcode for loc in adult.locations) == ["BD1 1AA", "LS1 4AP"]
    assert sorted((a.kind, a.value) for a in adult.areas) == [
        ("postcode-area", "BD"), ("postcode-area", "LS"),
    ]  # fmt: skip
    (wait,) = adult.waits
    assert (wait.assessment_weeks, wait.treatment_weeks) == (2, 8)
    assert adult.last_verified_on.isoformat() == "2025-01-15"
    assert groups.catchment_national is True and groups.cost_type == "donation"
    assert groups.referral_routes == ["gp-referral", "self-referral"]
    assert groups.locations == []

    # The API publishes them at once.
    data = client.get(f"/api/v1/services/{adult.id}").get_json()  # type: ignore[attr-defined]
    assert data["organization"]["name"] == "Northgate Counselling Trust"

    again = runner.invoke(args=["import-csv", str(FIXTURES / "charity_services.csv")])
    assert again.exit_code == 0 and "2 services (0 new, 2 updated)" in again.output
    assert len(services_of(db_session, NORTHGATE)) == 2


def test_import_into_an_existing_organisation(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    org = db_session.execute(select(Organization).limit(1)).scalar_one()
    before = len(services_of(db_session, org.id))
    path = tmp_path / "mine.csv"
    path.write_text(
        "service_name,modalities,needs,delivery,minimum_age\n"
        "Evening counselling,counselling,depression,video,18\n"
        "Teen drop-in,counselling,child-emotional,in-person,11\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["import-csv", str(path), "--organization-id", org.id])
    assert result.exit_code == 0, result.output
    assert len(services_of(db_session, org.id)) == before + 2
    unknown = runner.invoke(args=["import-csv", str(path), "--organization-id", "nope"])
    assert unknown.exit_code == 1 and "no organisation has id nope" in unknown.output


def test_bad_sheet_names_row_and_column(runner: FlaskCliRunner, db_session: Session) -> None:
    count = db_session.execute(select(func.count(Service.id))).scalar_one()
    result = runner.invoke(args=["import-csv", str(FIXTURES / "bad_services.csv")])
    assert result.exit_code == 1
    out = result.output
    assert "Nothing was imported" in out
    assert "row 2 (\"First service\"): minimum_age: 'eighteen' is not a number" in out
    assert "row 3 (\"Second service\"): organization_sector: 'charity-ish' is not one of" in out
    assert "row 3 (\"Second service\"): modalities: unknown modality 'reiki'" in out
    assert "row 3 (\"Second service\"): postcode: 'ZZ99 ZZZ' is not a UK postcode" in out
    assert "row 3 (\"Second service\"): trainees_deliver: 'maybe' must be yes or no" in out
    assert db_session.execute(select(func.count(Service.id))).scalar_one() == count


def test_sheet_level_problems(runner: FlaskCliRunner, db_session: Session, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("service_name,colour\nA,blue\n", encoding="utf-8")
    result = runner.invoke(args=["import-csv", str(path)])
    assert result.exit_code == 1
    assert "unknown column(s): colour" in result.output
    assert "organization_name: column is missing" in result.output

    latin = tmp_path / "latin.csv"
    latin.write_bytes("service_name,organization_name\nCaf\xe9,X\n".encode("latin-1"))
    result = runner.invoke(args=["import-csv", str(latin)])
    assert result.exit_code == 1 and "save it as 'CSV UTF-8'" in result.output


def test_ages_are_checked_across_columns(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "ages.csv"
    path.write_text(
        "organization_name,organization_sector,service_name,minimum_age,maximum_age\n"
        "Age Check Charity,charity,Backwards ages,30,12\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["import-csv", str(path)])
    assert result.exit_code == 1
    assert "maximum_age: 12 is below minimum_age 30" in result.output
