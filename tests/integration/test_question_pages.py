"""The question-page start: one thing per page, answers carried in the URL, no JavaScript."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlencode

from flask.testing import FlaskClient


def fields(html: str) -> set[str]:
    """Names of the visible (non-hidden) fields on a page's main form."""
    inputs = re.findall(r"<(?:input|select)\b[^>]*>", html)
    return {
        m.group(1)
        for tag in inputs
        if 'type="hidden"' not in tag and (m := re.search(r'name="([^"]+)"', tag))
    } - {"csrf_token"}


def hidden(html: str) -> list[tuple[str, str]]:
    return [
        (unescape(n), unescape(v))
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    ]


def answer(client: FlaskClient, html: str, **given: str) -> str:
    pairs = hidden(html) + list(given.items())
    response = client.get(f"/questions?{urlencode(pairs)}")
    assert response.status_code == 200, response.text
    return response.text


def test_one_question_a_page_then_the_results(client: FlaskClient) -> None:
    page = client.get("/questions").text
    assert "<h1>Where are you?</h1>" in page and fields(page) == {"location"}
    page = answer(client, page, location="LS6 3HN")
    assert "What would you like help with?" in page and fields(page) == {"need"}
    page = answer(client, page, need="depression")
    assert fields(page) == {"age", "age_band"}  # an age, or under 18 / 18 and over
    page = answer(client, page, age="34")
    assert fields(page) == {"severity"}  # asked only about depression
    page = answer(client, page, severity="more-severe")
    assert "Is there anything else that matters to you?" in page
    assert 'action="/search"' in page
    carried = dict(hidden(page))
    assert carried == {
        "location": "LS6 3HN", "need": "depression", "age": "34", "severity": "more-severe"
    }  # fmt: skip
    results = client.get(f"/search?{urlencode(hidden(page))}")
    assert results.status_code == 200 and "Therapy for feeling low" in results.text


def test_severity_is_skipped_for_other_needs(client: FlaskClient) -> None:
    page = client.get("/questions?" + urlencode({"location": "Leeds", "step": "where"})).text
    page = answer(client, page, need="anxiety")
    page = answer(client, page, age="", age_band="18-plus")
    assert "Is there anything else that matters to you?" in page
    assert ("age_band", "18-plus") in hidden(page)


def test_a_missing_answer_asks_again_with_an_error(client: FlaskClient) -> None:
    response = client.get("/questions?step=where&location=")
    assert response.status_code == 400
    assert "<title>Error: Where are you?" in response.text
    assert "Enter a postcode, part of a postcode or a town" in response.text
    wrong = client.get("/questions?" + urlencode({"location": "LS6", "step": "age", "age": "x"}))
    assert wrong.status_code == 400 and "Enter your age in years" in wrong.text
    blank = client.get("/questions?" + urlencode({"location": "LS6", "step": "age", "age": ""}))
    assert blank.status_code == 400 and "Enter your age, or say if you are under 18" in blank.text


def test_back_link_returns_to_the_previous_question(client: FlaskClient) -> None:
    page = client.get("/questions?" + urlencode({"location": "LS6", "step": "where"})).text
    back = unescape(re.search(r'class="nhsuk-back-link" href="([^"]+)"', page)[1])  # type: ignore[index]
    again = client.get(back).text
    assert "<h1>Where are you?</h1>" in again and 'value="LS6"' in again


def test_start_page_offers_both_ways(client: FlaskClient) -> None:
    page = client.get("/").text
    assert 'href="/questions"' in page
    assert {"location", "need", "age"} <= fields(page)
