"""Urgent needs get what to do today; statutory routes never vanish; no search is a dead end.

Pages (patient results, GP mode, the handout) and the match API, on the demo directory.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from sqlalchemy import select

from signpost.extensions import db
from signpost.models import Organization, Service
from signpost.search.presenters import STATUTORY_STALE

URGENT = {
    "self-harm": "self-harm",
    "psychosis": "psychosis",
    "eating-disorder": "eating-disorder",
    "perinatal": "perinatal",
    "depression": "thoughts-of-suicide",
}


def page(client: FlaskClient, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    return BeautifulSoup(response.text, "html.parser")


def _age_stale_eip(place: str) -> Service:
    """Make the place's Early Intervention listing over a year old, as in the review."""
    eip = db.session.execute(
        select(Service)
        .join(Organization)
        .where(Service.name == f"{place} Early Intervention in Psychosis")
    ).scalar_one()
    eip.last_verified_on = date.today() - timedelta(days=400)
    db.session.commit()
    return eip


@pytest.mark.parametrize(("need", "panel"), URGENT.items())
def test_urgent_needs_show_their_panel_before_the_results(
    client: FlaskClient, need: str, panel: str
) -> None:
    soup = page(client, f"/search?location=LS6+3HN&need={need}&age=16")
    section = soup.select_one("section.signpost-urgent")
    assert section is not None and section["data-urgent"] == panel
    steps = [li["data-step"] for li in section.select("li[data-step]")]
    assert set(steps) == {"gp-today", "nhs-111", "emergency"}
    assert section.select_one("[data-route]").get_text(strip=True).startswith("The NHS route")
    # Above any routine list: the panel comes before the first result card.
    html = str(soup)
    first_card = html.find('class="signpost-result')
    assert first_card == -1 or html.find("signpost-urgent") < first_card
    # A 16-year-old is shown the young people's lines.
    assert "Childline" in section.get_text() and "0800 068 4141" in section.get_text()


def test_routine_needs_have_no_urgent_panel(client: FlaskClient) -> None:
    soup = page(client, "/search?location=LS6+3HN&need=panic&age=30")
    assert soup.select_one("section.signpost-urgent") is None


def test_adults_are_not_shown_childline_in_the_panel(client: FlaskClient) -> None:
    soup = page(client, "/search?location=LS6+3HN&need=psychosis&age=40")
    text = soup.select_one("section.signpost-urgent").get_text()
    assert "Childline" not in text and "Samaritans" in text


def test_stale_early_intervention_listing_stays_flagged(client: FlaskClient) -> None:
    eip = _age_stale_eip("Brighton and Hove")
    soup = page(client, "/search?location=BN1+1AA&need=psychosis&age=15")
    card = soup.select_one(f"#result-{eip.id}")
    assert card is not None, "the stale NHS route must stay in the results"
    assert STATUTORY_STALE in card.get_text()
    # The urgent panel points to it by name, with the same warning.
    panel = soup.select_one("section.signpost-urgent").get_text(" ", strip=True)
    assert eip.name in panel and STATUTORY_STALE in panel


def test_stale_listing_flag_reaches_gp_mode_and_the_api(client: FlaskClient) -> None:
    eip = _age_stale_eip("Brighton and Hove")
    gp = page(client, "/gp?location=BN1+1AA&need=psychosis&age=15")
    assert eip.name in gp.get_text() and STATUTORY_STALE in gp.get_text()
    body = client.get("/api/v1/match?location=BN1+1AA&need=psychosis&age=15").get_json()
    found = [r for r in body["results"] if r["service"]["id"] == eip.id]
    assert found and STATUTORY_STALE in found[0]["details_may_be_out_of_date"]
    assert body["urgent"]["key"] == "psychosis" and "young_people" in body["urgent"]


def test_stale_nhs_route_keeps_its_warning_on_the_handout(client: FlaskClient) -> None:
    eip = _age_stale_eip("Brighton and Hove")
    handout = page(client, f"/gp/handout?location=BN1+1AA&need=psychosis&age=15&service={eip.id}")
    entry = handout.select_one(f'[data-service-id="{eip.id}"]').get_text(" ", strip=True)
    assert STATUTORY_STALE in entry


def test_stale_charity_listing_is_hidden(client: FlaskClient) -> None:
    charity = db.session.execute(
        select(Service).join(Organization).where(Organization.sector == "charity").limit(1)
    ).scalar_one()
    charity.last_verified_on = date.today() - timedelta(days=400)
    db.session.commit()
    need = sorted(charity.needs)[0]
    low = charity.minimum_age or 30
    body = client.get(f"/api/v1/match?location=LS6&need={need}&age={low}&limit=100").get_json()
    assert charity.id not in {r["service"]["id"] for r in body["results"]}


def test_old_capacity_and_waits_show_their_date(client: FlaskClient) -> None:
    service = db.session.execute(
        select(Service).where(Service.name == "Talking Therapies Leeds: one-to-one therapy")
    ).scalar_one()
    service.last_verified_on = date.today() - timedelta(days=120)
    service.capacity = "accepting"
    for wait in service.waits:
        wait.as_of = date.today() - timedelta(days=120)
    db.session.commit()
    soup = page(client, "/search?location=LS6+3HN&need=depression&age=34&limit=100")
    card = soup.select_one(f"#result-{service.id}").get_text(" ", strip=True)
    dated = (date.today() - timedelta(days=120)).strftime("%B %Y")
    assert "Taking new referrals (as of" in card and dated in card.split("Wait")[-1]


