"""The straightforward matcher, kept only to measure the fast path against and to test it.

It does what a first version would: take every service (as if loaded one by one from the
ORM), measure each site with geopy, apply the rules one service at a time, and sort. It follows
the same rules as ``engine.match`` and must return the same outcome.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from geopy.distance import great_circle

from signpost.matcher import rules as r
from signpost.matcher.query import MatchQuery
from signpost.matcher.reasons import build_reasons, lead_reasons, make_panel_row
from signpost.matcher.records import ServiceRecord, Site
from signpost.matcher.results import ChoicePanelRow, MatchOutcome, RankedService, WidenInfo
from signpost.matcher.scoring import ScoringRules, default_scoring

if TYPE_CHECKING:
    from signpost.nice import NiceAdvice, NiceOption


@dataclass(frozen=True)
class _Row:
    record: ServiceRecord
    distance_km: float | None
    site: Site | None
    in_reach: bool
    remote_credit: bool
    in_person: bool
    beyond: bool

    @property
    def is_open(self) -> bool:
        return self.record.capacity != "closed"


def _nearest(record: ServiceRecord, here: tuple[float, float]) -> tuple[float | None, Site | None]:
    nearest: float | None = None
    nearest_site: Site | None = None
    for site in record.sites:
        if not (math.isfinite(site.latitude) and math.isfinite(site.longitude)):
            continue
        distance = r.quantise(great_circle(here, (site.latitude, site.longitude)).km)
        if nearest is None or distance < nearest:
            nearest, nearest_site = distance, site
    return nearest, nearest_site


def _score(
    row: _Row, query: MatchQuery, advice: NiceAdvice, rules: ScoringRules
) -> tuple[float, NiceOption | None]:
    record = row.record
    option = r.credited_option(advice, record, query)
    nice = r.option_points(option, rules) if option is not None else 0.0
    preference = (
        (rules.preference_modality if r.named_matches(record, query) else 0.0)
        + (rules.preference_relational if query.relational and r.offers_relational(record) else 0.0)
        + (rules.preference_community if r.serves_community(record, query.community) else 0.0)
    )
    near = r.distance_points(row.distance_km or 0.0, rules)
    if row.remote_credit and row.in_reach:
        distance = max(near, rules.remote_points)
    elif row.remote_credit:
        distance = rules.remote_points
    else:
        distance = near
    days = r.days_since_verified(record, query)
    fit = r.fit_points(record, query, rules)
    # Never confirmed (only a statutory listing gets this far): no freshness points.
    freshness = 0.0 if days is None else r.freshness_points(days, query, rules)
    total = nice + preference + distance + freshness + r.static_points(record, rules) + fit
    return r.quantise(total), option


def _panel(
    query: MatchQuery,
    options: tuple[NiceOption, ...],
    base: list[_Row],
    extra: list[_Row] | None,
) -> tuple[ChoicePanelRow, ...]:
    panel = []
    strict = r.strict_intensity(query)
    for option in options:
        here = [
            row
            for row in base
            if row.is_open
            and row.in_reach
            and row.in_person
            and r.offers_option(option, row.record, query.age, strict)
        ]
        there = [
            row
            for row in base
            if row.is_open
            and row.remote_credit
            and r.offers_option(option, row.record, query.age, strict)
        ]
        used = {row.record.id: row for row in here + there}
        further = [
            row.distance_km
            for row in extra or []
            if row.is_open
            and row.distance_km is not None
            and r.offers_option(option, row.record, query.age, strict)
        ]
        far = [
            km
            for row in there
            if row.distance_km is None and (km := r.far_site_km(row.record, query)) is not None
        ]
        panel.append(
            make_panel_row(
                option,
                in_reach=len(here),
                remote=len(there),
                far_in_person_km=min(far, default=None),
                nearest_km=min(
                    (row.distance_km for row in here if row.distance_km is not None), default=None
                ),
                paid_only=bool(used) and all(r.is_paid(row.record) for row in used.values()),
                radius_km=query.radius_km,
                nearest_beyond_km=min(further, default=None),
            )
        )
    return tuple(panel)


def naive_match(
    query: MatchQuery,
    records: Iterable[ServiceRecord],
    advice: NiceAdvice,
    scoring: ScoringRules | None = None,
) -> MatchOutcome:
    rules = scoring or default_scoring()
    options = tuple(advice.options) if advice.has_guidance else ()
    here = (query.latitude, query.longitude)

    located = []
    for record in records:
        nearest, site = _nearest(record, here)
        located.append((record, nearest, site))

    base: list[_Row] = []
    for record, nearest, site in located:
        if not r.passes_static_filters(record, query):
            continue
        remote = bool(r.remote_modes(record, query))
        if nearest is not None and nearest <= query.radius_km:
            if r.catchment_ok(record, query, nearest) and r.delivery_ok(record, query):
                in_person = r.in_person_ok(record, query)
                base.append(_Row(record, nearest, site, True, remote, in_person, False))
        elif remote and r.covers_explicitly(record, query, nearest):
            base.append(_Row(record, None, None, False, True, False, False))

    open_in_reach = sum(1 for row in base if row.in_reach and row.is_open)
    extra: list[_Row] | None = None
    widened: WidenInfo | None = None
    if open_in_reach < rules.min_in_reach and query.accepts_in_person:
        taken = {row.record.id for row in base}
        for radius in r.widen_radii(query, rules):
            extra = [
                _Row(record, nearest, site, False, False, True, True)
                for record, nearest, site in located
                if record.id not in taken
                and nearest is not None
                and query.radius_km < nearest <= radius
                and r.passes_static_filters(record, query)
                and "in-person" in r.service_delivery(record)
                and r.catchment_ok(record, query, nearest)
            ]
            widened = WidenInfo(
                from_radius_km=query.radius_km,
                radius_km=radius,
                count=len(extra),
                remote_count=sum(1 for row in base if not row.in_reach),
            )
            if open_in_reach + sum(1 for row in extra if row.is_open) >= rules.min_in_reach:
                break

    scored = []
    for row in base + (extra or []):
        score, option = _score(row, query, advice, rules)
        scored.append((row, score, option))
    scored.sort(
        key=lambda item: (
            r.eligibility_tier(item[0].record, query),
            r.intensity_tier(item[0].record, query),
            not item[0].is_open,
            -item[1],
            math.inf if item[0].distance_km is None else item[0].distance_km,
            item[0].record.id,
        )
    )
    results = []
    for row, score, option in scored[: query.limit]:
        results.append(
            RankedService(
                record=row.record,
                distance_km=row.distance_km,
                site=row.site,
                score=score,
                reasons=build_reasons(
                    row.record,
                    query,
                    advice,
                    rules,
                    nice_option=option,
                    distance_km=row.distance_km,
                    beyond_radius=row.beyond,
                    remote_credit=row.remote_credit,
                ),
                nice_option=option,
                beyond_radius=row.beyond,
            )
        )
    panel = _panel(query, options, base, extra)
    return MatchOutcome(
        query=query,
        advice=advice,
        results=lead_reasons(results, query, rules),
        total_eligible=len(scored),
        panel=panel,
        widened=widened,
        not_nearby=tuple(row.label for row in panel if row.gap),
    )
