"""Live detail for one area or one provider, asked of the matcher's index on demand:
where each option can be had, who offers it, waits by sector, and gaps a listing fills."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from signpost.insights.compute import FREE_IN_PERSON, Calculator, Segment
from signpost.insights.places import Area, Place, distances_km
from signpost.matcher.records import ServiceRecord


@dataclass(frozen=True)
class Offer:
    record: ServiceRecord
    distance_km: float | None  # None: reached by video, phone or online
    free: bool
    postcode: str | None


@dataclass(frozen=True)
class OptionDetail:
    label: str
    nearest: Offer | None  # nearest in person, anywhere within the search distance
    nearest_free: Offer | None
    offers: tuple[Offer, ...]  # within reach in person, or remotely, nearest first


@dataclass(frozen=True)
class SectorWait:
    sector: str
    median_weeks: float
    services: int


@dataclass(frozen=True)
class AreaDetail:
    options: tuple[OptionDetail, ...]
    waits: tuple[SectorWait, ...]
    reach_km: float


def centre(area: Area, urban: bool) -> Place:
    """The area's centre as a place a person could live (no district: catchments by district
    are not met there, which can only under-count)."""
    return Place(area.code, area.code, area.latitude, area.longitude, area.postcodes, urban)


def area_detail(calc: Calculator, place: Place, segment: Segment, *, limit: int = 8) -> AreaDetail:
    index = calc.index
    reach = calc.method.reach_km(place.urban)
    query = calc.query(place, segment, radius_km=calc.method.nearest_search_km)
    pool = index.pool(query)
    rows = pool.rows
    open_ = ~index.closed[rows]
    distance = pool.distance
    in_person = open_ & pool.in_person & pool.in_reach
    near = in_person & (distance <= reach)
    # A remote offer counts only where the matcher credits it at the person's own reach.
    base = index.pool(calc.query(place, segment))
    remote_rows = {int(x) for x in base.rows[base.remote_credit & ~index.closed[base.rows]]}
    free = index.free[rows]

    def offer(i: int) -> Offer:
        row = int(rows[i])
        site = index.site_for(int(pool.site[i]))
        d = None if math.isnan(distance[i]) else float(distance[i])
        return Offer(index.records[row], d, bool(free[i]), site.postcode if site else None)

    details = []
    counted_rows = np.zeros(len(rows), dtype=bool)
    for option, info in zip(segment.options, segment.info, strict=True):
        offered = calc.offers(option, segment.age)[rows]
        if info.counted:
            counted_rows |= offered
        anywhere = np.flatnonzero(offered & in_person)
        order = anywhere[np.argsort(distance[anywhere], kind="stable")]
        free_order = order[free[order]]
        reached = [i for i in order if near[i]]
        reached += [
            i
            for i in np.flatnonzero(offered & open_)
            if int(rows[i]) in remote_rows and not near[i]
        ]
        details.append(
            OptionDetail(
                info.label,
                offer(int(order[0])) if len(order) else None,
                offer(int(free_order[0])) if len(free_order) else None,
                tuple(offer(int(i)) for i in reached[:limit]),
            )
        )
    by_sector: dict[str, list[float]] = {}
    for i in np.flatnonzero(counted_rows & open_):
        row = int(rows[i])
        if not (near[i] or row in remote_rows):
            continue
        weeks = calc.waits[row]
        if not math.isnan(weeks):
            by_sector.setdefault(index.records[row].sector, []).append(float(weeks))
    waits = tuple(
        SectorWait(sector, statistics.median(values), len(values))
        for sector, values in sorted(by_sector.items())
    )
    return AreaDetail(tuple(details), waits, reach)


@dataclass(frozen=True)
class FilledGap:
    service_id: str
    service_name: str
    option: str
    district: str
    band: str
    need: str
    reach_km: float


def gaps_filled(
    calc: Calculator,
    places: Sequence[Place],
    segments: Sequence[Segment],
    service_ids: Sequence[str],
    *,
    limit: int = 20,
) -> list[FilledGap]:
    """Districts where one of these services is the only free in-person provider of a NICE
    option within reach: take it away and the district loses that choice."""
    index = calc.index
    lats = np.array([p.latitude for p in places])
    lons = np.array([p.longitude for p in places])
    found: list[FilledGap] = []
    for sid in service_ids:
        row = index.row_of(sid)
        if row is None:
            continue
        record = index.records[row]
        nearby: dict[str, Place] = {}
        for site in record.sites:
            if not (math.isfinite(site.latitude) and math.isfinite(site.longitude)):
                continue
            d = distances_km(site.latitude, site.longitude, lats, lons)
            for i in np.flatnonzero(d <= calc.method.widest_reach_km):
                nearby[places[i].code] = places[i]
        for segment in segments:
            if segment.need not in record.needs:
                continue
            for code in sorted(nearby):
                place = nearby[code]
                pool = index.pool(calc.query(place, segment))
                where = np.flatnonzero(pool.rows == row)
                if not len(where) or not pool.in_person[where[0]]:
                    continue
                if not index.free[row] or index.closed[row]:
                    continue
                usable = pool.in_person & pool.in_reach & index.free[pool.rows]
                usable &= ~index.closed[pool.rows]
                for option, info in zip(segment.options, segment.info, strict=True):
                    if not info.counted:
                        continue
                    offered = calc.offers(option, segment.age)[pool.rows] & usable
                    if offered.sum() == 1 and offered[where[0]]:
                        found.append(
                            FilledGap(
                                sid,
                                record.name,
                                info.label,
                                code,
                                segment.band,
                                segment.need,
                                calc.method.reach_km(place.urban),
                            )
                        )
                        if len(found) >= limit:
                            return found
    return found


__all__ = ["FREE_IN_PERSON", "AreaDetail", "FilledGap", "area_detail", "centre", "gaps_filled"]
