"""The ORUK 3.0 endpoints under /api/v1: envelopes, filters, detail records, errors, CORS."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from signpost.directory.loading import public_service_filter
from signpost.extensions import db
from signpost.models import Location, Organization, Service, ServiceArea, ServiceAtLocation
from signpost.oruk import taxonomy as tx

API = "/api/v1"
LEEDS = "LS1 4AP"


@pytest.fixture(autouse=True)
def _generous_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    # Other suites share the test app's rate-limit window; these tests are not about it.
    monkeypatch.setitem(app.config, "RATELIMIT_API", "100000 per minute")


def get(client: FlaskClient, path: str, status: int = 200, **params: Any) -> Any:
    response = client.get(API + path, query_string=params)
    assert response.status_code == status, (path, params, response.get_json())
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.mimetype == "application/json"
    return response.get_json()


def public_count(session: Session, *conditions: Any) -> int:
    return session.execute(
        select(func.count(Service.id))
        .join(Organization, Organization.id == Service.organization_id)
        .where(public_service_filter(), *conditions)
    ).scalar_one()


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")


# Required by the ORUK schemas, so present even when empty.
REQUIRED_MAYBE_EMPTY = {"description", "address_1", "city", "state_province", "postal_code"}


def assert_no_empty_fields(data: Any) -> None:
    for path, value in walk(data):
        assert value is not None, f"{path} is null"
        if path.endswith(".contents"):
            continue
        if value in ("", [], {}):
            assert path.rsplit(".", 1)[-1] in REQUIRED_MAYBE_EMPTY, f"{path} is empty"


def term_id(taxonomy: str, slug: str) -> str:
    return tx.get_catalogue().term(taxonomy, slug).id


# --------------------------------------------------------------------------- root


def test_root_describes_the_api(client: FlaskClient) -> None:
    data = get(client, "/")
    assert data == {
        "version": "HSDS-UK-3.0",
        "profile": "https://github.com/OpenReferralUK/uk-profile",
        "openapi_url": "http://localhost/api/v1/openapi.json",
    }
    assert client.get(data["openapi_url"]).status_code == 200


def test_root_uses_the_public_base_url(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://signpost.example.org/")
    assert get(client, "/")["openapi_url"] == "https://signpost.example.org/api/v1/openapi.json"


# --------------------------------------------------------------------------- paging


def test_services_page_envelope(client: FlaskClient, db_session: Session) -> None:
    total = public_count(db_session)
    assert total > 100  # the demo directory
    first = get(client, "/services", per_page=7)
    assert first["total_items"] == total
    assert first["total_pages"] == math.ceil(total / 7)
    assert (first["page_number"], first["size"], first["first_page"]) == (1, 7, True)
    assert (first["last_page"], first["empty"]) == (False, False)
    assert len(first["contents"]) == 7

    last = get(client, "/services", per_page=7, page=first["total_pages"])
    assert last["size"] == total - 7 * (first["total_pages"] - 1)
    assert (last["first_page"], last["last_page"], last["empty"]) == (False, True, False)

    beyond = get(client, "/services", per_page=7, page=first["total_pages"] + 1)
    assert (beyond["size"], beyond["contents"], beyond["empty"]) == (0, [], True)
    assert beyond["total_items"] == total and beyond["last_page"] is True


def test_pages_cover_every_service_once_in_name_order(client: FlaskClient) -> None:
    seen: list[tuple[str, str]] = []
    page = 1
    while True:
        data = get(client, "/services", per_page=100, page=page)
        seen += [(s["name"], s["id"]) for s in data["contents"]]
        if data["last_page"]:
            break
        page += 1
    assert len(seen) == len({i for _, i in seen}) == data["total_items"]
    assert seen == sorted(seen)


def test_per_page_is_capped(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert get(client, "/services", per_page=10_000)["size"] == app.config["API_MAX_PER_PAGE"]
    monkeypatch.setitem(app.config, "API_MAX_PER_PAGE", 5)
    data = get(client, "/services", per_page=50)
    assert data["size"] == 5
    assert data["total_pages"] == math.ceil(data["total_items"] / 5)
    assert get(client, "/services")["size"] == 5  # the default is capped too


def test_an_empty_result(client: FlaskClient) -> None:
    data = get(client, "/services", search="zzzz-no-such-service")
    assert data == {
        "total_items": 0,
        "total_pages": 0,
        "page_number": 1,
        "size": 0,
        "first_page": True,
        "last_page": True,
        "empty": True,
        "contents": [],
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"page": "99999999999999999999999"}, "page"),
        ({"per_page": "0"}, "per_page"),
        ({"per_page": "-5"}, "per_page"),
        ({"per_page": "lots"}, "per_page"),
        ({"minimum_age": "old"}, "minimum_age"),
        ({"minimum_age": "-1"}, "minimum_age"),
        ({"maximum_age": "nan"}, "maximum_age"),
        ({"maximum_age": "1e400"}, "maximum_age"),
        ({"modified_after": "last tuesday"}, "modified_after"),
        ({"modified_after": "2024-13-01"}, "modified_after"),
        ({"day": "Funday"}, "day"),
        ({"start_time": "25:00"}, "start_time"),
        ({"end_time": "noon"}, "end_time"),
        ({"search": "a\x00b"}, "search"),
        ({"search": "x" * 201}, "search"),
        ({"taxonomy_term_id": "t" * 101}, "taxonomy_term_id"),
    ],
)
def test_bad_parameters_are_400_with_the_field(
    client: FlaskClient, params: dict[str, str], field: str
) -> None:
    for path in ("/services", "/service_at_locations"):
        data = get(client, path, 400, **params)
        assert data["error"]["field"] == field
        assert data["error"]["code"] == "invalid_parameter"
        assert data["error"]["message"]


def test_paging_errors_on_static_lists(client: FlaskClient) -> None:
    for path in ("/taxonomies", "/taxonomy_terms"):
        assert get(client, path, 400, page="x")["error"]["field"] == "page"


# --------------------------------------------------------------------------- filters


def test_search_matches_every_word(client: FlaskClient) -> None:
    data = get(client, "/services", search="counselling ADULTS", per_page=100)
    assert data["total_items"] > 0
    for service in data["contents"]:
        text = " ".join(
            [service["name"], service.get("description", ""), service["organization"]["name"]]
        ).lower()
        assert "counselling" in text and "adults" in text


def test_search_treats_wildcards_literally(client: FlaskClient) -> None:
    assert get(client, "/services", search="%")["total_items"] == 0
    assert get(client, "/services", search="_")["total_items"] == 0


def test_taxonomy_term_filter(client: FlaskClient, db_session: Session) -> None:
    from signpost.models.directory import ServiceModality

    cbt = term_id(tx.MODALITIES, "cbt")
    expected = public_count(
        db_session,
        Service.id.in_(select(ServiceModality.service_id).where(ServiceModality.modality == "cbt")),
    )
    data = get(client, "/services", taxonomy_term_id=cbt, per_page=100)
    assert data["total_items"] == expected > 0
    for summary in data["contents"][:5]:
        full = get(client, f"/services/{summary['id']}")
        assert cbt in {a["taxonomy_term_id"] for a in full["attributes"]}


def test_filters_combine_with_and(client: FlaskClient, db_session: Session) -> None:
    from signpost.models.directory import ServiceModality, ServiceTag

    cbt = term_id(tx.MODALITIES, "cbt")
    video = term_id(tx.DELIVERY, "video")
    both = get(client, "/services", taxonomy_term_id=cbt, minimum_age=18, per_page=100)
    expected = public_count(
        db_session,
        Service.id.in_(select(ServiceModality.service_id).where(ServiceModality.modality == "cbt")),
        func.coalesce(Service.minimum_age, 0) >= 18,
    )
    assert both["total_items"] == expected
    assert all(s.get("minimum_age", 0) >= 18 for s in both["contents"])
    only_cbt = get(client, "/services", taxonomy_term_id=cbt)["total_items"]
    assert 0 < both["total_items"] <= only_cbt

    with_video = get(client, "/services", taxonomy_term_id=video, search="therapy")
    expected_video = public_count(
        db_session,
        Service.id.in_(
            select(ServiceTag.service_id).where(
                ServiceTag.kind == "delivery", ServiceTag.value == "video"
            )
        ),
        func.lower(Service.name).contains("therapy")
        | func.lower(Service.description).contains("therapy")
        | func.lower(Organization.name).contains("therapy"),
    )
    assert with_video["total_items"] == expected_video


def test_age_filters_follow_the_oruk_wording(client: FlaskClient) -> None:
    # minimum_age: services whose minimum age is at least the value (none counts as 0);
    # maximum_age: services whose maximum age is at most the value.
    young = get(client, "/services", maximum_age=17, per_page=100)
    assert young["total_items"] > 0
    assert all(s["maximum_age"] <= 17 for s in young["contents"])
    adults = get(client, "/services", minimum_age=18, per_page=100)
    assert all(s["minimum_age"] >= 18 for s in adults["contents"])
    none = get(client, "/services", minimum_age=18, maximum_age=17)
    assert none["total_items"] == 0


def test_taxonomy_id_filter_by_id_or_name(client: FlaskClient) -> None:
    cat = tx.get_catalogue()
    by_name = get(client, "/services", taxonomy_id=tx.MODALITIES)["total_items"]
    by_id = get(client, "/services", taxonomy_id=cat.taxonomy(tx.MODALITIES).id)["total_items"]
    assert by_name == by_id > 0
    assert get(client, "/services", taxonomy_id="no-such-taxonomy")["total_items"] == 0
    assert get(client, "/services", taxonomy_term_id="no-such-term")["total_items"] == 0


def test_client_group_and_sector_terms(client: FlaskClient) -> None:
    teens = get(client, "/services", taxonomy_term_id=term_id(tx.CLIENT_GROUPS, "12-17"),
                per_page=100)  # fmt: skip
    assert teens["total_items"] > 0
    for service in teens["contents"]:
        assert service.get("minimum_age", 0) <= 17 and service.get("maximum_age", 200) >= 12
    nhs = get(client, "/services", taxonomy_term_id=term_id(tx.SECTORS, "nhs"), per_page=5)
    assert nhs["total_items"] > 0
    for summary in nhs["contents"]:
        full = get(client, f"/services/{summary['id']}")
        (sector,) = full["organization"]["attributes"]
        assert sector["taxonomy_term"]["term"] == "nhs"


def test_modified_after(client: FlaskClient) -> None:
    total = get(client, "/services")["total_items"]
    assert get(client, "/services", modified_after="2000-01-01")["total_items"] == total
    assert get(client, "/services", modified_after="2000-01-01T00:00:00Z")["total_items"] == total
    assert get(client, "/services", modified_after="2999-01-01T00:00:00+01:00")["total_items"] == 0


def test_schedule_filters_match_nothing_we_hold(client: FlaskClient) -> None:
    # Signpost holds no opening times: documented in the OpenAPI description.
    assert get(client, "/services", day="MO")["total_items"] == 0
    assert get(client, "/services", start_time="09:00", end_time="17:00:00")["total_items"] == 0


# --------------------------------------------------------------------------- detail


def test_service_detail_is_fully_nested(client: FlaskClient) -> None:
    summary = get(client, "/services", search="Leeds", per_page=1)["contents"][0]
    data = get(client, f"/services/{summary['id']}")
    assert data["id"] == summary["id"] and data["name"] == summary["name"]
    assert data["organization"]["id"] == data["organization_id"]
    taxonomies = {a["taxonomy_term"]["taxonomy"] for a in data["attributes"]}
    assert {tx.MODALITIES, tx.NEEDS, tx.CLIENT_GROUPS} <= taxonomies
    for attribute in data["attributes"]:
        assert attribute["link_id"] == data["id"]
        assert attribute["taxonomy_term_id"] == attribute["taxonomy_term"]["id"]
    assert data["x_capacity"] in {"accepting", "waitlist", "closed"}
    assert isinstance(data["x_demo"], bool)
    assert data["x_cost"]["type"] in {"free", "donation", "sliding-scale", "fixed"}
    assert data["cost_options"]
    date.fromisoformat(data["x_last_verified"])
    assert_no_empty_fields(data)


def test_detail_matches_the_database(client: FlaskClient, db_session: Session) -> None:
    service = db_session.execute(
        select(Service)
        .join(Organization, Organization.id == Service.organization_id)
        .where(public_service_filter(), Service.waits.any(), Service.service_locations.any())
        .order_by(Service.id)
        .limit(1)
    ).scalar_one()
    data = get(client, f"/services/{service.id}")
    modalities = {
        a["taxonomy_term"]["term"] for a in data["attributes"] if a["link_type"] == "modality"
    }
    assert modalities == set(service.modalities)
    assert {w.get("modality") for w in data["x_waits"]} == {w.modality for w in service.waits}
    locations = {x["location"]["id"] for x in data["service_at_locations"]}
    assert locations == {link.location_id for link in service.service_locations}
    assert data.get("minimum_age") == service.minimum_age


@pytest.mark.parametrize(
    "path",
    [
        "/services/00000000-0000-4000-8000-000000000000",
        "/services/not-an-id",
        "/taxonomies/00000000-0000-4000-8000-000000000000",
        "/taxonomy_terms/cbt",
        "/service_at_locations/00000000-0000-4000-8000-000000000000",
    ],
)
def test_unknown_ids_are_404_in_the_error_shape(client: FlaskClient, path: str) -> None:
    data = get(client, path, 404)
    assert data["error"]["code"] == "not_found"
    assert data["error"]["field"] == "id"


def _unpublished(session: Session) -> tuple[Service, Service]:
    pending = Organization(name="Pending Org", sector="charity", moderation="pending")
    approved = Organization(name="Approved Org", sector="charity", moderation="approved")
    location = Location(name="Somewhere", postcode=LEEDS, latitude=53.7955, longitude=-1.5557)
    hidden_by_org = Service(name="Zeta hidden by moderation", organization=pending)
    hidden_by_status = Service(name="Zeta inactive", organization=approved, status="inactive")
    for service in (hidden_by_org, hidden_by_status):
        service.service_locations = [ServiceAtLocation(location=location)]
    session.add_all([pending, approved, hidden_by_org, hidden_by_status])
    session.flush()
    return hidden_by_org, hidden_by_status


def test_only_published_data_is_served(client: FlaskClient, db_session: Session) -> None:
    before = get(client, "/services")["total_items"]
    before_links = get(client, "/service_at_locations")["total_items"]
    for service in _unpublished(db_session):
        get(client, f"/services/{service.id}", 404)
        get(client, f"/service_at_locations/{service.service_locations[0].id}", 404)
    assert get(client, "/services")["total_items"] == before
    assert get(client, "/services", search="Zeta")["total_items"] == 0
    assert get(client, "/service_at_locations")["total_items"] == before_links
    near = get(client, "/service_at_locations", postcode=LEEDS, proximity=100, per_page=100)
    assert all(x["service"]["name"] != "Zeta inactive" for x in near["contents"])


# --------------------------------------------------------------------------- taxonomies


def test_taxonomies(client: FlaskClient) -> None:
    data = get(client, "/taxonomies")
    names = [t["name"] for t in data["contents"]]
    assert {tx.MODALITIES, tx.NEEDS, tx.CLIENT_GROUPS} <= set(names)
    assert data["total_items"] == len(names) and data["last_page"] is True
    modalities = get(client, f"/taxonomies/{tx.get_catalogue().taxonomy(tx.MODALITIES).id}")
    assert modalities == get(client, f"/taxonomies/{tx.MODALITIES}")
    assert "cbt" in {t["term"] for t in modalities["taxonomy_terms"]}
    two = get(client, "/taxonomies", per_page=2, page=2)
    assert [t["name"] for t in two["contents"]] == names[2:4]


def test_taxonomy_terms(client: FlaskClient) -> None:
    cat = tx.get_catalogue()
    data = get(client, "/taxonomy_terms", per_page=100)
    assert data["total_items"] == len(cat.terms)
    needs = get(client, "/taxonomy_terms", taxonomy_id=tx.NEEDS, per_page=100)
    assert {t["term"] for t in needs["contents"]} == {t.slug for t in cat.taxonomy(tx.NEEDS).terms}
    cbt = term_id(tx.MODALITIES, "cbt")
    term = get(client, f"/taxonomy_terms/{cbt}")
    assert term["term"] == "cbt" and term["taxonomy"] == tx.MODALITIES
    assert term["taxonomy_id"] == cat.taxonomy(tx.MODALITIES).id


# --------------------------------------------------------------------------- service at location


def test_service_at_locations_list_and_detail(client: FlaskClient) -> None:
    data = get(client, "/service_at_locations", per_page=3)
    assert data["total_items"] > data["size"] == 3
    item = data["contents"][0]
    assert item["location"]["location_type"] == "physical"
    assert item["service"]["id"] == item["service_id"]
    full = get(client, f"/service_at_locations/{item['id']}")
    assert full["location"]["id"] == item["location_id"]
    assert full["service"]["id"] == item["service_id"]
    assert "attributes" in full["service"]
    assert "service_at_locations" not in full["service"]
    assert full["location"]["addresses"][0]["postal_code"]
    assert_no_empty_fields(full)


def test_postcode_and_proximity(client: FlaskClient) -> None:
    data = get(client, "/service_at_locations", postcode=LEEDS, proximity=5000, per_page=100)
    assert data["total_items"] > 0
    distances = [x["x_distance_metres"] for x in data["contents"]]
    assert distances == sorted(distances)
    assert all(0 <= d <= 5000 for d in distances)
    wider = get(client, "/service_at_locations", postcode=LEEDS, proximity=50_000)
    assert wider["total_items"] >= data["total_items"]
    everywhere = get(client, "/service_at_locations", postcode=LEEDS)
    assert everywhere["total_items"] >= wider["total_items"]


def test_postcode_respects_catchments(client: FlaskClient, db_session: Session) -> None:
    org = Organization(name="Catchment Test Org", sector="charity")
    leeds = Location(name="Leeds room", postcode=LEEDS, latitude=53.7955, longitude=-1.5557)
    shetland_only = Service(name="Catchment Shetland only", organization=org)
    shetland_only.areas = [ServiceArea(kind="postcode-area", value="ZE")]
    leeds_district = Service(name="Catchment LS1 district", organization=org)
    leeds_district.areas = [ServiceArea(kind="postcode-district", value="LS1")]
    tiny_radius = Service(name="Catchment tiny radius", organization=org, catchment_radius_km=1.5)
    no_catchment = Service(name="Catchment none given", organization=org)
    services = [shetland_only, leeds_district, tiny_radius, no_catchment]
    for service in services:
        service.service_locations = [ServiceAtLocation(location=leeds)]
    db_session.add_all([org, *services])
    db_session.flush()

    def names(postcode: str) -> set[str]:
        data = get(client, "/service_at_locations", postcode=postcode, search="Catchment",
                   per_page=100)  # fmt: skip
        return {x["service"]["name"] for x in data["contents"]}

    assert names(LEEDS) == {"Catchment LS1 district", "Catchment tiny radius",
                            "Catchment none given"}  # fmt: skip
    assert names("LS6 3HN") == {"Catchment none given"}
    assert names("ZE1 0AA") == {"Catchment Shetland only", "Catchment none given"}


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"postcode": "ZZ99 9ZZ"}, "postcode", "invalid_postcode"),
        ({"postcode": "Notatownanywhere"}, "postcode", "unknown_place"),
        ({"postcode": "BT99 1AA"}, "postcode", "northern_ireland"),
        ({"proximity": "1000"}, "proximity", "invalid_parameter"),
        ({"postcode": LEEDS, "proximity": "far"}, "proximity", "invalid_parameter"),
        ({"postcode": LEEDS, "proximity": "-1"}, "proximity", "invalid_parameter"),
    ],
)
def test_postcode_errors(
    client: FlaskClient, params: dict[str, str], field: str, code: str
) -> None:
    error = get(client, "/service_at_locations", 400, **params)["error"]
    assert (error["field"], error["code"]) == (field, code)


def test_partial_postcodes_and_places_work(client: FlaskClient) -> None:
    for where in ("LS1", "Leeds"):
        data = get(client, "/service_at_locations", postcode=where, proximity=10_000)
        assert data["total_items"] > 0


# --------------------------------------------------------------------------- shape and CORS


@pytest.mark.parametrize(
    "path",
    ["/services", "/service_at_locations", "/taxonomies", "/taxonomy_terms"],
)
def test_list_items_have_no_empty_fields(client: FlaskClient, path: str) -> None:
    assert_no_empty_fields(get(client, path, per_page=100))


def test_every_detail_has_no_empty_fields(client: FlaskClient) -> None:
    for summary in get(client, "/services", per_page=100)["contents"]:
        assert_no_empty_fields(get(client, f"/services/{summary['id']}"))


def test_cors_on_every_kind_of_response(client: FlaskClient) -> None:
    for path, status in [
        ("/", 200),
        ("/services?page=0", 400),
        ("/services/nope", 404),
        ("/no-such-endpoint", 404),
    ]:
        response = client.get(API + path)
        assert response.status_code == status
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    posted = client.post(API + "/services")
    assert posted.status_code == 405
    assert posted.headers["Access-Control-Allow-Origin"] == "*"
    assert posted.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in posted.headers["Allow"]


def test_preflight(client: FlaskClient) -> None:
    for path in ("/services", "/services/anything", "/match"):
        response = client.options(
            API + path,
            headers={
                "Origin": "https://other.example.org",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "Accept, X-Requested-With",
            },
        )
        assert response.status_code == 204
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "GET" in response.headers["Access-Control-Allow-Methods"]
        assert response.headers["Access-Control-Allow-Headers"] == "Accept, X-Requested-With"
    # Pages outside the API get no CORS headers.
    assert "Access-Control-Allow-Origin" not in client.get("/").headers


# --------------------------------------------------------------------------- efficiency


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: Any) -> None:
        self.count += 1


def count_queries(client: FlaskClient, path: str, **params: Any) -> int:
    counter = QueryCounter()
    engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        get(client, path, **params)
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return counter.count


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/services", {}),
        ("/service_at_locations", {}),
        ("/service_at_locations", {"postcode": LEEDS}),
    ],
)
def test_lists_do_not_grow_queries_with_page_size(
    client: FlaskClient, path: str, params: dict[str, str]
) -> None:
    get(client, path, per_page=1, **params)  # warm up: the session's first query begins it
    small = count_queries(client, path, per_page=2, **params)
    large = count_queries(client, path, per_page=100, **params)
    assert small == large
    assert large <= 6


def test_detail_queries_are_bounded(client: FlaskClient) -> None:
    ids = [s["id"] for s in get(client, "/services", per_page=20)["contents"]]
    counts = {count_queries(client, f"/services/{i}") for i in ids}
    assert max(counts) <= 10
