"""Normalising published ORUK records: safe fixes with notes, and nothing invented."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signpost.oruk import taxonomy as tx
from signpost.oruk.importer import parse_service
from signpost.oruk.normalise import html_to_text, is_oruk_1, normalise

ORG = {"id": "2a4b6c8d-0000-4000-8000-00000000000a", "name": "Example Trust"}


def _parse(record: dict[str, Any]) -> tuple[Any, list[str], Any]:
    cat = tx.get_catalogue()
    normal = normalise(record, cat, "test")
    parsed, problems, _ = parse_service("record 1", normal.record, cat)
    return parsed, [str(p) for p in problems], normal


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two &amp; three</p>", "One\n\nTwo & three"),
        ('<script>alert("x")</script>Safe', "Safe"),
        ('<a href="javascript:alert(1)">Link</a>', "Link"),
        ("<ul><li>A</li><li>B</li></ul>", "- A\n- B"),
        ("Line<br>break", "Line\nbreak"),
        ("&lt;script&gt;", "<script>"),  # decoded to text; the page escapes it again
        ("<style>p{}</style><b>Bold</b>", "Bold"),
    ],
)
def test_html_becomes_plain_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    ("value", "expected", "note"),
    [
        ("www.example.org", "https://www.example.org", "had no scheme"),
        ("example.org/path?q=1", "https://example.org/path?q=1", "had no scheme"),
        ("http://example.org", "http://example.org", None),
        ("not a url", None, "is not a web address"),
        ("javascript:alert(1)", None, "is not a web address"),
    ],
)
def test_web_addresses(value: str, expected: str | None, note: str | None) -> None:
    parsed, problems, normal = _parse({"id": "1", "name": "S", "url": value, "organization": ORG})
    assert problems == []
    assert parsed.service["website"] == expected
    url_notes = [n for n in normal.notes if n.startswith("url:")]
    assert url_notes == [] if note is None else any(note in n for n in url_notes)


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(-1, -1, (None, None)), (18, -1, (18, None)), ("16", "25", (16, 25)), ("", None, (None, None)),
     (0, 200, (0, None)), ("adult", 3, (None, 3))],
)  # fmt: skip
def test_ages(low: object, high: object, expected: tuple[int | None, int | None]) -> None:
    record = {"id": "1", "name": "S", "organization": ORG, "minimum_age": low, "maximum_age": high}
    parsed, problems, _ = _parse(record)
    assert problems == []
    assert (parsed.service["minimum_age"], parsed.service["maximum_age"]) == expected


def test_oruk_1_is_recognised() -> None:
    assert is_oruk_1({"id": "1", "eligibilitys": []})
    assert is_oruk_1({"id": "1", "organization": {"id": "x", "url": "https://example.org"}})
    assert not is_oruk_1({"id": "1", "organization": {"id": "x", "website": "https://e.org"}})


def test_free_text_areas_are_kept_as_text_and_postcode_areas_resolved() -> None:
    record = {"id": "1", "name": "S", "organization": ORG, "service_areas": [
        {"service_area": "Bristol"}, {"service_area": "BS"}, {"service_area": "BS1"},
        {"service_area": "National"}]}  # fmt: skip
    parsed, problems, normal = _parse(record)
    assert problems == []
    assert normal.area_description == "Bristol"
    assert sorted((a["kind"], a["value"]) for a in parsed.areas) == [
        ("national", ""), ("postcode-area", "BS"), ("postcode-district", "BS1")]  # fmt: skip


# --------------------------------------------------------------------------- property

_cost_options = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "option": st.sampled_from(["Per session", "Free", "Donation", "Ask", ""]),
            "amount": st.one_of(st.integers(-5, 200), st.floats(0, 500), st.text(max_size=5)),
            "amount_description": st.text(max_size=20),
        },
    ),
    max_size=3,
)
_age = st.one_of(st.none(), st.integers(-3, 130), st.just(""), st.text(max_size=3))
_record = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=10), "name": st.text(min_size=1, max_size=30)},
    optional={
        "description": st.text(max_size=60),
        "fees": st.text(max_size=20),
        "minimum_age": _age,
        "maximum_age": _age,
        "cost_options": _cost_options,
        "x_capacity": st.sampled_from(["accepting", "waitlist", "closed"]),
        "eligibilitys": st.lists(
            st.fixed_dictionaries({}, optional={"minimum_age": _age, "maximum_age": _age}),
            max_size=2,
        ),
        "status": st.text(max_size=8),
        "url": st.text(max_size=20),
        "assured_date": st.text(max_size=12),
    },
)


def _amount(value: object) -> float | None:
    """An amount the feed stated: a number, or text that reads as one (never a boolean)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _given_ages(record: dict[str, Any]) -> set[int]:
    values = [record.get("minimum_age"), record.get("maximum_age")]
    for rule in record.get("eligibilitys", []):
        values += [rule.get("minimum_age"), rule.get("maximum_age")]
    out = set()
    for value in values:
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            out.add(value)
        elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
            out.add(int(value))
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=_record)
def test_no_imported_listing_states_what_the_feed_did_not(record: dict[str, Any]) -> None:
    record = {**record, "organization": ORG}
    parsed, _problems, _ = _parse(record)
    if parsed is None:
        return  # refused or skipped: nothing is stated at all
    service = parsed.service
    options = record.get("cost_options", [])
    amounts = [a for a in (_amount(o.get("amount")) for o in options) if a is not None]
    labels = " ".join(str(o.get("option", "")) for o in options).lower()
    if service["cost_type"] is not None:  # a cost is claimed: the feed gave it
        assert amounts or "free" in labels or "donation" in labels
    if service["cost_type"] == "free":
        assert all(a == 0 for a in amounts) and (amounts or "free" in labels)
    for key in ("cost_min_gbp", "cost_max_gbp"):
        if service[key] is not None:
            assert service[key] in [float(a) for a in amounts]
    assert service["capacity"] == record.get("x_capacity")
    for key in ("minimum_age", "maximum_age"):
        if service[key] is not None:
            assert service[key] in _given_ages(record) and service[key] >= 0
    assert parsed.organization["sector"] is None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    ["id", "name", "description", "url", "email", "status", "minimum_age", "organization",
     "service_areas", "service_at_locations", "attributes", "contacts", "phones", "languages",
     "cost_options", "eligibilitys", "regular_schedules", "schedules", "service_taxonomys",
     "assured_date", "last_modified", "x_cost", "x_capacity", "organization_id"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(record=st.dictionaries(_keys, _json, max_size=8))
def test_wrong_types_never_raise(record: dict[str, Any]) -> None:
    # Any JSON at all in the fields Signpost reads is a note or a refusal, never a traceback.
    parsed, problems, _ = _parse(record)
    assert parsed is not None or problems
