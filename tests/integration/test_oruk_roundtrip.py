"""export-oruk and import-oruk: round trip, update by id, refusal of bad files, paged feeds.

Imports go into a scratch database (migrated, vocabularies only) so they start from
nothing; exports come from the test database with the demo directory.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_migrate import upgrade
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import func, select
from werkzeug.serving import make_server

from signpost import create_app
from signpost.api.openapi import build_spec
from signpost.directory import versioning
from signpost.extensions import db
from signpost.models import Location, Organization, Revision, Service
from signpost.oruk import importer
from signpost.seeding import ensure_directory_version, seed_vocabularies

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "oruk"


def _app(uri: str, index: str) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": uri,
            "POSTCODE_INDEX": index,
            "SERVER_NAME": "localhost",
            "RATELIMIT_API": "1000000 per minute",
        }
    )


@pytest.fixture
def scratch(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """An empty directory: the real migrations and the vocabularies, nothing else."""
    scratch = _app(f"sqlite:///{tmp_path / 'scratch.sqlite'}", app.config["POSTCODE_INDEX"])
    with scratch.app_context():
        upgrade()
        seed_vocabularies(db.session)
        ensure_directory_version(db.session)
        db.session.commit()
        db.session.remove()
    yield scratch
    with scratch.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def exported(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export") / "services.json"
    result = app.test_cli_runner().invoke(args=["export-oruk", str(path)])
    assert result.exit_code == 0, result.output
    assert "Exported" in result.output
    return path


def run(target: Flask, *args: str) -> Any:
    return target.test_cli_runner().invoke(args=list(args))


def counts(target: Flask) -> dict[str, int]:
    with target.app_context():
        out = {
            model.__tablename__: db.session.execute(
                select(func.count()).select_from(model)
            ).scalar_one()
            for model in (Service, Organization, Location, Revision)
        }
        out["version"] = versioning.current(db.session)
        db.session.remove()
        return out


def export_text(target: Flask, path: Path) -> str:
    result = run(target, "export-oruk", str(path))
    assert result.exit_code == 0, result.output
    return path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- export


def test_export_is_every_published_service(
    app: Flask, runner: FlaskCliRunner, exported: Path
) -> None:
    records = json.loads(exported.read_text(encoding="utf-8"))
    with app.app_context():
        from signpost.oruk.export import public_service_ids

        assert [r["id"] for r in records] == public_service_ids(db.session)
    assert len(records) > 100
    stdout = runner.invoke(args=["export-oruk"])
    assert stdout.exit_code == 0
    assert json.loads(stdout.stdout) == records


def test_export_meets_the_published_schema(exported: Path) -> None:
    spec = build_spec("http://localhost/api/v1", 100)
    schema = {"$ref": "#/components/schemas/Service", "components": spec["components"]}
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    for record in json.loads(exported.read_text(encoding="utf-8")):
        errors = list(validator.iter_errors(record))
        assert not errors, (record["id"], errors[0].message)


# --------------------------------------------------------------------------- round trip


def test_round_trip_is_identical(scratch: Flask, exported: Path, tmp_path: Path) -> None:
    before = counts(scratch)
    result = run(scratch, "import-oruk", str(exported))
    assert result.exit_code == 0, result.output
    n = len(json.loads(exported.read_text(encoding="utf-8")))
    assert f"{n} services ({n} new, 0 updated)" in result.output
    after = counts(scratch)
    assert after["services"] == n and after["revisions"] == n
    assert after["version"] == before["version"] + 1

    assert export_text(scratch, tmp_path / "again.json") == exported.read_text(encoding="utf-8")

    # Importing the same file again updates every record by id and duplicates nothing.
    result = run(scratch, "import-oruk", str(exported))
    assert result.exit_code == 0, result.output
    assert f"{n} services (0 new, {n} updated)" in result.output
    assert counts(scratch) | {"revisions": 0, "version": 0} == after | {
        "revisions": 0, "version": 0,
    }  # fmt: skip
    assert export_text(scratch, tmp_path / "third.json") == exported.read_text(encoding="utf-8")


def test_reimport_updates_by_id(scratch: Flask, exported: Path, tmp_path: Path) -> None:
    records = json.loads(exported.read_text(encoding="utf-8"))[:20]
    first = tmp_path / "first.json"
    first.write_text(json.dumps(records), encoding="utf-8")
    assert run(scratch, "import-oruk", str(first)).exit_code == 0

    changed = copy.deepcopy(records)
    changed[0]["name"] = "Renamed service"
    changed[0]["x_capacity"] = "closed"
    changed[0]["attributes"] = [
        a for a in changed[0]["attributes"] if a["link_type"] != "modality"
    ] + [{"taxonomy_term": {"taxonomy": "signpost-modalities", "term": "emdr"}}]
    changed[0].pop("service_at_locations", None)
    second = tmp_path / "second.json"
    second.write_text(json.dumps(changed), encoding="utf-8")
    result = run(scratch, "import-oruk", str(second))
    assert result.exit_code == 0, result.output
    assert counts(scratch)["services"] == 20
    with scratch.app_context():
        service = db.session.get(Service, records[0]["id"])
        assert service.name == "Renamed service"
        assert service.capacity == "closed"
        assert service.modalities == ["emdr"]
        assert service.service_locations == []
        assert service.demo == records[0]["x_demo"]
        db.session.remove()


def test_imported_services_are_real_unless_flagged(scratch: Flask) -> None:
    result = run(scratch, "import-oruk", str(FIXTURES / "external_services.json"))
    assert result.exit_code == 0, result.output
    assert "esd-service-types" in result.output  # the foreign term: a warning, not a refusal
    client = scratch.test_client()
    first, second = json.loads((FIXTURES / "external_services.json").read_text("utf-8"))
    data = client.get(f"/api/v1/services/{first['id']}").get_json()
    assert data["x_demo"] is False and data["organization"]["x_demo"] is False
    assert data["name"] == first["name"]
    assert data["x_cost"] == {"type": "sliding-scale", "min_gbp": 10, "max_gbp": 35}
    location = data["service_at_locations"][0]["location"]
    assert location["addresses"][0]["postal_code"] == "LS1 4AP"
    assert 53 < location["latitude"] < 54  # found from the postcode
    assert {a["taxonomy_term"]["term"] for a in data["attributes"]} >= {
        "counselling", "depression", "anxiety", "in-person", "self-referral", "18+",
    }  # fmt: skip
    flagged = client.get(f"/api/v1/services/{second['id']}").get_json()
    assert flagged["x_demo"] is True and flagged["x_capacity"] == "waitlist"


# --------------------------------------------------------------------------- refusals


def test_bad_file_is_refused_with_record_and_field(scratch: Flask) -> None:
    before = counts(scratch)
    result = run(scratch, "import-oruk", str(FIXTURES / "bad_services.json"))
    assert result.exit_code == 1
    output = result.output
    assert "Nothing was imported" in output
    assert 'record 1 (id b980ecb9-038c-5008-8017-9718f4059c61, "Riverside low-cost ' in output
    assert "maximum_age: 20 is below minimum_age 30" in output
    assert "unknown taxonomy term 'hypnotherapy' in signpost-modalities" in output
    # Record 2's id "not-a-uuid" is a source's own id: mapped to a stable UUID, not refused.
    assert "record 2" not in output
    assert "record 3" in output and "x_waits[0].as_of: 'yesterday' is not a date" in output
    assert counts(scratch) == before


def test_a_late_problem_undoes_earlier_chunks(
    scratch: Flask, exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "CHUNK", 5)  # so several chunks are written first
    records = json.loads(exported.read_text(encoding="utf-8"))[:30]
    records[-1]["x_capacity"] = "full"
    path = tmp_path / "late.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    before = counts(scratch)
    result = run(scratch, "import-oruk", str(path))
    assert result.exit_code == 1
    assert "record 30" in result.output and "x_capacity: 'full'" in result.output
    assert counts(scratch) == before


def test_duplicate_ids_in_one_file(scratch: Flask, exported: Path, tmp_path: Path) -> None:
    record = json.loads(exported.read_text(encoding="utf-8"))[0]
    path = tmp_path / "twice.json"
    path.write_text(json.dumps([record, record]), encoding="utf-8")
    result = run(scratch, "import-oruk", str(path))
    assert result.exit_code == 1
    assert "record 2" in result.output and "service id already used by record 1" in result.output
    assert counts(scratch)["services"] == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "has no services"),
        ("{broken", "bad JSON"),
        ("[{}, ", "bad JSON"),
    ],
)
def test_unreadable_files(scratch: Flask, tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    result = run(scratch, "import-oruk", str(path))
    assert result.exit_code == 1 and message in result.output


def test_missing_sector_stays_not_stated(scratch: Flask, tmp_path: Path) -> None:
    records = json.loads((FIXTURES / "external_services.json").read_text("utf-8"))
    for record in records:
        record["organization"]["attributes"] = []
    path = tmp_path / "nosector.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    imported = run(scratch, "import-oruk", str(path))
    assert imported.exit_code == 0, imported.output
    with scratch.app_context():
        sectors = set(db.session.execute(db.select(Organization.sector)).scalars())
    assert sectors == {None}  # an NHS trust is never guessed to be a charity
    defaulted = run(scratch, "import-oruk", str(path), "--default-sector", "charity")
    assert defaulted.exit_code == 0, defaulted.output
    with scratch.app_context():
        sectors = set(db.session.execute(db.select(Organization.sector)).scalars())
    assert sectors == {"charity"}


def test_dry_run_writes_nothing(scratch: Flask) -> None:
    before = counts(scratch)
    result = run(scratch, "import-oruk", str(FIXTURES / "external_services.json"), "--dry-run")
    assert result.exit_code == 0 and "dry run" in result.output
    assert "2 services (2 new, 0 updated)" in result.output
    assert counts(scratch) == before


# --------------------------------------------------------------------------- feeds over HTTP


class Server:
    """A real HTTP server on 127.0.0.1 for the duration of a test."""

    def __init__(self, wsgi_app: Any) -> None:
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_port}"

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def test_import_walks_our_own_paged_api(
    app: Flask, scratch: Flask, exported: Path, tmp_path: Path
) -> None:
    # The test database's API, served by its own app over real HTTP, paged 100 at a time:
    # list items are summaries, so every service is fetched again from /services/{id}.
    served = _app(app.config["SQLALCHEMY_DATABASE_URI"], app.config["POSTCODE_INDEX"])
    served.config["SERVER_NAME"] = None
    try:
        with Server(served) as base:
            result = run(scratch, "import-oruk", f"{base}/api/v1")
    finally:
        with served.app_context():
            db.engine.dispose()
    assert result.exit_code == 0, result.output
    assert export_text(scratch, tmp_path / "fed.json") == exported.read_text(encoding="utf-8")


def _static_feed(records: list[dict[str, Any]], per_page_cap: int = 2) -> Any:
    """A minimal third-party ORUK API: paged summaries plus full records by id."""
    by_id = {r["id"]: r for r in records}

    def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        from urllib.parse import parse_qs

        path = environ["PATH_INFO"]
        query = parse_qs(environ.get("QUERY_STRING", ""))
        status, body = "200 OK", None
        if path == "/oruk/services":
            page = int(query.get("page", ["1"])[0])
            size = min(int(query.get("per_page", ["10"])[0]), per_page_cap)
            items = records[(page - 1) * size : page * size]
            pages = -(-len(records) // size)
            body = {
                "total_items": len(records), "total_pages": pages, "page_number": page,
                "size": len(items), "first_page": page == 1, "last_page": page >= pages,
                "empty": not items,
                "contents": [{"id": r["id"], "name": r["name"], "status": r["status"]}
                             for r in items],
            }  # fmt: skip
        elif path.startswith("/oruk/services/") and path.rsplit("/", 1)[1] in by_id:
            body = by_id[path.rsplit("/", 1)[1]]
        elif path == "/file.json":
            body = records
        else:
            status, body = "404 Not Found", {"error": "not found"}
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json")])
        return [data]

    return wsgi


def test_import_walks_a_third_party_feed(scratch: Flask) -> None:
    records = json.loads((FIXTURES / "external_services.json").read_text("utf-8"))
    records = records + [
        {**copy.deepcopy(records[1]), "id": f"00000000-0000-4000-8000-00000000000{i}",
         "name": f"Extra service {i}"}
        for i in range(3)
    ]  # fmt: skip
    with Server(_static_feed(records)) as base:
        result = run(scratch, "import-oruk", f"{base}/oruk/services?per_page=2")
        assert result.exit_code == 0, result.output
        assert "5 services (5 new, 0 updated)" in result.output
        again = run(scratch, "import-oruk", f"{base}/file.json")
        assert again.exit_code == 0 and "5 services (0 new, 5 updated)" in again.output
        missing = run(scratch, "import-oruk", f"{base}/nothing-here")
        assert missing.exit_code == 1 and "HTTP 404" in missing.output
    assert counts(scratch)["services"] == 5


def test_unreachable_feed(scratch: Flask) -> None:
    with Server(_static_feed([])) as base:
        pass  # started and stopped: nothing listens there now
    result = run(scratch, "import-oruk", f"{base}/oruk/services")
    assert result.exit_code == 1 and "Nothing was imported" in result.output
