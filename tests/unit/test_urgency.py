"""The urgent-help data, the ways forward and the dated capacity and freshness lines."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from signpost.crisis import lines_for
from signpost.search.params import SearchParams
from signpost.search.presenters import (
    STATUTORY_STALE,
    capacity_view,
    freshness_view,
)
from signpost.search.ways_forward import ways_forward
from signpost.urgency import DEFAULT_PATH, UrgencyConfigError, get_urgency, parse_urgency
from signpost.vocab import get_vocabularies

TODAY = date(2026, 11, 30)
NEEDS = frozenset(get_vocabularies().needs)


def _data() -> dict[str, Any]:
    return yaml.safe_load(Path(DEFAULT_PATH).read_text(encoding="utf-8"))


def test_the_shipped_file_loads() -> None:
    urgency = get_urgency()
    assert {p.key for p in urgency.panels} >= {"self-harm", "psychosis", "eating-disorder"}
    assert [line.contact for line in urgency.lines] == ["0800 068 4141"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["panels"][0].update(needs=["astrology"]), "unknown"),
        (lambda d: d["panels"][1].update(needs=["self-harm"]), "repeats"),
        (lambda d: d["panels"][0]["steps"].pop(), "GP today, NHS 111 and 999"),
        (lambda d: d["panels"][0]["steps"].append({"key": "pray"}), "unknown step"),
        (lambda d: d["front_doors"].pop(0), "GP"),
        (lambda d: d["lines"][0].pop("source"), "source"),
        (lambda d: d["front_doors"][1].update(nations=["narnia"]), "nations"),
        (lambda d: d["front_doors"][2].update(max_age="young"), "age"),
    ],
)
def test_bad_files_are_refused(change: Any, message: str) -> None:
    data = _data()
    change(data)
    with pytest.raises(UrgencyConfigError, match=message):
        parse_urgency(data, NEEDS)


def test_front_doors_follow_age() -> None:
    urgency = get_urgency()
    assert [d.key for d in urgency.front_doors_for((15, 15))] == ["gp", "camhs", "school-nurse"]
    assert [d.key for d in urgency.front_doors_for((3, 3))] == ["gp", "camhs"]
    assert [d.key for d in urgency.front_doors_for((40, 40))] == ["gp", "talking-therapies"]
    assert "talking-therapies" not in [d.key for d in urgency.front_doors_for((40, 40), "wales")]


def test_crisis_lines_follow_age() -> None:
    assert {"Childline", "Papyrus HOPELINE247"} <= {line.name for line in lines_for((15, 15))}
    assert "Childline" not in {line.name for line in lines_for((25, 25))}
    assert "Papyrus HOPELINE247" in {line.name for line in lines_for((25, 25))}
    # With the nation known (England here); an unknown nation gets every nation's lines.
    assert {line.name for line in lines_for((60, 60), "england")} == {
        "Emergency services",
        "NHS 111",
        "Samaritans",
        "Shout",
    }


def _params(**changes: Any) -> SearchParams:
    return SearchParams(location="LS1", need="panic", age=15, **changes)


def test_every_filter_has_a_way_to_drop_it() -> None:
    params = _params(
        delivery=("in-person",),
        max_cost=0.0,
        self_referral=True,
        modalities=("cbt",),
        relational=True,
        language="Polish",
        community="lgbtq",
        radius_km=10.0,
    )
    ways = {way.code: way for way in ways_forward(params)}
    assert set(ways) == {
        "widen_distance", "include_remote", "drop_max_cost", "drop_self_referral",
        "drop_modality", "drop_relational", "drop_language", "drop_community",
    }  # fmt: skip
    assert ways["widen_distance"].params.radius_km == 50
    assert ways["include_remote"].params.delivery == ("in-person", "online", "phone", "video")
    assert ways["drop_max_cost"].params.max_cost is None
    # Each way changes one thing and keeps the person's age.
    for way in ways.values():
        assert way.params.age == 15 and ("age", "15") in way.pairs


def test_remote_only_search_offers_in_person() -> None:
    codes = [w.code for w in ways_forward(_params(delivery=("video",), radius_km=200.0))]
    assert codes == ["include_remote", "include_in_person"]


def test_nothing_to_relax_at_the_widest_search() -> None:
    assert ways_forward(_params(radius_km=200.0)) == ()


def test_stale_nhs_listing_says_check_with_your_gp() -> None:
    old = TODAY - timedelta(days=400)
    assert STATUTORY_STALE in freshness_view(old, TODAY, statutory=True)["text"]
    assert "check with the service" in freshness_view(old, TODAY)["text"]
    never = freshness_view(None, TODAY, statutory=True)
    assert never["stale"] and STATUTORY_STALE in never["text"]


@pytest.mark.parametrize(("days", "dated"), [(0, False), (90, False), (91, True)])
def test_capacity_is_dated_after_90_days(days: int, dated: bool) -> None:
    text, is_dated = capacity_view("accepting", TODAY - timedelta(days=days), TODAY, 90)
    assert is_dated == dated
    assert text.startswith("Taking new referrals")
    assert ("as of" in text) == dated


def test_unknown_capacity_date_counts_as_old() -> None:
    text, is_dated = capacity_view("accepting", None, TODAY)
    assert (text, is_dated) == ("Taking new referrals (date not known)", True)
