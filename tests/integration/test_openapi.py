"""GET /api/v1/openapi.json: a valid OpenAPI 3.1 description that real responses meet."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate

from signpost.oruk import taxonomy as tx

API = "/api/v1"
ORUK_PATHS = {
    "/",
    "/services",
    "/services/{id}",
    "/taxonomies",
    "/taxonomies/{id}",
    "/taxonomy_terms",
    "/taxonomy_terms/{id}",
    "/service_at_locations",
    "/service_at_locations/{id}",
}
SERVICE_FILTERS = {
    "search", "page", "per_page", "taxonomy_term_id", "taxonomy_id", "minimum_age",
    "maximum_age", "day", "start_time", "end_time", "modified_after",
}  # fmt: skip
MATCH_PARAMETERS = {
    "location", "need", "age", "age_band", "severity", "modality", "relational", "delivery",
    "max_cost", "self_referral", "language", "radius_km", "limit", "circumstance",
}  # fmt: skip


def parameters_of(spec: dict) -> dict:
    return {p["name"]: p for p in spec["components"]["parameters"].values()}


@pytest.fixture(autouse=True)
def _generous_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "RATELIMIT_API", "100000 per minute")


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.get_json()


def _parameters(spec: dict[str, Any], path: str) -> set[str]:
    names = set()
    for parameter in spec["paths"][path]["get"]["parameters"]:
        if "$ref" in parameter:
            parameter = spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        names.add(parameter["name"])
    return names


def _response_schema(spec: dict[str, Any], path: str, status: str) -> dict[str, Any]:
    response = spec["paths"][path]["get"]["responses"][status]
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"]["application/json"]["schema"]


def assert_valid(spec: dict[str, Any], path: str, status: str, body: Any) -> None:
    """Validate against the description's schema, formats included (uuid, date, ...)."""
    schema = {**_response_schema(spec, path, status), "components": spec["components"]}
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.path)))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:10]
    )


def test_the_description_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    assert spec["servers"] == [{"url": "http://localhost/api/v1"}]


def test_every_endpoint_is_described(spec: dict[str, Any]) -> None:
    insights = {"/insights", "/insights.csv", "/insights/demand"}
    assert ORUK_PATHS | {"/match", "/openapi.json"} | insights == set(spec["paths"])
    assert _parameters(spec, "/services") == SERVICE_FILTERS
    assert _parameters(spec, "/service_at_locations") == SERVICE_FILTERS | {"postcode", "proximity"}
    assert _parameters(spec, "/match") == MATCH_PARAMETERS
    for path, item in spec["paths"].items():
        operation = item["get"]
        assert operation["operationId"] and operation["summary"]
        assert {"200", "400", "429", "503"} <= set(operation["responses"]), path
        if "{id}" in path:
            assert "404" in operation["responses"]
    for name, parameter in spec["components"]["parameters"].items():
        assert parameter["description"], name


def test_match_is_described_from_the_contract(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert set(schemas["MatchResponse"]["required"]) == {
        "query", "location", "nice", "choice", "results", "crisis",
    }  # fmt: skip
    result = schemas["MatchResult"]
    assert {"service", "distance_km", "score", "reasons"} <= set(result["required"])
    assert "null" in result["properties"]["distance_km"]["type"]
    summary = schemas["MatchServiceSummary"]["properties"]
    assert {"id", "name", "url", "organization", "modalities", "needs", "formats", "delivery",
            "referral_routes", "minimum_age", "maximum_age", "cost", "capacity", "waits",
            "last_verified", "demo", "intensity", "protocols", "eligibility",
            "eligibility_note", "only_for"} == set(summary)  # fmt: skip
    assert parameters_of(spec)["circumstance"]["explode"] is True
    parameters = parameters_of(spec)
    assert parameters["modality"]["schema"]["type"] == "array"
    assert parameters["modality"]["explode"] is True
    assert parameters["limit"]["schema"]["maximum"] == 100
    assert parameters["radius_km"]["schema"]["default"] == 25


def test_spec_follows_the_configured_page_cap(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "API_MAX_PER_PAGE", 7)
    spec = client.get(f"{API}/openapi.json").get_json()
    assert "reduced to 7" in spec["components"]["parameters"]["per_page"]["description"]


def _first(client: FlaskClient, path: str, **params: Any) -> dict[str, Any]:
    return client.get(API + path, query_string={"per_page": 1, **params}).get_json()["contents"][0]


def test_real_responses_meet_the_description(client: FlaskClient, spec: dict[str, Any]) -> None:
    service = _first(client, "/services")
    link = _first(client, "/service_at_locations")
    cbt = tx.get_catalogue().term(tx.MODALITIES, "cbt").id
    checks = [
        ("/", "/", {}),
        ("/services", "/services", {"per_page": 100}),
        ("/services", "/services", {"taxonomy_term_id": cbt, "minimum_age": 18}),
        ("/services/{id}", f"/services/{service['id']}", {}),
        ("/taxonomies", "/taxonomies", {}),
        ("/taxonomies/{id}", f"/taxonomies/{tx.MODALITIES}", {}),
        ("/taxonomy_terms", "/taxonomy_terms", {"per_page": 100}),
        ("/taxonomy_terms/{id}", f"/taxonomy_terms/{cbt}", {}),
        ("/service_at_locations", "/service_at_locations", {"per_page": 100}),
        ("/service_at_locations", "/service_at_locations", {"postcode": "LS1 4AP"}),
        ("/service_at_locations/{id}", f"/service_at_locations/{link['id']}", {}),
    ]
    for template, path, params in checks:
        response = client.get(API + path, query_string=params)
        assert response.status_code == 200, path
        assert_valid(spec, template, "200", response.get_json())


def test_every_service_meets_the_description(client: FlaskClient, spec: dict[str, Any]) -> None:
    page = 1
    while True:
        data = client.get(f"{API}/services", query_string={"per_page": 100, "page": page})
        data = data.get_json()
        for summary in data["contents"]:
            full = client.get(f"{API}/services/{summary['id']}").get_json()
            assert_valid(spec, "/services/{id}", "200", full)
        if data["last_page"]:
            break
        page += 1


def test_errors_meet_the_description(client: FlaskClient, spec: dict[str, Any]) -> None:
    for path, template, status in [
        ("/services?page=x", "/services", "400"),
        ("/services/nope", "/services/{id}", "404"),
        ("/service_at_locations?postcode=ZZ99+9ZZ", "/service_at_locations", "400"),
    ]:
        response = client.get(API + path)
        assert str(response.status_code) == status
        assert_valid(spec, template, status, response.get_json())


def test_match_responses_meet_the_description(
    app: Flask, client: FlaskClient, spec: dict[str, Any]
) -> None:
    response = client.get(
        f"{API}/match",
        query_string={"location": "LS1 4AP", "need": "depression", "age": 30},
    )
    assert response.status_code == 200, response.get_json()
    assert_valid(spec, "/match", "200", response.get_json())
    bad = client.get(f"{API}/match", query_string={"location": "ZZ99 9ZZ", "need": "depression"})
    assert bad.status_code == 400
    assert_valid(spec, "/match", "400", bad.get_json())
