"""The patient journey over HTTP: start, results, service page, therapies, bad input."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from signpost.extensions import db
from signpost.models import Revision, Service
from signpost.vocab import get_vocabularies

CRISIS = ("999", "116 123", "85258", "option 2")


def text_of(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_start_page_asks_the_questions(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    for name in ("location", "need", "age", "severity", "modality", "delivery", "max_cost"):
        assert f'name="{name}"' in html
    assert 'action="/search"' in html and 'method="get"' in html
    assert all(line in text_of(html) for line in CRISIS)


def test_results_show_choice_panel_reasons_and_details(client: FlaskClient) -> None:
    response = client.get("/search?location=LS1+1BA&need=depression&age=30&severity=less-severe")
    assert response.status_code == 200
    page = text_of(response.get_data(as_text=True))
    assert "Your choices under NICE" in page
    assert "NG222" in page
    # Every NICE option for less severe adult depression is in the panel.
    for label in ("Guided self-help", "Counselling", "Interpersonal therapy"):
        assert label in page
    assert "Why this is suggested" in page
    assert re.search(r"\d+\.\d km away", page)
    assert "Wait" in page and "Details checked" in page
    assert all(line in page for line in CRISIS)


def test_results_are_the_same_as_the_api(client: FlaskClient) -> None:
    query = "location=LS6&need=anxiety&age=25&relational=true"
    api = client.get(f"/api/v1/match?{query}").get_json()
    html = client.get(f"/search?{query}").get_data(as_text=True)
    page_ids = re.findall(r'id="result-([0-9a-f-]{36})"', html)
    assert page_ids == [r["service"]["id"] for r in api["results"]]
    assert page_ids, "expected results in Leeds"


def test_no_guidance_need_says_so(client: FlaskClient) -> None:
    html = client.get("/search?location=Truro&need=bereavement&age=70").get_data(as_text=True)
    page = text_of(html)
    assert "NICE has no guideline on therapy for bereavement" in page
    assert 'id="result-' in html  # still ranked by fit and access, never a dead end


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("location=&need=depression", "Enter a postcode, part of a postcode or a town"),
        ("location=LS1+1BA&need=", "Select what you would like help with"),
        ("location=LS1+1BA&need=astrology", "Select what you would like help with from the list"),
        ("location=BT99+1AA&need=depression&age=30", "Northern Ireland postcode"),
        ("location=LS1+1B&need=depression&age=30", "postcode"),
        ("location=Narnia&need=depression&age=30", "Narnia"),
        ("location=LS1&need=depression&age=200", "Age must be between 0 and 120"),
        ("location=LS1&need=depression", "Enter your age, or say if you are under 18"),
        ("location=LS1&need=depression&radius_km=9999&age=30", "Distance must be between"),
    ],
)
def test_bad_input_gets_an_error_summary(client: FlaskClient, query: str, message: str) -> None:
    response = client.get(f"/search?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "nhsuk-error-summary" in html
    assert "<title>Error: " in html
    assert message in text_of(html)
    assert all(line in text_of(html) for line in CRISIS)


def test_search_stores_nothing(client: FlaskClient, db_session: object) -> None:
    def counts() -> tuple[int, int]:
        return (
            db.session.scalar(select(func.count()).select_from(Service)) or 0,
            db.session.scalar(select(func.count()).select_from(Revision)) or 0,
        )

    before = counts()
    client.get("/search?location=LS1+1BA&need=depression&age=30")
    client.get("/api/v1/match?location=LS1+1BA&need=depression&age=30")
    assert counts() == before


def test_service_page_has_next_steps(client: FlaskClient) -> None:
    api = client.get("/api/v1/match?location=LS1+1BA&need=depression&age=30").get_json()
    service = api["results"][0]["service"]
    response = client.get(service["url"])
    assert response.status_code == 200
    page = text_of(response.get_data(as_text=True))
    assert service["name"] in page
    assert "How to get this service" in page
    assert "Demonstration listing" in page  # demo data is never presented as real
    assert all(line in page for line in CRISIS)


def test_unknown_service_is_a_friendly_404(client: FlaskClient) -> None:
    response = client.get("/services/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_therapies_pages_explain_every_modality(client: FlaskClient) -> None:
    index = text_of(client.get("/therapies").get_data(as_text=True))
    for modality in get_vocabularies().modalities.values():
        assert modality.name in index
    dit = text_of(client.get("/therapies/dit").get_data(as_text=True))
    assert "What it is like" in dit and "When NICE recommends it" in dit
    assert client.get("/therapies/not-a-therapy").status_code == 404
