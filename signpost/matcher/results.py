"""What the matcher hands back: plain immutable data the views and API render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from signpost.matcher.query import MatchQuery
from signpost.matcher.records import ServiceRecord, Site

if TYPE_CHECKING:
    from signpost.nice import NiceAdvice, NiceOption


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a service is suggested: a stable snake_case ``code`` and plain-English ``text``."""

    code: str
    text: str


@dataclass(frozen=True, slots=True)
class RankedService:
    record: ServiceRecord
    distance_km: float | None  # None: reached remotely, no site within the search radius
    site: Site | None  # the nearest site, when distance_km is given
    score: float
    reasons: tuple[Reason, ...]
    nice_option: NiceOption | None
    beyond_radius: bool = False  # found only by widening the search

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(reason.code for reason in self.reasons)


@dataclass(frozen=True, slots=True)
class ChoicePanelRow:
    """One NICE option and whether the person can actually get it."""

    option: NiceOption
    in_reach_count: int  # eligible services offering it in person within the radius
    remote_count: int  # eligible services offering it by video, phone or online to this person
    nearest_km: float | None  # nearest in-person service offering it, within the radius
    remote_only: bool
    paid_only: bool
    available: bool
    text: str
    nearest_beyond_km: float | None = None  # set when a widened search found one further away
    # Nothing in person within the radius, but a service offering it sees people in person
    # further away (reached remotely, or found by widening): the nearest such site.
    nearest_in_person_km: float | None = None

    @property
    def label(self) -> str:
        return self.option.label

    @property
    def gap(self) -> bool:
        """A recommended option nobody offers in person within reach."""
        return self.in_reach_count == 0 and self.option.status != "not-recommended"


@dataclass(frozen=True, slots=True)
class WidenInfo:
    """Fewer than the minimum were in reach, so the search looked further."""

    from_radius_km: float
    radius_km: float
    count: int  # services found between the two radii
    remote_count: int  # services reached only by video, phone or online


@dataclass(frozen=True, slots=True)
class MatchOutcome:
    query: MatchQuery
    advice: NiceAdvice
    results: tuple[RankedService, ...]  # ranked, at most query.limit
    total_eligible: int  # every service that passed the hard filters, before the limit
    panel: tuple[ChoicePanelRow, ...]  # one row per NICE option, in the advice's order
    widened: WidenInfo | None
    not_nearby: tuple[str, ...]  # labels of recommended options nobody offers in person in reach

    @property
    def message(self) -> str:
        return self.advice.message
