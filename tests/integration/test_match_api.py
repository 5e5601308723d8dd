"""GET /api/v1/match: the contract of PRODUCT §6."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from signpost.crisis import crisis_lines

SUMMARY_KEYS = {
    "id", "name", "url", "organization", "modalities", "needs", "formats", "delivery",
    "referral_routes", "cost", "capacity", "demo",
}  # fmt: skip


def test_match_response_shape(client: FlaskClient) -> None:
    response = client.get("/api/v1/match?location=LS1+1BA&need=depression&age=30")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert set(body) >= {"query", "location", "nice", "choice", "results", "crisis"}
    assert body["query"]["need"] == "depression" and body["query"]["age"] == 30
    assert body["location"]["precision"] == "postcode"
    assert 53.7 < body["location"]["latitude"] < 53.9
    assert body["nice"]["guideline"] == "NG222"
    assert {o["modality"] for o in body["nice"]["options"]} >= {"counselling", "ipt", "cbt"}
    # The choice panel has a row for every NICE option.
    assert len(body["choice"]) == len(body["nice"]["options"])
    # England, age 30: 111 option 2 and Papyrus (under 35), not Childline, Lifeline or NHS 24.
    assert [c["contact"] for c in body["crisis"]] == [
        line.contact for line in crisis_lines("england", 30)
    ]
    assert "0800 068 4141" in [c["contact"] for c in body["crisis"]]
    assert "0800 1111" not in [c["contact"] for c in body["crisis"]]
    first = body["results"][0]
    assert set(first["service"]) >= SUMMARY_KEYS
    assert first["reasons"] and all(set(r) == {"code", "text"} for r in first["reasons"])
    assert first["distance_km"] is None or first["distance_km"] >= 0
    # Scores fall within each tier; services only for some people, and low-intensity ones for
    # an unsure severity, come after the rest whatever their score.
    tiers = [
        (
            any(r["code"] == "eligibility_only_for" for r in result["reasons"]),
            any(r["code"] == "low_intensity" for r in result["reasons"]),
        )
        for result in body["results"]
    ]
    assert tiers == sorted(tiers)
    for tier in set(tiers):
        scores = [r["score"] for r, t in zip(body["results"], tiers, strict=True) if t == tier]
        assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("need", ["anxiety", "bereavement", "not-sure"])
def test_optional_fields_are_omitted_not_null(client: FlaskClient, need: str) -> None:
    body = client.get(f"/api/v1/match?location=LS6&need={need}&age=30").get_json()

    def walk(value: object, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key != "distance_km":  # the contract: null means reached remotely
                    assert item is not None, f"{path}.{key} is null"
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")

    walk(body, "")


def test_preference_moves_options_up_without_hiding_others(client: FlaskClient) -> None:
    plain = client.get("/api/v1/match?location=LS1+1BA&need=depression&age=30&limit=100").get_json()
    wanted = client.get(
        "/api/v1/match?location=LS1+1BA&need=depression&age=30&limit=100&modality=psychodynamic"
    ).get_json()
    assert {r["service"]["id"] for r in plain["results"]} == {
        r["service"]["id"] for r in wanted["results"]
    }
    # DIT is a form of psychodynamic therapy, so a DIT service meets the preference too.
    assert {"psychodynamic", "dit"} & set(wanted["results"][0]["service"]["modalities"])


def test_hard_filters_hold(client: FlaskClient) -> None:
    body = client.get(
        "/api/v1/match?location=M1+1AE&need=anxiety&age=16&max_cost=0&self_referral=true&limit=100"
    ).get_json()
    assert body["results"]
    for result in body["results"]:
        service = result["service"]
        assert service["cost"]["type"] in {"free", "donation"}
        assert "self-referral" in service["referral_routes"]
        assert service.get("minimum_age", 0) <= 16 <= service.get("maximum_age", 200)
        assert "anxiety" in service["needs"]


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("need=depression", "missing_location", "location"),
        ("location=LS1&need=zzz", "unknown_need", "need"),
        ("location=BT99+1AA&need=depression&age=30", "northern_ireland", "location"),
        ("location=St+Ives&need=depression&age=30", "ambiguous_place", "location"),
        ("location=ZZ99+9ZZ&need=depression&age=30", "invalid_postcode", "location"),
        ("location=LS1&need=depression&age=abc", "invalid_age", "age"),
        ("location=LS1&need=depression", "age_required", "age"),
        ("location=LS1&need=depression&age=", "age_required", "age"),
        ("location=LS1&need=depression&age_band=adult", "invalid_age_band", "age_band"),
        ("location=LS1&need=depression&age=30&radius_km=-5", "invalid_radius", "radius_km"),
        ("location=LS1&need=depression&age=30&limit=0", "invalid_limit", "limit"),
        # A NUL is refused at the edge, before the search parses the value.
        ("location=LS1&need=depression&age=30&max_cost=%00", "invalid_parameter", "max_cost"),
    ],
)
def test_bad_input_is_a_structured_400(
    client: FlaskClient, query: str, code: str, field: str
) -> None:
    response = client.get(f"/api/v1/match?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]


def test_empty_area_widens_and_offers_remote(client: FlaskClient) -> None:
    # Inverness has no demo services nearby: never a dead end.
    body = client.get("/api/v1/match?location=Inverness&need=depression&age=40").get_json()
    assert body["results"], "expected remote or wider options"
    assert any(r["distance_km"] is None for r in body["results"])
    assert any(c["gap"] for c in body["choice"])
