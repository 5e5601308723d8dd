"""Results pages across the four nations, "Which St Ives?", paging and catchment wording."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from signpost.search.presenters import catchment_text


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def strip_of(html: str) -> str:
    found = re.search(r'<aside class="signpost-crisis-strip".*?</aside>', html, re.S)
    assert found, "no crisis strip"
    return text_of(found.group(0))


@pytest.mark.parametrize(
    ("location", "shown", "hidden"),
    [
        ("LS6 3HN", ["NHS 111, option 2", "Samaritans 116 123"], ["Lifeline", "NHS 24"]),
        ("CF10 1AA", ["NHS 111 Wales, option 2"], ["Lifeline", "NHS 24"]),
        ("Edinburgh", ["NHS 24 on 111", "Breathing Space 0800 83 85 87"], ["option 2"]),
        ("Belfast", ["Lifeline 0808 808 8000", "999"], ["NHS 111", "NHS 24"]),
        ("BT74 6AA", ["Lifeline 0808 808 8000"], ["NHS 111"]),
    ],
)
def test_crisis_strip_follows_the_nation(
    client: FlaskClient, location: str, shown: list[str], hidden: list[str]
) -> None:
    response = client.get(
        "/search", query_string={"location": location, "need": "anxiety", "age": "30"}
    )
    assert response.status_code == 200
    strip = strip_of(response.text)
    for text in [*shown, "text SHOUT to 85258"]:
        assert text in strip
    for text in hidden:
        assert text not in strip


def test_shout_link_is_cross_platform(client: FlaskClient) -> None:
    html = client.get("/").text
    assert 'href="sms:85258?&amp;body=SHOUT"' in html
    assert "sms:85258&amp;body" not in html


def test_young_person_sees_childline_and_papyrus(client: FlaskClient) -> None:
    page = text_of(
        client.get("/search?location=LS1+1BA&need=depression&age=15&severity=less-severe").text
    )
    assert "Childline: 0800 1111" in page and "Papyrus HOPELINE247: 0800 068 4141" in page
    adult = text_of(client.get("/search?location=LS1+1BA&need=depression&age=40").text)
    assert "Childline: 0800 1111" not in adult and "0800 068 4141" not in adult


def test_belfast_gets_no_england_only_wording(client: FlaskClient) -> None:
    page = text_of(client.get("/search?location=Belfast&need=anxiety&age=30").text)
    assert "right to choose" not in page
    assert "anywhere in England" not in page
    assert "Northern Ireland" in page and "endorses some NICE guidance" in page
    # The other nations' lines are one tap away, for someone helping a person elsewhere.
    assert "Help for someone elsewhere in the UK" in page and "NHS 111" in page


def test_scotland_is_told_about_sign(client: FlaskClient) -> None:
    page = text_of(client.get("/search?location=EH1+1YZ&need=depression&age=30").text)
    assert "SIGN" in page and "Psychological Therapies Matrix" in page


def test_the_api_says_which_nation_and_gives_its_crisis_lines(client: FlaskClient) -> None:
    body = client.get("/api/v1/match?location=Belfast&need=anxiety&age=30").json
    assert body["location"]["nation"] == "northern-ireland"
    contacts = [line["contact"] for line in body["crisis"]]
    assert "0808 808 8000" in contacts and "111, option 2" not in contacts


def test_great_britain_only_services_are_not_offered_in_northern_ireland(
    client: FlaskClient,
) -> None:
    """The demo's national services cover Great Britain: found in Cardiff, not in Belfast."""
    query = {"need": "depression", "age": "30", "limit": "100"}
    wales = client.get("/api/v1/match", query_string={**query, "location": "Cardiff"}).json
    ni = client.get("/api/v1/match", query_string={**query, "location": "Belfast"}).json
    gb_only = {r["service"]["id"] for r in wales["results"] if r["distance_km"] is None}
    assert gb_only, "Cardiff should reach the national demo services remotely"
    assert not gb_only & {r["service"]["id"] for r in ni["results"]}


def test_england_keeps_the_right_to_choose(client: FlaskClient) -> None:
    html = client.get("/search?location=TR19+7AA&need=trauma&age=52&radius_km=5").text
    page = text_of(html)
    if "Not available near you" in page:
        assert "you have the right to choose" in page


# -- "Which St Ives?" ----------------------------------------------------------------------------


