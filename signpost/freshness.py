"""How fresh a listing is, from the date its details were last confirmed.

Plain functions of dates, no Flask or database. The thresholds come from configuration
(``STALE_FLAG_DAYS``, ``STALE_HIDE_DAYS``) and match the matcher's rule: a listing is flagged
once it is *more than* ``flag_days`` old and leaves search results once it is *more than*
``hide_days`` old. A listing never confirmed counts as hidden.

    >>> from datetime import date
    >>> freshness(date(2025, 1, 1), date(2025, 3, 1), flag_days=183, hide_days=365)
    'fresh'
    >>> freshness(date(2024, 1, 1), date(2025, 3, 1), flag_days=183, hide_days=365)
    'hidden'
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

Freshness = Literal["fresh", "flagged", "hidden"]


def _check(flag_days: int, hide_days: int) -> None:
    if flag_days < 0 or hide_days < flag_days:
        raise ValueError("need 0 <= flag_days <= hide_days")


def age_in_days(last_verified: date | None, today: date) -> int | None:
    """Whole days since the listing was confirmed (never negative); None if never."""
    if last_verified is None:
        return None
    return max(0, (today - last_verified).days)


def freshness(last_verified: date | None, today: date, flag_days: int, hide_days: int) -> Freshness:
    """Whether a listing is "fresh", "flagged" (shown with a warning) or "hidden" (left
    out of search results)."""
    _check(flag_days, hide_days)
    days = age_in_days(last_verified, today)
    if days is None or days > hide_days:
        return "hidden"
    if days > flag_days:
        return "flagged"
    return "fresh"


def next_change(
    last_verified: date | None, today: date, flag_days: int, hide_days: int
) -> tuple[date, Freshness] | None:
    """The next date the listing's freshness gets worse, and what it becomes then.

    None when it cannot get worse (already hidden, or never confirmed).
    """
    current = freshness(last_verified, today, flag_days, hide_days)
    if last_verified is None or current == "hidden":
        return None
    if current == "fresh":
        return last_verified + timedelta(days=flag_days + 1), "flagged"
    return last_verified + timedelta(days=hide_days + 1), "hidden"


def stale_soon(
    last_verified: date | None,
    today: date,
    flag_days: int,
    hide_days: int,
    within_days: int = 30,
) -> bool:
    """True when the listing will be flagged, or leave search results, within ``within_days``.

    This is when the organisation gets a reminder: confirming the listing resets the clock.
    """
    if within_days < 0:
        raise ValueError("within_days must not be negative")
    change = next_change(last_verified, today, flag_days, hide_days)
    return change is not None and (change[0] - today).days <= within_days
