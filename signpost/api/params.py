"""Query-string parsing for the API: every bad value is a 400 naming the parameter."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time

from flask import current_app, request

from signpost.errors import APIError
from signpost.search.params import whole_number

MAX_PAGE = 1_000_000
DEFAULT_PER_PAGE = 50
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
DAYS = {
    "MO": "MO", "TU": "TU", "WE": "WE", "TH": "TH", "FR": "FR", "SA": "SA", "SU": "SU",
    "MONDAY": "MO", "TUESDAY": "TU", "WEDNESDAY": "WE", "THURSDAY": "TH", "FRIDAY": "FR",
    "SATURDAY": "SA", "SUNDAY": "SU",
}  # fmt: skip


def bad(field: str, message: str, code: str = "invalid_parameter") -> APIError:
    return APIError(code, message, field=field, status=400)


def text(name: str, *, max_length: int = 200) -> str | None:
    """A trimmed string parameter, or None when absent or blank."""
    raw = request.args.get(name)
    if raw is None:
        return None
    value = raw.strip()
    if not value:
        return None
    if len(value) > max_length:
        raise bad(name, f"{name} must be at most {max_length} characters.")
    if _CONTROL.search(value):
        raise bad(name, f"{name} must not contain control characters.")
    return value


def integer(name: str, *, default: int | None = None, minimum: int, maximum: int) -> int | None:
    raw = text(name, max_length=20)
    if raw is None:
        return default
    sign, digits = (-1, raw[1:]) if raw[:1] == "-" else (1, raw.removeprefix("+"))
    value = whole_number(digits, max_digits=18)
    if value is None:
        raise bad(name, f"{name} must be a whole number.")
    value *= sign
    if not minimum <= value <= maximum:
        raise bad(name, f"{name} must be between {minimum} and {maximum}.")
    return value


def number(name: str, *, minimum: float, maximum: float) -> float | None:
    raw = text(name, max_length=30)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise bad(name, f"{name} must be a number.") from None
    if not math.isfinite(value) or not minimum <= value <= maximum:
        raise bad(name, f"{name} must be a number between {minimum:g} and {maximum:g}.")
    return value


def paging() -> tuple[int, int]:
    """(page, per_page). per_page above API_MAX_PER_PAGE is reduced to it, not refused."""
    cap = int(current_app.config.get("API_MAX_PER_PAGE", 100))
    page = integer("page", default=1, minimum=1, maximum=MAX_PAGE) or 1
    per_page = integer("per_page", default=min(DEFAULT_PER_PAGE, cap), minimum=1, maximum=10**9)
    return page, min(per_page or DEFAULT_PER_PAGE, cap)


def timestamp(name: str) -> datetime | None:
    """An ISO 8601 date or date-time; without a zone it is taken as UTC. Returned in UTC."""
    raw = text(name, max_length=40)
    if raw is None:
        return None
    value = raw.replace(" ", "+") if "T" in raw else raw  # '+' in a query string is a space
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time(0, 0))
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise bad(name, f"{name} must be a date or date-time, like 2024-05-01T09:00:00Z.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise bad(name, f"{name} is out of range.") from None


def clock(name: str) -> time | None:
    raw = text(name, max_length=10)
    if raw is None:
        return None
    match = _TIME.match(raw)
    if not match:
        raise bad(name, f"{name} must be a time of day, like 09:30 or 17:00:00.")
    return time(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))


def day(name: str) -> str | None:
    raw = text(name, max_length=10)
    if raw is None:
        return None
    value = DAYS.get(raw.upper())
    if value is None:
        raise bad(name, f"{name} must be a day code: MO, TU, WE, TH, FR, SA or SU.")
    return value