def test_shared_place_name_asks_which_one(client: FlaskClient) -> None:
    response = client.get("/search?location=St+Ives&need=anxiety&age=30&max_cost=0")
    assert response.status_code == 200
    page = text_of(response.text)
    assert "Which St Ives?" in page
    assert "near Penzance" in page and "near Cambridge" in page
    links = re.findall(r'href="(/search\?[^"]+)"', response.text)
    cornwall = next(unescape(link) for link in links if "TR26" in unescape(link))
    query = parse_qs(urlsplit(cornwall).query)
    assert query["location"] == ["St Ives (TR26)"]
    assert query["max_cost"] == ["0"] and query["need"] == ["anxiety"]  # the rest is kept
    result = client.get(cornwall)
    assert result.status_code == 200
    assert "near St Ives" in text_of(result.text)
    assert "centre of St Ives (TR26, near Penzance), England" in text_of(result.text)


# -- paging ----------------------------------------------------------------------------------


def test_every_result_is_on_some_page(client: FlaskClient) -> None:
    query = "location=LS6+3HN&need=depression&age_band=18-plus"
    first = client.get(f"/search?{query}").text
    total = int(re.search(r'data-total="(\d+)"', first).group(1))  # type: ignore[union-attr]
    assert total > 20
    seen: list[str] = []
    page = 1
    while True:
        html = client.get(f"/search?{query}&page={page}").text
        ids = re.findall(r'id="result-([0-9a-f-]{36})"', html)
        if not ids:
            break
        seen += ids
        page += 1
    assert len(seen) == len(set(seen)) == min(total, 100)
    assert f"page={page - 1}" in client.get(f"/search?{query}&page={page - 2}").text


def test_a_bad_page_number_is_an_error_not_a_crash(client: FlaskClient) -> None:
    response = client.get("/search?location=LS6&need=depression&age=30&page=zero")
    assert response.status_code == 400
    assert "Page must be a whole number" in response.text


def test_filter_results_counts_preferences(client: FlaskClient) -> None:
    html = client.get(
        "/search?location=LS6&need=depression&age=30&max_cost=0&delivery=video&delivery=phone"
    ).text
    assert "Filter results (3)" in text_of(html)
    plain = text_of(client.get("/search?location=LS6&need=depression&age=30").text)
    assert "Filter results" in plain and "Filter results (" not in plain


def test_nice_choices_fold_into_a_summary_that_names_the_counts(client: FlaskClient) -> None:
    html = client.get("/search?location=LS6+3HN&age=34&need=depression&severity=more-severe").text
    summary = re.search(r'id="nice-choices">\s*<summary.*?</summary>', html, re.S)
    assert summary, "the NICE choices should be a <details> with a summary"
    assert re.search(r"NICE names \d+ choices for you; \d+ (are|is) available", text_of(summary[0]))
    # The full table is inside the folded summary, and the first card follows it.
    table = html.index("signpost-choice__table")
    assert html.index('id="nice-choices"') < table < html.index('class="signpost-result nhsuk-card')


# -- catchment wording ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("national", "areas", "radius", "expected"),
    [
        (False, [("postcode-area", "TR", "Cornwall and the Isles of Scilly")], None,
         "Cornwall and the Isles of Scilly"),
        (True, [("national", "england", None)], None, "Anywhere in England"),
        (True, [("national", v, None) for v in ("england", "wales", "scotland")], None,
         "Anywhere in Great Britain"),
        (True, [], None, "Anywhere in the UK"),
        (False, [("postcode-area", "LS", None), ("postcode-area", "BD", None)], None,
         "People living in postcode areas LS and BD"),
        (False, [("radius", "25", None)], None,
         "People living within 25 km of where the service is"),
        (False, [], 10.0, "People living within 10 km of where the service is"),
        (False, [], None, None),
    ],
)  # fmt: skip
def test_catchment_text_is_words_not_codes(
    national: bool, areas: list[tuple[str, str, str | None]], radius: float | None, expected: str
) -> None:
    assert catchment_text(national, areas, radius) == expected


def test_long_district_lists_are_shortened() -> None:
    text = catchment_text(False, [("postcode-district", f"LS{n}", None) for n in range(30)], None)
    assert text is not None and "25 more" in text and "LS29" not in text


# -- far in-person sites -----------------------------------------------------------------------


