"""The search page, therapy pages, GP page and match API agree on NICE status, order and
verification, and show what used to be hidden (issue 11, hazards H5, H6, H12, H13, H14)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask.testing import FlaskClient

from signpost.nice import UNDER_REVIEW_NOTICE, get_nice

ORDER_CAPTION = "The order is the one NICE suggests talking about first"


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return text_of(response.get_data(as_text=True))


# ---------------------------------------------------------------------- therapy pages


def test_dit_page_says_nice_names_stpp_not_dit(client: FlaskClient) -> None:
    text = page(client, "/therapies/dit")
    assert "NICE does not name Dynamic interpersonal therapy (DIT) itself" in text
    assert "It names Short-term psychodynamic psychotherapy (STPP)" in text
    assert "used in NHS Talking Therapies" in text
    assert "Social anxiety" not in text  # CG159's STPP was developed for social anxiety


def test_therapy_pages_show_option_level_review(client: FlaskClient) -> None:
    emdr = page(client, "/therapies/emdr")
    assert UNDER_REVIEW_NOTICE in emdr and emdr.count("(being checked)") == 3
    tf = page(client, "/therapies/trauma-focused-cbt")
    adult = re.search(r"Trauma and PTSD \(adults\): [^.]*?\(NG116\)( \(being checked\))?", tf)
    assert adult is not None and adult.group(1) is None  # confirmed from NICE's pathway
    assert (
        "Trauma and PTSD (children aged 5 to 11): NICE: first-line option (NG116) (being checked)"
        in tf
    )


def test_therapy_pages_use_the_guideline_condition_and_age(client: FlaskClient) -> None:
    text = page(client, "/therapies/cbt")
    assert "chronic primary pain" in text.casefold()
    assert "(people aged 16 to 17): NICE: an option (NG193)" in text
    assert "persistent physical symptoms" not in text
    ocd = page(client, "/therapies/cbt")
    assert "Published in 2005" in ocd  # CG31's currency note


def test_therapy_page_shows_other_nice_choices(client: FlaskClient) -> None:
    text = page(client, "/therapies/behavioural-activation")
    assert "Other NICE choices, to talk about with your GP" in text
    assert "Antidepressant medication on its own" in text


# ---------------------------------------------------------------------- search page and GP page


SEVERE = "location=LS1+1BA&need=depression&age=30&severity=more-severe"


@pytest.mark.parametrize("path", ["/search", "/gp"])
def test_panel_shows_medication_order_and_one_review_notice(client: FlaskClient, path: str) -> None:
    text = page(client, f"{path}?{SEVERE}")
    assert "CBT here, plus an antidepressant from your GP" in text
    assert "Other NICE choices: talk to your GP" in text
    assert "Antidepressant medication on its own" in text
    assert ORDER_CAPTION in text
    assert text.count(UNDER_REVIEW_NOTICE) == 1
    assert "NICE lists this under review" not in text and "Under review" not in text
    assert "Not yet confirmed against NICE's own wording" in text
    assert "Counselling" in text.split("Not yet confirmed against NICE's own wording")[1][:300]


def test_no_order_caption_when_two_lists_are_merged(client: FlaskClient) -> None:
    text = page(client, "/search?location=LS1+1BA&need=depression&age=30&severity=unsure")
    assert ORDER_CAPTION not in text
    assert "Where NICE suggests an order" in text or "NICE does not put them in an order" in text


def test_panel_shows_currency_not_offered_and_missing_guidance(client: FlaskClient) -> None:
    ocd = page(client, "/search?location=LS1+1BA&need=ocd&age=30")
    assert "CG31: Published in 2005" in ocd
    body = page(client, "/search?location=LS1+1BA&need=physical-symptoms&age=30")
    assert "NICE says these should not be offered" in body
    assert "Lightning Process" in body and "(still being checked)" in body
    assert "NICE guidance we have not added yet" in body and "CG61" in body
    assert "NICE option for persistent physical symptoms" not in body


def test_handout_keeps_medication_choices_and_order_honest(client: FlaskClient) -> None:
    api = client.get(f"/api/v1/match?{SEVERE}").get_json()
    chosen = api["results"][0]["service"]["id"]
    text = page(client, f"/gp/handout?{SEVERE}&service={chosen}")
    assert "Other NICE choices: talk to your GP." in text and "such as medication" in text
    assert "the order is a guide" in text
    psychosis = "location=LS1+1BA&need=psychosis&age=30"
    other = client.get(f"/api/v1/match?{psychosis}").get_json()["results"][0]["service"]["id"]
    assert "the order is a guide" not in page(client, f"/gp/handout?{psychosis}&service={other}")


# ---------------------------------------------------------------------- API


def test_api_carries_verification_medication_and_gaps(client: FlaskClient) -> None:
    nice = client.get(f"/api/v1/match?{SEVERE}").get_json()["nice"]
    assert nice["review_notice"] == UNDER_REVIEW_NOTICE
    assert nice["order"] == "all"
    assert any("Antidepressant medication on its own" in t for t in nice["other_treatments"])
    first = nice["options"][0]
    assert first["label"] == "CBT here, plus an antidepressant from your GP"
    assert first["verified"] and first["evidence"] == "C" and first["verified_on"]
    assert first["sources"][0]["url"].startswith("https://")
    stpp = next(o for o in nice["options"] if o.get("kind") == "stpp")
    assert not stpp["verified"] and stpp["review"]
    for result in client.get(f"/api/v1/match?{SEVERE}").get_json()["results"]:
        assert "nice_under_review" not in {r["code"] for r in result["reasons"]}
    body = client.get("/api/v1/match?location=LS1+1BA&need=physical-symptoms&age=30").get_json()
    assert {"CG61", "CG91"} <= {g["guideline"] for g in body["nice"]["not_yet_added"]}
    assert body["nice"]["not_offered"] and not body["nice"]["not_offered"][0]["verified"]
    ocd = client.get("/api/v1/match?location=LS1+1BA&need=ocd&age=30").get_json()
    assert ocd["nice"]["guidelines"][0]["currency_note"].startswith("Published in 2005")


def test_pages_and_api_agree_on_every_option(client: FlaskClient) -> None:
    """Status, order and verification of each option are one fact, whichever way it is read."""
    advice = get_nice().advise("depression", 30, "more-severe")
    api = client.get(f"/api/v1/match?{SEVERE}").get_json()["nice"]["options"]
    assert [(o["label"], o["status"], o.get("order"), o["verified"]) for o in api] == [
        (o.label, o.status, o.order, o.verified) for o in advice.options
    ]
