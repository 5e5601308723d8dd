"""signpost.freshness: pure date rules for flagging and hiding unconfirmed listings."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from signpost.freshness import age_in_days, freshness, next_change, stale_soon

TODAY = date(2025, 6, 30)
FLAG, HIDE = 183, 365


def days_ago(days: int) -> date:
    return TODAY - timedelta(days=days)


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (0, "fresh"),
        (FLAG, "fresh"),  # flagged only once *more than* flag_days old, like the matcher
        (FLAG + 1, "flagged"),
        (HIDE, "flagged"),
        (HIDE + 1, "hidden"),
        (5000, "hidden"),
        (-3, "fresh"),  # a date in the future (clock skew) counts as today
    ],
)
def test_freshness_boundaries(age: int, expected: str) -> None:
    assert freshness(days_ago(age), TODAY, FLAG, HIDE) == expected


def test_never_confirmed_is_hidden() -> None:
    assert freshness(None, TODAY, FLAG, HIDE) == "hidden"
    assert next_change(None, TODAY, FLAG, HIDE) is None
    assert not stale_soon(None, TODAY, FLAG, HIDE)
    assert age_in_days(None, TODAY) is None


def test_next_change_names_the_day_and_the_new_state() -> None:
    verified = days_ago(10)
    assert next_change(verified, TODAY, FLAG, HIDE) == (verified + timedelta(FLAG + 1), "flagged")
    old = days_ago(200)
    assert next_change(old, TODAY, FLAG, HIDE) == (old + timedelta(HIDE + 1), "hidden")
    assert next_change(days_ago(400), TODAY, FLAG, HIDE) is None
    # On the day itself the state has changed.
    day, state = next_change(verified, TODAY, FLAG, HIDE)  # type: ignore[misc]
    assert freshness(verified, day, FLAG, HIDE) == state
    assert freshness(verified, day - timedelta(1), FLAG, HIDE) == "fresh"


@pytest.mark.parametrize(
    ("age", "soon"),
    [
        (FLAG - 30, False),  # flagged in 31 days (on day FLAG + 1)
        (FLAG - 29, True),  # flagged in 30 days
        (FLAG, True),  # flagged tomorrow
        (FLAG + 1, False),  # already flagged, hidden in 182 days
        (HIDE - 29, True),  # hidden in 30 days
        (HIDE, True),  # hidden tomorrow
        (HIDE + 1, False),  # already hidden: nothing left to warn about
    ],
)
def test_stale_soon_within_30_days(age: int, soon: bool) -> None:
    verified = days_ago(age)
    change = next_change(verified, TODAY, FLAG, HIDE)
    assert stale_soon(verified, TODAY, FLAG, HIDE) is soon
    if change is not None:
        assert soon == ((change[0] - TODAY).days <= 30)


def test_window_is_configurable() -> None:
    assert stale_soon(days_ago(FLAG - 5), TODAY, FLAG, HIDE, within_days=6)
    assert not stale_soon(days_ago(FLAG - 5), TODAY, FLAG, HIDE, within_days=5)


@pytest.mark.parametrize(("flag", "hide"), [(-1, 10), (20, 10)])
def test_thresholds_must_make_sense(flag: int, hide: int) -> None:
    with pytest.raises(ValueError):
        freshness(TODAY, TODAY, flag, hide)
    with pytest.raises(ValueError):
        stale_soon(TODAY, TODAY, FLAG, HIDE, within_days=-1)
