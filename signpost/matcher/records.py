"""The matcher's view of a service: plain, immutable data, no ORM objects.

The directory layer builds these from the database in bulk; the matcher and its
spatial index only ever see these records, so they can be tested without Flask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Site:
    """One place a service is delivered from."""

    location_id: str
    latitude: float
    longitude: float
    postcode: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Wait:
    """Weeks to a first assessment and to the start of therapy, as of a date."""

    assessment_weeks: int | None
    treatment_weeks: int | None
    as_of: date | None
    source: str | None = None
    modality: str | None = None  # None: applies to the whole service


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    id: str
    name: str
    organization_id: str
    organization_name: str
    sector: str | None  # nhs | charity | low-cost; None: not stated
    modalities: frozenset[str]
    needs: frozenset[str]
    formats: frozenset[str]
    delivery: frozenset[str]  # in-person | video | phone | online
    referral_routes: frozenset[str]
    minimum_age: int | None
    maximum_age: int | None
    cost_type: str | None  # free | donation | sliding-scale | fixed; None: not stated
    cost_min_gbp: float | None
    cost_max_gbp: float | None
    capacity: str | None  # accepting | waitlist | closed; None: not stated
    last_verified: date | None
    demo: bool
    sites: tuple[Site, ...] = ()
    # Catchment: national, or a set of postcode areas ("LS") / districts ("LS1"), or a radius
    # around the service's sites. Remote delivery (video/phone/online) reaches anyone in it.
    catchment_national: bool = False
    # For a national catchment: the UK nations it covers ("england", ...); empty: all four.
    nations: frozenset[str] = field(default_factory=frozenset)
    catchment_areas: frozenset[str] = field(default_factory=frozenset)
    catchment_radius_km: float | None = None
    languages: frozenset[str] = field(default_factory=frozenset)
    communities: frozenset[str] = field(default_factory=frozenset)
    waits: tuple[Wait, ...] = ()
    how_to_refer: str | None = None
    url: str | None = None  # the service's page in Signpost
    # Specific protocols it declares (protocols.yaml slugs): only these earn credit for a NICE
    # option of that kind.
    protocols: frozenset[str] = field(default_factory=frozenset)
    # Modalities it offers only at low intensity (courses, digital programmes); guided self-help
    # is low by nature and need not be listed.
    low_intensity: frozenset[str] = field(default_factory=frozenset)
    # Who it is only for (eligibility slugs, vocabularies.yaml): every one must apply.
    eligibility: frozenset[str] = field(default_factory=frozenset)
    eligibility_note: str | None = None  # names the college or GP area where one is needed

    @property
    def remote(self) -> bool:
        return bool(self.delivery - {"in-person"})

    def overall_wait(self) -> Wait | None:
        for wait in self.waits:
            if wait.modality is None:
                return wait
        return self.waits[0] if self.waits else None
