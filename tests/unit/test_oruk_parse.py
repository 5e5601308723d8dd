"""Checking one ORUK record: every problem names the field, nothing needs a database."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from signpost.oruk import taxonomy as tx
from signpost.oruk.importer import parse_service

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "oruk"


def _external() -> list[dict[str, Any]]:
    return json.loads((FIXTURES / "external_services.json").read_text(encoding="utf-8"))


def _parse(record: object, **kwargs: Any) -> tuple[Any, list[str], list[str]]:
    parsed, problems, warnings = parse_service("record 1", record, tx.get_catalogue(), **kwargs)
    return parsed, [f"{p.field}: {p.message}" for p in problems], warnings


def test_external_record_maps_to_rows() -> None:
    parsed, problems, warnings = _parse(
        _external()[0], geocode=lambda pc: (53.7996, -1.5491) if pc == "LS1 4AP" else None
    )
    assert problems == []
    assert parsed.modalities == ["counselling"]
    assert parsed.needs == ["anxiety", "depression"]
    assert ("delivery", "in-person") in parsed.tags and ("referral", "self-referral") in parsed.tags
    service = parsed.service
    assert (service["cost_type"], service["cost_min_gbp"], service["cost_max_gbp"]) == (
        "sliding-scale", 10.0, 35.0,
    )  # fmt: skip
    assert service["languages"] == "English, Polish"
    assert service["demo"] is False  # imported data is real unless x_demo says otherwise
    assert service["last_verified_on"].isoformat() == "2025-02-20"
    assert parsed.organization["sector"] == "charity"
    assert parsed.organization["charity_number"] == "1099999"
    (location,) = parsed.locations
    assert location["postcode"] == "LS1 4AP"  # normalised
    assert (location["latitude"], location["longitude"]) == (53.7996, -1.5491)  # geocoded
    assert parsed.areas[0]["kind"] == "postcode-area" and parsed.areas[0]["value"] == "LS"
    # The foreign taxonomy term is skipped, with a warning rather than a refusal.
    assert any("esd-service-types" in w for w in warnings)


def test_x_fields_are_read() -> None:
    parsed, problems, _ = _parse(_external()[1])
    assert problems == []
    assert parsed.service["capacity"] == "waitlist"
    assert parsed.service["demo"] is True
    assert parsed.service["cost_type"] == "free"
    assert parsed.waits[0]["treatment_weeks"] == 10


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"id": "17"}, "id: '17' is not a UUID"),
        ({"name": ""}, "name: "),
        ({"minimum_age": -1}, "minimum_age: -1 is less than the minimum of 0"),
        ({"minimum_age": 12.5}, "minimum_age: 12.5 is not of type 'integer'"),
        ({"minimum_age": 30, "maximum_age": 20}, "maximum_age: 20 is below minimum_age 30"),
        ({"status": "open"}, "status: 'open' is not one of"),
        ({"url": "example.org"}, "url: 'example.org' is not a web address"),
        ({"email": "nobody"}, "email: 'nobody' is not an email address"),
        ({"assured_date": "2025-02-30"}, "assured_date: '2025-02-30' is not a date"),
        ({"last_modified": "yesterday"}, "last_modified: 'yesterday' is not a date-time"),
        ({"x_capacity": "full"}, "x_capacity: 'full' is not one of"),
        ({"x_cost": {"type": "fixed", "min_gbp": 40, "max_gbp": 10}}, "x_cost.max_gbp: 10"),
        ({"x_waits": [{"as_of": "soon"}]}, "x_waits[0].as_of: 'soon' is not a date"),
        ({"x_waits": [{"as_of": "2025-01-01", "modality": "reiki"}]},
         "x_waits[0].modality: unknown modality 'reiki'"),
        ({"attributes": [{"taxonomy_term": {"taxonomy": "signpost-modalities", "term": "reiki"}}]},
         "attributes[0]: unknown taxonomy term 'reiki' in signpost-modalities"),
        ({"attributes": [{"taxonomy_term_id": "9d7c1a3e-0000-4000-8000-000000000000"}]},
         "attributes[0]: unknown taxonomy term id"),
    ],
)  # fmt: skip
def test_problems_name_the_field(change: dict[str, Any], expected: str) -> None:
    record = {**copy.deepcopy(_external()[1]), **change}
    parsed, problems, _ = _parse(record)
    assert parsed is None
    assert any(p.startswith(expected) for p in problems), problems


def test_bad_postcodes_and_coordinates() -> None:
    record = copy.deepcopy(_external()[0])
    location = record["service_at_locations"][0]["location"]
    location["addresses"][0]["postal_code"] = "LS1 4A"
    location["latitude"] = 53.8
    _, problems, _ = _parse(record)
    assert (
        "service_at_locations[0].location.addresses[0].postal_code: 'LS1 4A' is not a UK "
        "postcode" in problems
    )
    assert (
        "service_at_locations[0].location.latitude: give both latitude and longitude, or "
        "neither" in problems
    )


def test_unknown_postcode_when_geocoding() -> None:
    record = copy.deepcopy(_external()[0])
    _, problems, _ = _parse(record, geocode=lambda _pc: None)
    assert problems == [
        "service_at_locations[0].location.addresses[0].postal_code: unknown postcode LS1 4AP"
    ]


def test_default_sector_fills_a_missing_one() -> None:
    record = copy.deepcopy(_external()[1])
    record["organization"]["attributes"] = []
    parsed, problems, _ = _parse(record, default_sector="nhs")
    assert problems == [] and parsed.organization["sector"] == "nhs"


def test_terms_resolve_by_id_or_by_name() -> None:
    cat = tx.get_catalogue()
    cbt = cat.term(tx.MODALITIES, "cbt")
    record = copy.deepcopy(_external()[1])
    record["attributes"] = [
        {"taxonomy_term_id": cbt.id},
        {"taxonomy_term": {"taxonomy_id": cat.taxonomy(tx.NEEDS).id, "code": "ocd"}},
        {"taxonomy_term": {"taxonomy": tx.CLIENT_GROUPS, "term": "18+"}},  # derived: ignored
    ]
    parsed, problems, _ = _parse(record)
    assert problems == []
    assert parsed.modalities == ["cbt"] and parsed.needs == ["ocd"]


def test_a_term_in_the_wrong_taxonomy_is_refused() -> None:
    cbt = tx.get_catalogue().term(tx.MODALITIES, "cbt")
    record = copy.deepcopy(_external()[1])
    record["attributes"] = [{"taxonomy_term_id": cbt.id, "taxonomy_term": {"taxonomy": tx.NEEDS}}]
    _, problems, _ = _parse(record)
    assert problems == ["attributes[0]: term 'cbt' is not in taxonomy signpost-needs"]


@pytest.mark.parametrize("record", [None, [], "service", 3])
def test_non_objects_are_refused(record: object) -> None:
    parsed, problems, _ = _parse(record)
    assert parsed is None and problems == [": a service must be a JSON object"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ([], (None, None, None)),  # no cost stated: not stated, never "free"
        ([{"option": "Ask us"}], (None, None, None)),
        ([{"option": "Free", "amount": 0}], ("free", None, None)),
        ([{"option": "Per session", "amount": 40}], ("fixed", 40.0, None)),
        ([{"option": "Low", "amount": 5}, {"option": "High", "amount": 50}],
         ("sliding-scale", 5.0, 50.0)),
        ([{"option": "Donation welcome"}], ("donation", None, None)),
    ],
)  # fmt: skip
def test_cost_from_cost_options(options: list[dict[str, Any]], expected: tuple[Any, ...]) -> None:
    record = copy.deepcopy(_external()[0])
    record["cost_options"] = options
    parsed, problems, _ = _parse(record, geocode=lambda _pc: (53.8, -1.5))
    assert problems == []
    service = parsed.service
    assert (service["cost_type"], service["cost_min_gbp"], service["cost_max_gbp"]) == expected


def test_unstated_sector_cost_and_capacity_stay_unknown() -> None:
    record = {
        **copy.deepcopy(_external()[1]),
        "organization": {"id": "2258abb1-e0fe-53ae-b9a9-62b37b47fd58", "name": "No sector"},
    }
    for key in ("x_cost", "cost_options", "x_capacity"):
        record.pop(key, None)
    parsed, problems, _ = _parse(record)
    assert problems == []
    assert parsed.organization["sector"] is None
    assert parsed.service["cost_type"] is None
    assert parsed.service["capacity"] is None