def test_rural_in_person_sites_beyond_the_radius_are_shown_with_distance(
    client: FlaskClient,
) -> None:
    """TR19 (far west Cornwall): Talking Therapies Cornwall's nearest site is about 34 km. The
    person says no restriction applies, so the restricted service nearer by is left out."""
    url = "/search?location=TR19+7AA&age=52&need=trauma&circumstance=none"
    page = text_of(client.get(url).text)
    assert re.search(r"In person at [A-Z][\w ]+, \d+ km away, or remotely", page)
    assert "In person, further away:" in page and "Individual trauma-focused CBT (nearest" in page
    assert "Not available near you: Individual trauma-focused CBT" not in page
    assert "Remote ·" not in page  # the old label for everything without a near site


# -- service page details ---------------------------------------------------------------------


def first_result_url(client: FlaskClient, query: str, wanted: str) -> str:
    html = client.get(f"/search?{query}").text
    for href, name in re.findall(r'<a class="nhsuk-card__link" href="([^"]+)">([^<]+)</a>', html):
        if wanted in unescape(name):
            return unescape(href)
    raise AssertionError(f"no result named {wanted!r}")


def test_service_page_is_tappable_and_in_words(client: FlaskClient) -> None:
    url = first_result_url(
        client, "location=LS6+3HN&need=depression&age=34&limit=100", "LGBTQ+ counselling by phone"
    )
    html = client.get(url).text
    page = text_of(html)
    assert "nhsuk-action-link" in html and "Refer yourself online" in page
    assert re.search(r'href="tel:0\d{9,10}"', html)
    assert "LGBTQ+ people" in page and "; lgbtq" not in page
    assert "Who can use it, by where they live: Anywhere in Great Britain" in page
    assert "About 0 weeks" not in page and "Free. Free" not in page


def test_result_cards_make_referral_contacts_tappable(client: FlaskClient) -> None:
    html = client.get("/search?location=LS6+3HN&need=depression&age=34").text
    card = html[html.index('class="signpost-result nhsuk-card') :]
    assert re.search(r'How to get it.*?<a href="(tel:|https://)', card, re.S)


# -- My therapy preferences -------------------------------------------------------------------


def test_preferences_page_is_built_from_the_url_alone(client: FlaskClient) -> None:
    query = "location=LS1+1BA&need=depression&age=34&severity=more-severe"
    results = client.get(f"/search?{query}").text
    assert "/my-preferences?" in results
    form = client.get(f"/my-preferences?{query}")
    assert form.status_code == 200
    assert 'name="prefer"' in form.text and 'name="service"' in form.text
    service_id = re.search(r'name="service"[^>]*value="([0-9a-f-]{36})"', form.text)
    assert service_id
    page = client.get(f"/my-preferences?{query}&prefer=2&service={service_id[1]}")
    text = text_of(page.text)
    assert "I would prefer:" in text and "How to start:" in text
    assert "Signed:" in text and "Why I prefer this" in text
    assert "near LS1." in text and "LS1 1BA" not in text.replace(" ", " ")  # outward code only
    assert 'method="post"' not in page.text  # nothing is sent to be stored


def test_preferences_page_needs_a_valid_search(client: FlaskClient) -> None:
    response = client.get("/my-preferences?need=depression")
    assert response.status_code == 400
    assert "Enter a postcode" in response.text


def test_a_nice_option_link_filters_the_results_to_it(client: FlaskClient) -> None:
    """Couples therapy was #23 for this search: the panel's link reaches it."""
    query = "location=LS6+3HN&age=34&need=depression&severity=more-severe"
    html = client.get(f"/search?{query}").text
    links = dict(
        (unescape(label), unescape(href))
        for href, label in re.findall(
            r'<li><a href="(/search\?[^"]*offers=\d+[^"]*)">([^<]+)</a></li>', html
        )
    )
    assert "Behavioural couples therapy" in links
    filtered = client.get(links["Behavioural couples therapy"]).text
    names = [unescape(n) for n in re.findall(r'class="nhsuk-card__link"[^>]*>([^<]+)<', filtered)]
    assert names and any("couples" in name.lower() for name in names)
    assert "Showing only services that offer Behavioural couples therapy" in text_of(filtered)
    assert client.get(f"/search?{query}&offers=x").status_code == 400
