"""Roll district cells up to areas and the nation, and rank them.

An area's figures are its districts' figures weighted by how many postcodes each district
has (the index's stand-in for how many people live there), so a big town counts for more
than a hamlet. The nation is every district, weighted the same way.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from signpost.insights.compute import (
    CATEGORIES,
    FREE_IN_PERSON,
    Cell,
    OptionInfo,
    Snapshot,
    score,
)
from signpost.insights.places import Place

NATION = "GB"


@dataclass(frozen=True)
class Row:
    """Figures for one district, one area or the nation, for one segment."""

    code: str
    kind: str  # district | area | nation
    area: str
    postcodes: int
    districts: int
    score: float | None  # 0..1: share of recommended treatments free in person in reach
    shares: tuple[dict[str, float], ...]  # per option: category -> share of postcodes
    wait_weeks: float | None  # median of the districts' median dated waits
    urban: bool | None = None
    reach_km: float | None = None
    rank: int | None = None

    @property
    def score_percent(self) -> int | None:
        return None if self.score is None else round(self.score * 100)

    def free_share(self, i: int) -> float:
        return self.shares[i].get(FREE_IN_PERSON, 0.0)


def _roll(
    code: str,
    kind: str,
    area: str,
    members: Sequence[tuple[Place, Cell]],
    segment_info: Sequence[OptionInfo],
) -> Row:
    weight = sum(p.postcodes for p, _ in members) or 1
    shares = []
    for i in range(len(segment_info)):
        share = dict.fromkeys(CATEGORIES, 0.0)
        for place, cell in members:
            share[cell.cats[i]] += place.postcodes / weight
        shares.append(share)
    scored = [(p.postcodes, score(segment_info, c.cats)) for p, c in members]
    scored = [(w, s) for w, s in scored if s is not None]
    total = sum(w for w, _ in scored)
    waits = [c.wait_weeks for _, c in members if c.wait_weeks is not None]
    return Row(
        code=code,
        kind=kind,
        area=area,
        postcodes=sum(p.postcodes for p, _ in members),
        districts=len(members),
        score=(sum(w * s for w, s in scored) / total) if total else None,
        shares=tuple(shares),
        wait_weeks=statistics.median(waits) if waits else None,
    )


def rank(rows: Iterable[Row]) -> list[Row]:
    """Best choice first; equal scores share a rank; areas without a score come last."""
    ordered = sorted(rows, key=lambda row: (row.score is None, -(row.score or 0.0), row.code))
    ranked: list[Row] = []
    previous: float | None = None
    position = 0
    for i, row in enumerate(ordered, start=1):
        if row.score is None:
            ranked.append(row)
            continue
        if row.score != previous:
            position, previous = i, row.score
        ranked.append(replace(row, rank=position))
    return ranked


def district_rows(snapshot: Snapshot, key: str, method_reach: dict[bool, float]) -> list[Row]:
    segment = snapshot.segments[key]
    cells = snapshot.cells.get(key, {})
    rows = []
    for code, cell in cells.items():
        place = snapshot.places[code]
        row = _roll(code, "district", place.area, [(place, cell)], segment.info)
        rows.append(replace(row, urban=place.urban, reach_km=method_reach[place.urban]))
    return rank(rows)


def area_rows(snapshot: Snapshot, key: str) -> list[Row]:
    segment = snapshot.segments[key]
    cells = snapshot.cells.get(key, {})
    grouped: dict[str, list[tuple[Place, Cell]]] = {}
    for code, cell in cells.items():
        place = snapshot.places[code]
        grouped.setdefault(place.area, []).append((place, cell))
    return rank(
        _roll(area, "area", area, members, segment.info) for area, members in grouped.items()
    )


def nation_row(snapshot: Snapshot, key: str) -> Row:
    segment = snapshot.segments[key]
    cells = snapshot.cells.get(key, {})
    members = [(snapshot.places[code], cell) for code, cell in cells.items()]
    return _roll(NATION, "nation", NATION, members, segment.info)


def area_row(snapshot: Snapshot, key: str, area: str) -> Row | None:
    for row in area_rows(snapshot, key):
        if row.code == area:
            return row
    return None
