"""Small builders for matcher tests: services, queries and NICE advice, all plain data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from geopy.distance import great_circle

from signpost.matcher.engine import match
from signpost.matcher.index import DirectoryIndex
from signpost.matcher.naive import naive_match
from signpost.matcher.query import MatchQuery
from signpost.matcher.records import ServiceRecord, Site, Wait
from signpost.matcher.results import MatchOutcome, RankedService
from signpost.nice import NiceAdvice, NiceOption

TODAY = date(2026, 3, 15)
# The person: central Leeds, postcode district LS1 in area LS.
HOME = (53.7997, -1.5492)


def at(km: float, bearing: float = 0.0) -> tuple[float, float]:
    """A point ``km`` from HOME along ``bearing`` degrees."""
    point = great_circle(kilometers=km).destination(HOME, bearing)
    return point.latitude, point.longitude


def site(km: float, bearing: float = 0.0, location_id: str = "loc") -> Site:
    latitude, longitude = at(km, bearing)
    return Site(location_id, latitude, longitude)


def service(service_id: str = "svc-a", **overrides: Any) -> ServiceRecord:
    """An NHS-style adult depression service 2 km north of HOME, free, accepting, fresh."""
    values: dict[str, Any] = {
        "id": service_id,
        "name": f"Service {service_id}",
        "organization_id": "org-1",
        "organization_name": "Example Trust",
        "sector": "nhs",
        "modalities": frozenset({"cbt"}),
        "needs": frozenset({"depression", "anxiety", "panic", "ocd"}),
        "formats": frozenset({"individual"}),
        "delivery": frozenset({"in-person"}),
        "referral_routes": frozenset({"gp-referral"}),
        "minimum_age": 18,
        "maximum_age": None,
        "cost_type": "free",
        "cost_min_gbp": None,
        "cost_max_gbp": None,
        "capacity": "accepting",
        "last_verified": TODAY - timedelta(days=30),
        "demo": True,
        "sites": (site(2.0, location_id=f"{service_id}-site"),),
        "waits": (Wait(2, 8, TODAY - timedelta(days=30)),),
    }
    for key in ("modalities", "needs", "formats", "delivery", "referral_routes"):
        if key in overrides:
            overrides[key] = frozenset(overrides[key])
    for key in ("catchment_areas", "languages", "communities"):
        if key in overrides:
            overrides[key] = frozenset(overrides[key])
    values.update(overrides)
    return ServiceRecord(**values)


def query(**overrides: Any) -> MatchQuery:
    values: dict[str, Any] = {
        "latitude": HOME[0],
        "longitude": HOME[1],
        "outcode": "LS1",
        "area": "LS",
        "need": "depression",
        "today": TODAY,
        "age": 34,
        "severity": "less-severe",
    }
    values.update(overrides)
    return MatchQuery(**values)


def option(
    modality: str,
    status: str = "first-line",
    order: int | None = None,
    *,
    label: str | None = None,
    format: str | None = None,
    kind: str | None = None,
    verified: bool = True,
    guideline: str = "NG222",
) -> NiceOption:
    return NiceOption(
        kind=kind,
        modality=modality,
        label=label or modality,
        status=status,
        order=order,
        format=format,
        note="",
        guideline=guideline,
        recommendations=(),
        verified=verified,
    )


def advice(
    *options: NiceOption,
    need: str = "depression",
    severity: str = "less-severe",
    age: int | None = 34,
    message: str = "",
) -> NiceAdvice:
    """Advice as NiceKnowledge would give it: options sorted best first."""
    from signpost.nice import STATUS_RANK

    ordered = tuple(
        sorted(options, key=lambda o: (STATUS_RANK[o.status], o.order or 10**6, o.label))
    )
    return NiceAdvice(
        need=need,
        age_band="18+",
        severity=severity,
        has_guidance=bool(options),
        options=ordered,
        guidelines=(),
        message=message,
        age=age,
    )


NO_GUIDANCE = "NICE has no guidance on talking therapy for this; services are ranked by fit."

DEPRESSION = advice(
    option("guided-self-help", order=1, label="Guided self-help"),
    option("cbt", order=2, label="Group CBT", format="group"),
    option("cbt", order=4, label="Individual CBT"),
    option("ipt", order=8, label="Interpersonal therapy"),
    option("counselling", order=10, label="Counselling"),
    option("psychodynamic", order=11, label="Short-term psychodynamic psychotherapy", kind="stpp"),
)


def run(records: list[ServiceRecord], q: MatchQuery, a: NiceAdvice = DEPRESSION) -> MatchOutcome:
    """Match with the fast path, checking the naive path agrees on every case."""
    outcome = match(q, DirectoryIndex(records), a)
    assert outcome == naive_match(q, records, a)
    return outcome


def ids(outcome: MatchOutcome) -> list[str]:
    return [ranked.record.id for ranked in outcome.results]


def result(outcome: MatchOutcome, service_id: str) -> RankedService:
    for ranked in outcome.results:
        if ranked.record.id == service_id:
            return ranked
    raise AssertionError(f"{service_id} not in results {ids(outcome)}")


def moved(record: ServiceRecord, factor: float) -> ServiceRecord:
    """The same service with every site ``factor`` times as far from HOME."""
    sites = tuple(
        replace(
            s,
            latitude=HOME[0] + (s.latitude - HOME[0]) * factor,
            longitude=HOME[1] + (s.longitude - HOME[1]) * factor,
        )
        for s in record.sites
    )
    return replace(record, sites=sites)
