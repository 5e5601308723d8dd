"""Parsing what a person asked for: every bad value gets a field, a code and a plain message."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from signpost.search.params import SearchInputError, SearchParams, parse_search
from signpost.vocab import get_vocabularies

VOCAB = get_vocabularies()


def parse(**fields: object) -> SearchParams:
    pairs = []
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, str(item)))
    return parse_search(
        MultiDict(pairs), modalities=VOCAB.modalities, needs=VOCAB.needs, languages=("Polish",)
    )


def errors_of(**fields: object) -> dict[str, str]:
    with pytest.raises(SearchInputError) as caught:
        parse(**fields)
    return {e.field: e.code for e in caught.value.errors}


def test_minimal_search_has_defaults() -> None:
    params = parse(location="  ls1   1ba ", need="depression", age_band="18-plus")
    assert params.location == "ls1 1ba"
    assert params.need == "depression"
    assert (params.age, params.severity, params.radius_km, params.limit) == (None, "unsure", 25, 20)
    assert params.age_band == "18-plus" and params.age_text == "18 and over"
    assert params.modalities == () and not params.relational and params.max_cost is None


def test_full_search_is_normalised() -> None:
    params = parse(
        location="Leeds", need="ANXIETY", age="34", severity="more-severe",
        modality=["ipt", "counselling", "ipt"], relational="true", delivery=["video", "phone"],
        max_cost="£15", self_referral="on", language="Polish", community="lgbtq",
        radius_km="50", limit="5", service=["a", "b", "a"],
    )  # fmt: skip
    assert params.need == "anxiety"
    assert params.age == 34
    assert params.modalities == ("counselling", "ipt")
    assert params.delivery == ("phone", "video")
    assert params.max_cost == 15.0
    assert params.relational and params.self_referral
    assert (params.radius_km, params.limit) == (50.0, 5)
    assert params.services == ("a", "b")


BASE = {"location": "LS1", "need": "depression", "age": "34"}
NO_AGE = {"location": "LS1", "need": "depression"}


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"need": "depression", "age": "34"}, "location", "missing_location"),
        ({"location": "LS1", "age": "34"}, "need", "missing_need"),
        (NO_AGE, "age", "age_required"),
        ({**NO_AGE, "age": "  "}, "age", "age_required"),
        ({**NO_AGE, "age_band": "adult"}, "age_band", "invalid_age_band"),
        ({**BASE, "need": "sadness"}, "need", "unknown_need"),
        ({**BASE, "age": "thirty"}, "age", "invalid_age"),
        ({**BASE, "age": "-3"}, "age", "invalid_age"),
        ({**BASE, "age": "121"}, "age", "age_out_of_range"),
        ({**BASE, "severity": "awful"}, "severity", "invalid_severity"),
        ({**BASE, "modality": "hypnosis"}, "modality", "unknown_modality"),
        ({**BASE, "delivery": "carrier-pigeon"}, "delivery", "unknown_delivery"),
        ({**BASE, "max_cost": "lots"}, "max_cost", "invalid_max_cost"),
        ({**BASE, "max_cost": "nan"}, "max_cost", "invalid_max_cost"),
        ({**BASE, "max_cost": "-1"}, "max_cost", "invalid_max_cost"),
        ({**BASE, "radius_km": "0"}, "radius_km", "invalid_radius"),
        ({**BASE, "radius_km": "inf"}, "radius_km", "invalid_radius"),
        ({**BASE, "radius_km": "5000"}, "radius_km", "invalid_radius"),
        ({**BASE, "limit": "101"}, "limit", "invalid_limit"),
        ({**BASE, "relational": "maybe"}, "relational", "invalid_relational"),
        ({**BASE, "language": "Klingon"}, "language", "unknown_language"),
    ],
)
def test_bad_values_are_named(fields: dict[str, str], field: str, code: str) -> None:
    assert errors_of(**fields)[field] == code


@pytest.mark.parametrize("band", ["under-18", "18-plus", "Under-18"])
def test_an_age_band_is_enough(band: str) -> None:
    params = parse(**NO_AGE, age_band=band)
    assert params.age is None and params.age_band == band.lower()
    assert ("age_band", band.lower()) in params.to_query()
    assert params.to_json()["age_band"] == band.lower()


def test_an_exact_age_wins_over_a_band() -> None:
    params = parse(**NO_AGE, age="15", age_band="18-plus")
    assert (params.age, params.age_band, params.age_text) == (15, None, "age 15")


def test_every_problem_is_reported_at_once() -> None:
    assert set(errors_of(age="x", radius_km="0")) == {"location", "need", "age", "radius_km"}


def test_query_round_trips_through_to_query() -> None:
    original = parse(
        location="LS6", need="trauma", age="19", modality="emdr", max_cost="0",
        delivery="video", radius_km="10",
    )  # fmt: skip
    again = parse_search(
        MultiDict(original.to_query()),
        modalities=VOCAB.modalities,
        needs=VOCAB.needs,
        languages=("Polish",),
    )
    assert again == original


def test_to_json_omits_unset_optional_fields() -> None:
    body = parse(location="LS6", need="trauma", age_band="under-18").to_json()
    assert "age" not in body and "max_cost" not in body and "language" not in body
    assert body["need"] == "trauma"
