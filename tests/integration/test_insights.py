"""/insights pages, the open data API and CSV, the CLI, and the anonymous demand counters."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from signpost.extensions import db
from signpost.insights import store
from signpost.models import DemandCounter

AREAS = ("LS", "NR")


@pytest.fixture
def insights_app(app: Flask) -> Iterator[Flask]:
    """Figures for two postcode areas only, so the suite stays quick."""
    old = app.config.get("INSIGHTS_AREAS")
    app.config["INSIGHTS_AREAS"] = AREAS
    app.extensions.pop("signpost.insights", None)
    yield app
    app.config["INSIGHTS_AREAS"] = old
    app.extensions.pop("signpost.insights", None)


@pytest.fixture
def iclient(insights_app: Flask, db_session: object) -> FlaskClient:
    return insights_app.test_client()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_national_view_has_map_key_table_and_demo_flag(iclient: FlaskClient) -> None:
    response = iclient.get("/insights?need=depression&band=18%2B")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<svg role="img" aria-label="Dot map of postcode district centres' in html
    dots = re.findall(r"<circle cx=", html)
    districts = len(store.state().places)
    assert len(dots) >= districts  # one per district, plus the key's swatches
    page = _text(html)
    assert "demonstration data" in page
    assert "/insights/areas/LS/depression" in html and "/insights/areas/NR/depression" in html
    assert "<script" not in html.split("<main")[1].split("</main>")[0]


def test_table_sorts_with_links(iclient: FlaskClient) -> None:
    ascending = iclient.get("/insights?need=depression&band=18%2B&sort=area&order=asc")
    descending = iclient.get("/insights?need=depression&band=18%2B&sort=area&order=desc")
    first = re.findall(r'/insights/areas/([A-Z]+)/depression[^"]*">\1</a></td>', ascending.text)
    last = re.findall(r'/insights/areas/([A-Z]+)/depression[^"]*">\1</a></td>', descending.text)
    assert first == sorted(AREAS) and last == sorted(AREAS, reverse=True)
    assert 'aria-sort="descending"' in descending.text


def test_area_page_shows_options_missing_services_and_comparison(iclient: FlaskClient) -> None:
    response = iclient.get("/insights/areas/LS/depression?band=18%2B")
    assert response.status_code == 200
    page = _text(response.get_data(as_text=True))
    assert "LS postcode area: Feeling low or depressed" in page
    assert "Across Great Britain it is" in page
    assert "Missing options and the nearest place to get them" in page
    assert "Waits to start treatment, by sector" in page
    assert "Counselling" in page and "LS1" in page


@pytest.mark.parametrize(
    "url",
    ["/insights/areas/ZZ/depression", "/insights/areas/LS/no-such-need", "/insights?need=x"],
)
def test_unknown_area_or_need_is_not_found(iclient: FlaskClient, url: str) -> None:
    response = iclient.get(url)
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)


def test_methodology_states_reach_date_and_version(iclient: FlaskClient) -> None:
    page = _text(iclient.get("/insights/methodology").get_data(as_text=True))
    method = store.state().method
    assert f"{int(method.urban_reach_km)} km" in page and f"{int(method.rural_reach_km)} km" in page
    assert f"Methodology version {method.version}" in page
    assert "Only services listed in Signpost" in page


def test_api_pages_the_figures_with_date_and_method(iclient: FlaskClient) -> None:
    body = iclient.get("/api/v1/insights?level=district&per_page=3&page=2").get_json()
    assert body["methodology_version"] == store.state().method.version
    assert body["data_date"] and body["demo"] is True
    assert body["page_number"] == 2 and body["size"] == 3
    assert body["total_items"] == len(store.state().places)
    row = body["contents"][0]
    assert {"code", "choice_score", "rank", "median_wait_weeks", "options"} <= set(row)
    shares = row["options"][0]
    total = sum(shares[k] for k in ("free_in_person", "in_person_paid_only", "remote_only"))
    assert total + shares["not_available"] == pytest.approx(1.0, abs=0.002)


@pytest.mark.parametrize(
    ("query", "field"),
    [("need=nope", "need"), ("age_band=0-5&need=ocd", "age_band"), ("level=street", "level")],
)
def test_api_rejects_bad_parameters(iclient: FlaskClient, query: str, field: str) -> None:
    response = iclient.get(f"/api/v1/insights?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field


def test_csv_download_has_date_and_method_on_every_row(iclient: FlaskClient) -> None:
    response = iclient.get("/api/v1/insights.csv?level=area&need=depression&age_band=18%2B")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert sorted(r["code"] for r in rows) == sorted(AREAS)
    assert all(r["methodology_version"] and r["data_date"] for r in rows)


def test_insights_responses_meet_the_openapi_description(iclient: FlaskClient) -> None:
    from tests.integration.test_openapi import assert_valid

    spec = iclient.get("/api/v1/openapi.json").get_json()
    for level in ("area", "district", "nation"):
        body = iclient.get(f"/api/v1/insights?level={level}&need=anxiety").get_json()
        assert body["contents"], level
        assert_valid(spec, "/insights", "200", body)
    assert_valid(spec, "/insights/demand", "200", iclient.get("/api/v1/insights/demand").get_json())
    error = iclient.get("/api/v1/insights?need=nope")
    assert_valid(spec, "/insights", "400", error.get_json())


def test_compute_insights_command_reports_progress(insights_app: Flask, db_session: object) -> None:
    result = insights_app.test_cli_runner().invoke(args=["compute-insights", "--full"])
    assert result.exit_code == 0, result.output
    assert f"Computed {len(store.state().places)} of {len(store.state().places)}" in result.output


# -- demand counters --------------------------------------------------------------------

SEARCH = "/search?location=LS1+1BA&need=personality&age=30&severity=unsure"


def _writes(app: Flask) -> tuple[list[str], object]:
    seen: list[str] = []

    def listen(_conn, _cursor, statement, _params, _context, _many) -> None:
        if re.match(r"\s*(INSERT|UPDATE|DELETE)", statement, re.IGNORECASE):
            seen.append(statement)

    return seen, listen


def test_a_search_writes_nothing_but_the_counter(iclient: FlaskClient, db_session) -> None:
    seen, listen = _writes(iclient.application)
    engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        response = iclient.get(SEARCH)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert response.status_code == 200
    assert seen, "a search that found a gap should count it"
    assert all(re.search(r"\bdemand_counters\b", s) for s in seen), seen
    rows = (
        db_session.execute(select(DemandCounter).where(DemandCounter.need == "personality"))
        .scalars()
        .all()
    )
    assert [(r.district, r.need, r.age_band, r.count) for r in rows] == [
        ("LS1", "personality", "18+", 1)
    ]
    assert re.fullmatch(r"\d{4}-W\d{2}", rows[0].week)
    columns = set(DemandCounter.__table__.columns.keys())
    assert columns == {"id", "district", "need", "age_band", "week", "count"}


def test_counters_switched_off_write_nothing(iclient: FlaskClient, db_session) -> None:
    seen, listen = _writes(iclient.application)
    iclient.application.config["INSIGHTS_DEMAND_COUNTERS"] = False
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        assert iclient.get(SEARCH).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
        iclient.application.config["INSIGHTS_DEMAND_COUNTERS"] = True
    assert seen == []
    counted = select(DemandCounter).where(DemandCounter.need == "personality")
    assert db_session.execute(counted).first() is None


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/match?location=LS1+1BA&need=personality&age=30&severity=unsure",
        "/gp?location=LS1+1BA&need=personality&age=30&severity=unsure",
    ],
)
def test_only_the_patient_search_page_counts(iclient: FlaskClient, db_session, url: str) -> None:
    seen, listen = _writes(iclient.application)
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        assert iclient.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert seen == []


def test_only_counts_of_ten_or_more_are_published(iclient: FlaskClient, db_session) -> None:
    db_session.add_all(
        [
            DemandCounter(district="LS1", need="ocd", age_band="18+", week="2099-W01", count=9),
            DemandCounter(district="LS2", need="ocd", age_band="18+", week="2099-W01", count=10),
        ]
    )
    db_session.flush()
    body = iclient.get("/api/v1/insights/demand?need=ocd").get_json()
    assert [(r["district"], r["count"]) for r in body["contents"]] == [("LS2", 10)]
    assert body["publish_minimum"] == 10


def test_privacy_page_states_the_rule_and_retention(iclient: FlaskClient) -> None:
    page = _text(iclient.get("/privacy").get_data(as_text=True))
    assert "only when it reaches 10 or more" in page and "after 52 weeks" in page


# -- provider dashboard ---------------------------------------------------------------------


def test_provider_dashboard_shows_gaps_filled_and_published_demand_only(
    iclient: FlaskClient, db_session
) -> None:
    from datetime import date

    from signpost.directory.search_index import get_index
    from signpost.insights.compute import Calculator
    from signpost.insights.detail import gaps_filled
    from signpost.models import Membership, Organization
    from tests.integration.test_provider_fixtures import make_user, sign_in_as

    st = store.state()
    calc = Calculator(get_index(db_session), st.method, date.today(), 365)
    segments = list(st.segments.values())
    expected = []
    for org in db_session.execute(select(Organization).order_by(Organization.name)).scalars():
        expected = gaps_filled(calc, st.places, segments, [s.id for s in org.services])
        if expected:
            break
    assert expected, "some demo organisation should be the only free provider of something"
    owner = make_user(db_session, "gap-owner@example.org")
    db_session.add(Membership(user_id=owner.id, organization_id=org.id, role="owner"))
    here = next(p for p in st.places if p.code == expected[0].district)
    db_session.add_all(
        [
            DemandCounter(
                district=here.code, need="ocd", age_band="18+", week="2099-W02", count=12
            ),
            DemandCounter(district=here.code, need="ocd", age_band="0-5", week="2099-W02", count=9),
        ]
    )
    db_session.flush()
    sign_in_as(iclient, owner)
    page = _text(iclient.get("/provider").get_data(as_text=True))
    assert "Where your listings fill a gap" in page
    first = expected[0]
    assert f"{first.service_name} is the only free, in-person {first.option}" in page
    assert f"{here.code}, " in page
    assert "12 searches" in page and "9 searches" not in page


def test_compute_insights_works_behind_a_public_address(
    insights_app: Flask, db_session: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In production only the public host is answered: work outside a request must use it."""
    from signpost.directory import search_index

    monkeypatch.setitem(insights_app.config, "PUBLIC_BASE_URL", "https://signpost.example.org")
    monkeypatch.setitem(insights_app.config, "TRUSTED_HOSTS", ["signpost.example.org"])
    monkeypatch.setitem(insights_app.config, "SERVER_NAME", None)
    search_index.init_app(insights_app)  # the loader builds its URLs afresh
    result = insights_app.test_cli_runner().invoke(args=["compute-insights", "--full"])
    assert result.exit_code == 0, result.output
