"""GP handout and record text: plain functions, no Flask, no database."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from signpost.crisis import crisis_lines
from signpost.geo.geocoder import ResolvedLocation
from signpost.gp import handout
from signpost.gp.handout import Contact
from signpost.matcher.records import Wait
from signpost.nice import get_nice

TODAY = date(2026, 3, 4)
PHONE = "0113 496 0100"
SITE = "https://www.talking.example.org/"


def test_clean_ids_trims_dedupes_and_drops_junk() -> None:
    raw = [" a ", "b", "a", "", "x" * 65, "c"]
    assert handout.clean_ids(raw) == ["a", "b", "c"]


def test_clean_ids_looks_at_a_bounded_number() -> None:
    assert len(handout.clean_ids(str(n) for n in range(10_000))) == handout.MAX_IDS_CONSIDERED


SELECTIONS = [
    # ticked, in the results, known public services, chosen, notices containing
    (["a", "b"], ["a", "b", "c"], {}, ("a", "b"), []),
    (["c", "a"], ["a", "b", "c"], {}, ("c", "a"), []),  # the order ticked
    (
        ["a", "b", "c", "d", "e", "f", "g"],
        list("abcdefg"),
        {},
        ("a", "b", "c", "d", "e"),
        ["You selected 7 services. A handout has room for 5, so it shows the first 5."],
    ),
    (["a", "zz"], ["a"], {}, ("a",), ["1 service you selected could not be found"]),
    (["zz", "yy"], ["a"], {}, (), ["2 services you selected could not be found"]),
    (
        ["a", "far"],
        ["a"],
        {"far": "Truro counselling"},
        ("a",),
        ["Truro counselling is not in the results for this search"],
    ),
    ([], ["a"], {}, (), []),
]


@pytest.mark.parametrize(("ticked", "results", "known", "chosen", "notices"), SELECTIONS)
def test_select_services(
    ticked: list[str],
    results: list[str],
    known: dict[str, str],
    chosen: tuple[str, ...],
    notices: list[str],
) -> None:
    selection = handout.select_services(ticked, results, known)
    assert selection.chosen == chosen
    assert len(selection.notices) == len(notices)
    for notice, expected in zip(selection.notices, notices, strict=True):
        assert expected in notice


SELF, GP, PRO, SCHOOL = "self-referral", "gp-referral", "professional-referral", "school-referral"
REFERRALS = [
    (
        [SELF],
        Contact(PHONE, SITE),
        None,
        f"Refer yourself: call {PHONE} or go to talking.example.org.",
    ),
    (
        [SELF],
        Contact(website="http://x.example.org/a/"),
        None,
        "Refer yourself: go to x.example.org/a.",
    ),
    ([SELF], Contact(email="hi@example.org"), None, "Refer yourself: email hi@example.org."),
    ([SELF], Contact(), None, "Refer yourself."),
    (
        [SELF, GP],
        Contact(PHONE),
        None,
        f"Refer yourself: call {PHONE}. Your GP can refer you instead.",
    ),
    (
        [SELF],
        Contact(PHONE),
        "  Use the form at example.org/a.  ",
        "Use the form at example.org/a.",
    ),
    ([GP], Contact(PHONE), "Ask your GP.", "Your GP will refer you."),
    ([GP, PRO], Contact(), None, "Your GP will refer you."),
    (
        [PRO],
        Contact(),
        None,
        "A health or care professional needs to refer you: your GP can arrange this.",
    ),
    ([SCHOOL], Contact(), None, "Your school can refer you: ask a teacher or the school nurse."),
    ([], Contact(), None, "Contact the service to ask how to start."),
]


@pytest.mark.parametrize(("routes", "contact", "provider_text", "expected"), REFERRALS)
def test_how_to_refer(
    routes: list[str], contact: Contact, provider_text: str | None, expected: str
) -> None:
    assert handout.how_to_refer(routes, contact, provider_text) == expected


@pytest.mark.parametrize(
    ("wait", "expected"),
    [
        (None, "Not published"),
        (Wait(None, None, TODAY), "Not published"),
        (Wait(2, 8, TODAY), "2 wk to assess, 8 wk to start"),
        (Wait(None, 12, TODAY), "12 wk to start"),
        (Wait(0, None, TODAY), "0 wk to assess"),
    ],
)
def test_compact_wait(wait: Wait | None, expected: str) -> None:
    assert handout.compact_wait(wait) == expected


@pytest.mark.parametrize(
    ("cost", "expected"),
    [
        (("free", None, None), "Free"),
        (("donation", None, None), "Free (donations welcome)"),
        (("sliding-scale", 25.0, 70.0), "£25 to £70, by income"),
        (("sliding-scale", None, None), "By income"),
        (("fixed", 20.0, None), "£20 a session"),
        (("fixed", None, None), "Fees apply"),
    ],
)
def test_compact_cost(cost: tuple[str, float | None, float | None], expected: str) -> None:
    assert handout.compact_cost(*cost) == expected


def test_compact_distance() -> None:
    assert handout.compact_distance(None) == "Remote"
    assert handout.compact_distance(2.345) == "2.3 km"


def test_referral_short_keeps_a_fixed_order() -> None:
    assert handout.referral_short({"gp-referral", "self-referral"}) == ["Self-referral", "GP"]


def _location(precision: str, name: str, outcode: str | None, area: str | None) -> ResolvedLocation:
    return ResolvedLocation(name, 53.8, -1.55, precision, outcode, area)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (_location("postcode", "LS1 1BA", "LS1", "LS"), "LS1"),
        (_location("sector", "LS1 1 (partial postcode)", "LS1", "LS"), "LS1"),
        (_location("outcode", "LS1 (partial postcode)", "LS1", "LS"), "LS1"),
        (_location("area", "LS (postcode area)", None, "LS"), "LS"),
        (_location("place", "Truro", "TR1", "TR"), "Truro"),
    ],
)
def test_record_area_never_has_a_full_postcode(location: ResolvedLocation, expected: str) -> None:
    assert handout.record_area(location) == expected


def test_why_chosen_keeps_reasons_not_facts() -> None:
    reasons = [
        {"code": "nice_first_line", "text": "NICE first-line option"},
        {"code": "nice_under_review", "text": "NICE lists this under review"},
        {"code": "preference_modality", "text": "Offers counselling, which you asked for"},
        {"code": "specialist", "text": "Specialises in depression"},
        {"code": "distance", "text": "1.2 km away"},
        {"code": "cost_free", "text": "Free"},
        {"code": "wait_short", "text": "Wait about 2 weeks"},
        {"code": "self_referral", "text": "You can refer yourself"},
        {"code": "stale_flag", "text": "Details checked 8 months ago"},
    ]
    # Joined with semicolons on paper: only the first reason starts with a capital.
    assert handout.why_chosen(reasons) == (
        "NICE first-line option",
        "offers counselling, which you asked for",
        "specialises in depression",
        "details checked 8 months ago",
    )


def test_nice_choice_groups_options_best_first() -> None:
    advice = get_nice().advise("depression", 34, "more-severe")
    choice = handout.nice_choice(advice)
    assert choice.has_guidance
    assert choice.groups[0].heading == "Usually offered first"
    headings = [g.heading for g in choice.groups]
    order = [h for _, h, _ in handout.STATUS_GROUPS]
    assert headings == sorted(headings, key=order.index)
    labels = [label for group in choice.groups for label in group.labels]
    assert labels == [o.label for o in advice.options if o.recommended]
    assert [g.id for g in choice.guidelines] == ["NG222"]


def test_nice_choice_without_guidance_says_so() -> None:
    advice = get_nice().advise("bereavement", 40)
    choice = handout.nice_choice(advice)
    assert not choice.has_guidance and choice.groups == ()
    assert choice.message == advice.message


def _service(service_id: str, name: str, how: str) -> handout.HandoutService:
    row: dict[str, Any] = {
        "id": service_id,
        "name": name,
        "organization": "Demo Org",
        "sector": "Charity",
        "demo": True,
        "modalities": ["Counselling"],
        "nice_label": "Counselling",
        "distance": "1.0 km away",
        "cost": "Free",
        "wait": "About 2 weeks",
        "capacity_text": "Taking new referrals",
        "reasons": [{"code": "nice_option", "text": "NICE option"}],
        "how_to_refer": how,
    }
    routes = ["self-referral"] if how else ["gp-referral"]
    return handout.build_service(row, routes, Contact(PHONE))


def test_record_text() -> None:
    services = [_service("s1", "Leeds counselling", f"Call {PHONE}."), _service("s2", "IPT", "")]
    text = handout.record_text(
        today=TODAY,
        need="depression",
        severity="more-severe",
        age=34,
        area="LS1",
        advice=get_nice().advise("depression", 34, "more-severe"),
        services=services,
        routes={"s1": ["self-referral"], "s2": ["gp-referral"]},
        crisis=crisis_lines("england", 34),
    )
    lines = text.splitlines()
    assert lines[0] == "Signposting to psychological therapy services (Signpost), 4 March 2026."
    assert lines[1] == "Presenting need: more severe depression, age 34. Area searched: LS1."
    assert "NICE options:" in lines
    assert any(line.startswith("- first-line: ") for line in lines)
    assert any(line.startswith("Source: NICE NG222 (") for line in lines)
    assert "1. Leeds counselling (Demo Org, Charity)." in lines
    # Written for the notes: who acts next, never the patient-facing "Your GP will refer you".
    assert "   Referral routes: Self-referral. Plan: patient to self-refer." in lines
    assert "2. IPT (Demo Org, Charity)." in lines
    assert "   Referral routes: GP. Plan: GP to refer." in lines
    assert "Your GP" not in text and "Ask your GP" not in text
    assert lines[-1].startswith("Safety-netting: advised to seek urgent help")
    assert "NHS 111: 111, option 2" in lines[-1] and "Samaritans: 116 123" in lines[-1]


def test_record_text_without_guidance() -> None:
    text = handout.record_text(
        today=TODAY,
        need="bereavement",
        severity="unsure",
        age=None,
        age_band="18-plus",
        area="Truro",
        advice=get_nice().advise("bereavement", age_band="18-plus"),
        services=[],
        routes={},
    )
    assert "Presenting need: bereavement, 18 and over. Area searched: Truro." in text
    assert "NICE: no specific guidance on talking therapy for this need." in text
