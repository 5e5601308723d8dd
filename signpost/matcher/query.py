"""What a person asked for, already resolved to a point on the map."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

DELIVERY_MODES = ("in-person", "video", "phone", "online")
REMOTE_MODES = frozenset({"video", "phone", "online"})
MAX_RADIUS_KM = 1000.0
MAX_LIMIT = 1000
# When the exact age is not given, the person must at least say which side of 18 they are:
# services for adults only and for children only never mix in one ranking.
AGE_BANDS: dict[str, tuple[int, int]] = {"under-18": (0, 17), "18-plus": (18, 130)}


def _slugs(values: Iterable[str]) -> tuple[str, ...]:
    # Sorted and de-duplicated so equal questions compare (and cache) equal.
    return tuple(sorted({v.strip().lower() for v in values if v and v.strip()}))


def _code(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = value.strip().upper().replace(" ", "")
    return cleaned or None


@dataclass(frozen=True, kw_only=True)
class MatchQuery:
    """A normalised match question. ``today`` is injected so results are reproducible."""

    latitude: float
    longitude: float
    need: str
    today: date
    outcode: str | None = None  # "LS1": checked against postcode-district catchments
    area: str | None = None  # "LS": checked against postcode-area catchments
    nation: str | None = None  # "scotland": checked against national catchments' nations
    age: int | None = None
    age_band: str | None = None  # "under-18" or "18-plus": used only when age is not given
    severity: str = "unsure"
    modalities: tuple[str, ...] = ()
    relational: bool = False
    community: str | None = None  # a soft preference, e.g. "lgbtq": never filters anyone out
    delivery: tuple[str, ...] = ()
    max_cost: float | None = None  # GBP a session; 0 means free or donation only
    self_referral: bool = False
    language: str | None = None
    radius_km: float = 25.0
    limit: int = 20
    include_closed: bool = False
    stale_after_days: int = 365
    flag_after_days: int = 183
    # Eligibility slugs the person said apply to them. None: they did not answer, so restricted
    # services rank below open ones; a tuple (even empty): anything not in it does not apply.
    circumstances: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not (math.isfinite(self.latitude) and -90.0 <= self.latitude <= 90.0):
            problems.append("latitude must be between -90 and 90")
        if not (math.isfinite(self.longitude) and -180.0 <= self.longitude <= 180.0):
            problems.append("longitude must be between -180 and 180")
        if not (math.isfinite(self.radius_km) and 0.0 < self.radius_km <= MAX_RADIUS_KM):
            problems.append(f"radius_km must be above 0 and at most {MAX_RADIUS_KM:g}")
        if not 1 <= self.limit <= MAX_LIMIT:
            problems.append(f"limit must be between 1 and {MAX_LIMIT}")
        if self.age is not None and not 0 <= self.age <= 130:
            problems.append("age must be between 0 and 130")
        band = self.age_band.strip().lower() if self.age_band else None
        if band is not None and band not in AGE_BANDS:
            problems.append(f"age_band must be one of {', '.join(AGE_BANDS)}")
        if self.age is None and band is None:
            problems.append("age or age_band is required: the matcher never assumes an adult")
        if self.max_cost is not None and not (math.isfinite(self.max_cost) and self.max_cost >= 0):
            problems.append("max_cost must be 0 or more")
        if self.stale_after_days < 1 or self.flag_after_days < 0:
            problems.append("stale_after_days must be at least 1 and flag_after_days at least 0")
        need = self.need.strip().lower() if self.need else ""
        if not need:
            problems.append("need is required")
        delivery = _slugs(self.delivery)
        unknown = sorted(set(delivery) - set(DELIVERY_MODES))
        if unknown:
            problems.append(f"unknown delivery mode(s): {', '.join(unknown)}")
        if problems:
            raise ValueError("; ".join(problems))
        object.__setattr__(self, "need", need)
        object.__setattr__(self, "age_band", None if self.age is not None else band)
        object.__setattr__(self, "severity", (self.severity or "unsure").strip().lower())
        object.__setattr__(self, "modalities", _slugs(self.modalities))
        object.__setattr__(self, "delivery", delivery)
        object.__setattr__(self, "outcode", _code(self.outcode))
        object.__setattr__(self, "area", _code(self.area))
        language = self.language.strip().lower() if self.language else None
        object.__setattr__(self, "language", language or None)
        community = self.community.strip().lower() if self.community else None
        object.__setattr__(self, "community", community or None)
        object.__setattr__(self, "radius_km", float(self.radius_km))
        if self.circumstances is not None:
            object.__setattr__(self, "circumstances", _slugs(self.circumstances))
        if self.max_cost is not None:
            object.__setattr__(self, "max_cost", float(self.max_cost))

    @property
    def age_range(self) -> tuple[int, int]:
        """Youngest and oldest the person may be: one age, or the band's range."""
        if self.age is not None:
            return self.age, self.age
        assert self.age_band is not None  # checked in __post_init__
        return AGE_BANDS[self.age_band]

    @property
    def accepts_in_person(self) -> bool:
        return not self.delivery or "in-person" in self.delivery

    @property
    def accepted_remote_modes(self) -> frozenset[str]:
        """Remote modes the person would use: all of them unless they named some."""
        if not self.delivery:
            return REMOTE_MODES
        return REMOTE_MODES & frozenset(self.delivery)