def test_fresh_capacity_has_no_date_warning(client: FlaskClient) -> None:
    service = db.session.execute(
        select(Service).where(Service.name == "Talking Therapies Leeds: one-to-one therapy")
    ).scalar_one()
    service.last_verified_on = date.today() - timedelta(days=10)
    service.capacity = "accepting"
    db.session.commit()
    soup = page(client, "/search?location=LS6+3HN&need=depression&age=34&limit=100")
    card = soup.select_one(f"#result-{service.id}").get_text(" ", strip=True)
    assert "Taking new referrals" in card and "Taking new referrals (as of" not in card


def _links(soup: BeautifulSoup) -> dict[str, dict[str, str]]:
    return {
        li["data-way"]: dict(parse_qsl(urlsplit(li.a["href"]).query))
        for li in soup.select("li[data-way]")
    }


def test_zero_results_offer_one_tap_ways_forward(client: FlaskClient) -> None:
    url = (
        "/search?location=Truro&need=bipolar&age=70&delivery=in-person&max_cost=0"
        "&self_referral=true&radius_km=5"
    )
    soup = page(client, url)
    assert not soup.select(".signpost-result")
    links = _links(soup)
    assert set(links) >= {"widen_distance", "include_remote", "drop_max_cost", "drop_self_referral"}
    assert links["widen_distance"]["radius_km"] == "50"
    assert "max_cost" not in links["drop_max_cost"] and links["drop_max_cost"]["age"] == "70"
    doors = [li["data-door"] for li in soup.select("li[data-door]")]
    assert doors == ["gp", "talking-therapies"]
    # Each link finds something, or at least is a valid search.
    assert client.get(soup.select_one("li[data-way] a")["href"]).status_code == 200


def test_young_person_with_panic_is_never_at_a_dead_end(client: FlaskClient) -> None:
    soup = page(client, "/search?location=LS6+3HN&need=panic&age=15")
    # The demo directory has no panic service a 15-year-old can use (the review's B12).
    assert not soup.select(".signpost-result")
    doors = [li["data-door"] for li in soup.select("li[data-door]")]
    assert doors == ["gp", "camhs", "school-nurse"]
    assert "Childline" in soup.select_one("#ways-forward").get_text()
    assert "widen_distance" in _links(soup)


def test_gp_mode_zero_results_link_back_to_gp_mode(client: FlaskClient) -> None:
    soup = page(client, "/gp?location=LS6+3HN&need=panic&age=15&radius_km=1&max_cost=0")
    assert not soup.select("input[name=service]")
    hrefs = [li.a["href"] for li in soup.select("li[data-way]")]
    assert hrefs and all(h.startswith("/gp?") for h in hrefs)


def test_not_sure_shows_front_doors_and_ranks_nhs_front_doors_first(client: FlaskClient) -> None:
    body = client.get("/api/v1/match?location=LS6+3HN&need=not-sure&age=15").get_json()
    assert [d["key"] for d in body["front_doors"]] == ["gp", "camhs", "school-nurse"]
    first = body["results"][0]["service"]
    assert first["organization"]["sector"] == "nhs" and "not-sure" in first["needs"]
    assert "Early Intervention" not in first["name"]
    adult = client.get("/api/v1/match?location=LS6+3HN&need=not-sure&age=35").get_json()
    assert adult["results"][0]["service"]["name"].startswith("Talking Therapies")


def test_handout_for_an_urgent_need_carries_the_panel(client: FlaskClient) -> None:
    soup = page(client, "/gp?location=LS6+3HN&need=self-harm&age=30")
    ticked = soup.select_one("input[name=service]")["value"]
    handout = page(client, f"/gp/handout?location=LS6+3HN&need=self-harm&age=30&service={ticked}")
    panel = handout.select_one("section.signpost-urgent--compact")
    assert panel is not None and panel["data-urgent"] == "self-harm"


def test_api_asks_for_an_age_and_accepts_a_band(client: FlaskClient) -> None:
    missing = client.get("/api/v1/match?location=LS6&need=depression")
    assert missing.status_code == 400
    assert missing.get_json()["error"]["code"] == "age_required"
    band = client.get("/api/v1/match?location=LS6&need=depression&age_band=under-18")
    assert band.status_code == 200
    for result in band.get_json()["results"]:
        assert result["service"].get("minimum_age", 0) <= 17


def test_the_page_asks_for_an_age_instead_of_assuming_an_adult(client: FlaskClient) -> None:
    response = client.get("/search?location=LS6+3HN&need=depression")
    assert response.status_code == 400
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("#age") is not None and soup.select_one("input[name=age_band]")
    assert "Enter your age, or say if you are under 18" in soup.get_text()
    assert not soup.select(".signpost-result")


@pytest.mark.parametrize(
    ("location", "expected", "not_expected"),
    [
        ("LS6+3HN", "option 2", "Lifeline"),
        ("CF10+1EP", "in Wales", "in England"),
        ("G1+1XQ", "Mental Health Hub", "option 2"),
        ("BT1+5GS", "Northern Ireland", "NHS 111"),
    ],
)
def test_urgent_steps_give_the_nhs_line_of_the_persons_nation(
    client: FlaskClient, location: str, expected: str, not_expected: str
) -> None:
    soup = page(client, f"/search?location={location}&need=self-harm&age=30")
    steps = " ".join(li.get_text(" ") for li in soup.select(".signpost-urgent__steps li"))
    assert expected in steps and not_expected not in steps
    body = client.get(f"/api/v1/match?location={location}&need=self-harm&age=30").get_json()
    api_steps = " ".join(step["text"] for step in body["urgent"]["steps"])
    assert expected in api_steps and not_expected not in api_steps
