"""Who a service is only for, on the card, the service page, the GP table and the handout."""

from __future__ import annotations

import re
from html import escape

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from signpost.models import Service

SEARCH = "location=LS1+1BA&need=depression&age=30&severity=more-severe&limit=100"
ONLY_PERINATAL = "Only for people who are pregnant or had a baby in the last year"


def _cards(html: str) -> list[str]:
    return html.split('<li class="signpost-result')[1:]


def test_search_lists_restricted_services_last_with_who_they_are_for(client: FlaskClient) -> None:
    html = client.get(f"/search?{SEARCH}").text
    flags = ["signpost-only-for" in card for card in _cards(html)]
    assert True in flags and flags == sorted(flags)
    assert escape(ONLY_PERINATAL) in html
    assert "Do any of these apply to you? (optional)" in html
    assert "None of these" in html


def test_none_of_these_hides_restricted_services(client: FlaskClient) -> None:
    html = client.get(f"/search?{SEARCH}&circumstance=none").text
    assert _cards(html)
    assert not any("signpost-only-for" in card for card in _cards(html))
    assert re.search(r'value="none"[^>]*checked', html)


def test_low_intensity_is_said_on_the_card_for_more_severe(client: FlaskClient) -> None:
    html = client.get(f"/search?{SEARCH}&circumstance=none").text
    courses = [c for c in _cards(html) if "guided self-help and courses" in c]
    assert courses and all("signpost-low-intensity" in c for c in courses)


def test_the_page_says_why_low_intensity_and_restricted_services_come_later(
    client: FlaskClient,
) -> None:
    unsure = client.get("/search?location=LS1+1BA&need=depression&age=30").text
    assert "so it may be more severe" in unsure
    assert "Services only for some people" in unsure
    answered = client.get(f"/search?{SEARCH}&circumstance=none").text
    assert "NICE suggests therapy with more time" in answered
    assert "Services only for some people" not in answered


def test_start_page_asks_the_optional_question(client: FlaskClient) -> None:
    html = client.get("/").text
    assert "Do any of these apply to you? (optional)" in html
    assert "I have served in the UK armed forces" in html


def test_service_page_says_who_it_is_for(client: FlaskClient, db_session: Session) -> None:
    team = (
        db_session.execute(
            select(Service).where(Service.name.like("%Perinatal Mental Health Team"))
        )
        .scalars()
        .first()
    )
    assert team is not None
    html = client.get(f"/services/{team.id}").text
    assert escape(ONLY_PERINATAL) in html


def test_gp_table_and_handout_say_who_it_is_for(client: FlaskClient) -> None:
    html = client.get(f"/gp?{SEARCH}").text
    assert escape(ONLY_PERINATAL) in html
    rows = html.split('<tr class="nhsuk-table__row" role="row">')[1:]
    restricted = [r for r in rows if escape(ONLY_PERINATAL) in r]
    service_id = re.search(r'name="service" type="checkbox" value="([^"]+)"', restricted[0])
    assert service_id is not None
    handout = client.get(f"/gp/handout?{SEARCH}&service={service_id.group(1)}").text
    assert escape(ONLY_PERINATAL) in handout
    assert "check this applies to you" in handout


def test_gp_circumstance_answer_is_kept_and_applied(client: FlaskClient) -> None:
    html = client.get(f"/gp?{SEARCH}&circumstance=perinatal").text
    assert re.search(r'value="perinatal"[^>]*checked', html)
    assert escape(ONLY_PERINATAL) in html


def test_unknown_circumstance_is_an_error_on_the_page(client: FlaskClient) -> None:
    response = client.get(f"/search?{SEARCH}&circumstance=astronaut")
    assert response.status_code in (200, 400)
    assert "Select from the list of circumstances" in response.text
