"""Tappable contact details and sentence-case helpers for listing text."""

from __future__ import annotations

from datetime import date

import pytest

from signpost.contact_links import contact_links, lower_first, upper_first
from signpost.matcher.records import Wait
from signpost.search.presenters import cost_with_description, wait_text


def test_phone_web_and_email_become_links() -> None:
    html = str(
        contact_links(
            "Refer yourself online at https://example.org/refer or call 0113 496 0100, "
            "or email help@example.org."
        )
    )
    assert '<a href="https://example.org/refer">https://example.org/refer</a>' in html
    assert '<a href="tel:01134960100">0113 496 0100</a>' in html
    assert '<a href="mailto:help@example.org">help@example.org</a>.' in html


def test_provider_text_cannot_inject_markup() -> None:
    html = str(contact_links('<script>alert(1)</script> call 0800 1111 "x"'))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="tel:08001111">0800 1111</a>' in html


@pytest.mark.parametrize("text", ["", None, "Ask your GP to refer you."])
def test_text_without_contacts_is_unchanged(text: str | None) -> None:
    assert str(contact_links(text)) == (text or "")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Trauma and PTSD", "trauma and PTSD"),
        ("Feeling low or depressed", "feeling low or depressed"),
        ("OCD", "OCD"),
    ],
)
def test_lower_first_keeps_acronyms(name: str, expected: str) -> None:
    assert lower_first(name) == expected


def test_upper_first() -> None:
    assert upper_first("varies with need") == "Varies with need"


def test_no_wait_is_not_about_0_weeks() -> None:
    text = wait_text(Wait(0, 6, date(2026, 11, 30)))
    assert text.startswith("Under a week to a first appointment and about 6 weeks to start")
    assert "0 weeks" not in text


@pytest.mark.parametrize(
    ("cost", "description", "expected"),
    [
        ("Free", "Free on the NHS.", "Free on the NHS"),
        ("Free", None, "Free"),
        ("£20 a session", "Concessions available.", "£20 a session. Concessions available"),
    ],
)
def test_cost_is_not_said_twice(cost: str, description: str | None, expected: str) -> None:
    assert cost_with_description(cost, description) == expected


def test_nice_detail_paragraphs_are_not_repeated() -> None:
    from signpost.nice import NiceKnowledge
    from signpost.search.presenters import advice_paragraphs

    advice = NiceKnowledge.load().advise("depression", 34, "more-severe")
    _, _, rest = advice.message.partition(". ")
    paragraphs = advice_paragraphs(advice.summaries, rest)
    joined = " ".join(paragraphs)
    for summary in advice.summaries:
        assert joined.count(summary) == 1
    assert "These are choices, not one right answer" in paragraphs[-1]
