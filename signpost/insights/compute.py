"""Provision by postcode district: for each need and age band, where each NICE option can be
had by a person living at the district's centre.

Availability is what the matcher would tell that person: its own index decides who they can
use (``DirectoryIndex.pool``: need, age, freshness, capacity, catchment, reach) and its own
rule decides whether a service delivers a NICE option to them (``rules.offers_option``). So
a change to either flows into these figures without a change here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from signpost.insights.method import Method
from signpost.insights.places import Place, distances_km
from signpost.matcher import rules as r
from signpost.matcher.index import BoolArray, DirectoryIndex, FloatArray
from signpost.matcher.query import MatchQuery
from signpost.matcher.records import ServiceRecord

if TYPE_CHECKING:
    from signpost.nice import NiceKnowledge, NiceOption

# Availability of one option, best first. One letter each, so a cell is one short string.
FREE_IN_PERSON = "F"
PAID_IN_PERSON = "P"
REMOTE_ONLY = "R"
NONE = "N"
CATEGORIES = (FREE_IN_PERSON, PAID_IN_PERSON, REMOTE_ONLY, NONE)
CATEGORY_NAMES = {
    FREE_IN_PERSON: "Free, in person, within reach",
    PAID_IN_PERSON: "In person within reach, paid only",
    REMOTE_ONLY: "By video, phone or online only",
    NONE: "Not available",
}
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class OptionInfo:
    """What the published figures say about a NICE option (from seed_data/nice.yaml)."""

    label: str
    modality: str
    status: str
    guideline: str
    recommendations: tuple[str, ...]
    verified: bool
    counted: bool  # in the choice score: a recommended treatment, not symptom support


@dataclass(frozen=True)
class Segment:
    """One need and age band, with the NICE options a person in it should be offered."""

    need: str
    band: str
    age: int  # the age the band is asked about as
    options: tuple[NiceOption, ...] = field(repr=False)
    info: tuple[OptionInfo, ...]

    @property
    def key(self) -> str:
        return f"{self.need}/{self.band}"

    @property
    def counted(self) -> int:
        return sum(1 for option in self.info if option.counted)


@dataclass(frozen=True)
class Cell:
    """One district and segment: a category letter per option, and the median dated wait."""

    cats: str
    wait_weeks: float | None
    waits: int  # how many services' dated waits the median is of


def option_info(option: NiceOption) -> OptionInfo:
    return OptionInfo(
        label=option.label,
        modality=option.modality,
        status=option.status,
        guideline=option.guideline,
        recommendations=tuple(option.recommendations),
        verified=option.verified,
        counted=option.recommended and option.is_treatment,
    )


def segments(nice: NiceKnowledge, method: Method) -> list[Segment]:
    """Every need and age band NICE gives options for ("not sure" is not a need to count)."""
    found = []
    for need in nice.vocab.needs:
        if need == r.NOT_SURE:
            continue
        for band, age in method.band_ages.items():
            advice = nice.advise(need, age, method.severity)
            if advice.has_guidance and advice.options:
                options = tuple(advice.options)
                found.append(
                    Segment(need, band, age, options, tuple(option_info(o) for o in options))
                )
    return found


def score(segment_info: Sequence[OptionInfo], cats: str) -> float | None:
    """The choice score: the share of NICE's recommended treatments for this need and age that
    a person here can get free, in person, within reach (None when NICE recommends none)."""
    counted = [cat for info, cat in zip(segment_info, cats, strict=True) if info.counted]
    if not counted:
        return None
    return sum(1 for cat in counted if cat == FREE_IN_PERSON) / len(counted)


def dated_treatment_weeks(record: ServiceRecord) -> float | None:
    """Weeks to the start of treatment, only where the service gave a date for the figure."""
    wait = record.overall_wait()
    if wait is None or wait.as_of is None or wait.treatment_weeks is None:
        return None
    return float(wait.treatment_weeks)


class Calculator:
    """Asks the matcher's index about one district and segment at a time."""

    def __init__(
        self, index: DirectoryIndex, method: Method, today: date, stale_after_days: int
    ) -> None:
        self.index = index
        self.method = method
        self.today = today
        self.stale_after_days = stale_after_days
        self._offers: dict[tuple[NiceOption, int], BoolArray] = {}
        self._matrices: dict[str, npt.NDArray[np.bool_]] = {}
        self.waits: FloatArray = np.fromiter(
            (math.nan if (w := dated_treatment_weeks(rec)) is None else w for rec in index.records),
            np.float64,
            len(index.records),
        )

    def offers(self, option: NiceOption, age: int) -> BoolArray:
        """Per index row: does the service deliver this option to a person of this age."""
        key = (option, age)
        found = self._offers.get(key)
        if found is None:
            found = np.fromiter(
                (r.offers_option(option, rec, age) for rec in self.index.records),
                bool,
                len(self.index.records),
            )
            self._offers[key] = found
        return found

    def query(self, place: Place, segment: Segment, radius_km: float | None = None) -> MatchQuery:
        return MatchQuery(
            latitude=place.latitude,
            longitude=place.longitude,
            outcode=place.code,
            area=place.area,
            need=segment.need,
            age=segment.age,
            severity=self.method.severity,
            today=self.today,
            radius_km=radius_km or self.method.reach_km(place.urban),
            stale_after_days=self.stale_after_days,
        )

    def matrix(self, segment: Segment) -> npt.NDArray[np.bool_]:
        """Options x index rows: who delivers each of the segment's options (cached)."""
        found = self._matrices.get(segment.key)
        if found is None:
            found = np.vstack([self.offers(o, segment.age) for o in segment.options])
            self._matrices[segment.key] = found
        return found

    def cell(self, place: Place, segment: Segment) -> Cell:
        index = self.index
        pool = index.pool(self.query(place, segment))
        rows = pool.rows
        open_ = ~index.closed[rows]
        in_person = open_ & pool.in_reach & pool.in_person
        remote = open_ & pool.remote_credit
        offered = self.matrix(segment)[:, rows]  # one gather for every option
        free_here = (offered & (in_person & index.free[rows])).any(axis=1)
        paid_here = (offered & in_person).any(axis=1)
        remote_here = (offered & remote).any(axis=1)
        cats = np.where(
            free_here,
            FREE_IN_PERSON,
            np.where(paid_here, PAID_IN_PERSON, np.where(remote_here, REMOTE_ONLY, NONE)),
        )
        counted = np.array([info.counted for info in segment.info], dtype=bool)
        any_counted = offered[counted].any(axis=0) if counted.any() else np.zeros(len(rows), bool)
        weeks = self.waits[rows[any_counted & (in_person | remote)]]
        weeks = weeks[~np.isnan(weeks)]
        median = float(np.median(weeks)) if len(weeks) else None
        return Cell("".join(cats.tolist()), median, len(weeks))


# -- change detection ---------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _canonical(value: Any) -> Any:
    """Nested tuples in a fixed order (sets sorted: their iteration order changes from one
    process to the next), so ``repr`` is the same everywhere. Hot: 100,000 calls a refresh."""
    kind = type(value)
    if kind is frozenset or kind is set:
        try:
            return tuple(sorted(value))
        except TypeError:
            return tuple(sorted((_canonical(v) for v in value), key=repr))
    if kind is tuple or kind is list:
        return tuple(_canonical(v) for v in value)
    names = _FIELD_NAMES.get(kind)
    if names is None:
        if not (dataclasses.is_dataclass(value) and not isinstance(value, type)):
            return value
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
    return (kind.__name__, *(_canonical(getattr(value, name)) for name in names))


def fingerprint(record: ServiceRecord) -> str:
    """A stable digest of everything the matcher knows about a service."""
    return hashlib.blake2b(repr(_canonical(record)).encode(), digest_size=10).hexdigest()


@dataclass(frozen=True)
class Footprint:
    """Where a service's change can show: its sites, and how far its remote offer reaches."""

    fingerprint: str
    sites: tuple[tuple[float, float], ...]
    radius_km: float  # in-person reach and any catchment radius around the sites
    everywhere: bool  # remote and national
    codes: tuple[str, ...]  # catchment districts and areas (for a remote offer)


def footprint(record: ServiceRecord, method: Method) -> Footprint:
    sites = tuple(
        (s.latitude, s.longitude)
        for s in record.sites
        if math.isfinite(s.latitude) and math.isfinite(s.longitude)
    )
    remote = bool(r.service_delivery(record) & {"video", "phone", "online"})
    radius = max(method.widest_reach_km, record.catchment_radius_km or 0.0)
    codes = tuple(sorted(c.strip().upper().replace(" ", "") for c in record.catchment_areas))
    return Footprint(
        fingerprint(record),
        sites,
        radius,
        remote and record.catchment_national,
        codes if remote else (),
    )


def affected(places: Sequence[Place], prints: Iterable[Footprint]) -> set[str]:
    """Districts whose figures a change to these services can move."""
    codes: set[str] = set()
    lats = np.array([p.latitude for p in places])
    lons = np.array([p.longitude for p in places])
    for foot in prints:
        if foot.everywhere:
            return {p.code for p in places}
        for lat, lon in foot.sites:
            near = np.flatnonzero(distances_km(lat, lon, lats, lons) <= foot.radius_km + 1.0)
            codes.update(places[i].code for i in near)
        if foot.codes:
            wanted = set(foot.codes)
            codes.update(p.code for p in places if p.code in wanted or p.area in wanted)
    return codes


# -- the snapshot -------------------------------------------------------------------------


def _info_digest(segment: Segment) -> str:
    text = json.dumps(_plain(segment.info), sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@dataclass
class Snapshot:
    method_version: str
    data_date: date
    computed_at: datetime
    directory_version: int | None
    services: int
    demo_services: int
    seconds: float
    segments: dict[str, Segment]
    places: dict[str, Place]
    cells: dict[str, dict[str, Cell]]  # segment key -> district code -> cell
    footprints: dict[str, Footprint]

    @property
    def demo(self) -> bool:
        return self.demo_services > 0

    def to_json(self) -> dict[str, Any]:
        return {
            "method_version": self.method_version,
            "data_date": self.data_date.isoformat(),
            "computed_at": self.computed_at.isoformat(),
            "directory_version": self.directory_version,
            "services": self.services,
            "demo_services": self.demo_services,
            "seconds": self.seconds,
            "segments": {key: _info_digest(seg) for key, seg in self.segments.items()},
            "places": [list(dataclasses.astuple(p)) for p in self.places.values()],
            "cells": {
                key: {code: [c.cats, c.wait_weeks, c.waits] for code, c in cells.items()}
                for key, cells in self.cells.items()
            },
            "footprints": {
                sid: [f.fingerprint, [list(s) for s in f.sites], f.radius_km, f.everywhere, f.codes]
                for sid, f in self.footprints.items()
            },
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any], known: dict[str, Segment]) -> Snapshot:
        """Rebuild a saved snapshot; segments come from today's NICE data (``known``) and any
        that no longer exist are dropped."""
        places = [Place(*p) for p in raw["places"]]
        return cls(
            method_version=raw["method_version"],
            data_date=date.fromisoformat(raw["data_date"]),
            computed_at=datetime.fromisoformat(raw["computed_at"]),
            directory_version=raw["directory_version"],
            services=raw["services"],
            demo_services=raw["demo_services"],
            seconds=raw["seconds"],
            segments={
                k: known[k]
                for k, digest in raw["segments"].items()
                if k in known and _info_digest(known[k]) == digest
            },
            places={p.code: p for p in places},
            cells={
                key: {code: Cell(c[0], c[1], c[2]) for code, c in cells.items()}
                for key, cells in raw["cells"].items()
                if key in known and _info_digest(known[key]) == raw["segments"].get(key)
            },
            footprints={
                sid: Footprint(f[0], tuple((s[0], s[1]) for s in f[1]), f[2], f[3], tuple(f[4]))
                for sid, f in raw["footprints"].items()
            },
        )


def _fill(
    calc: Calculator,
    segs: Sequence[Segment],
    places: Sequence[Place],
    cells: dict[str, dict[str, Cell]],
    progress: Progress | None,
) -> None:
    total = len(places) * len(segs)
    done = 0
    for segment in segs:
        target = cells.setdefault(segment.key, {})
        for place in places:
            target[place.code] = calc.cell(place, segment)
            done += 1
            if progress is not None and (done % 500 == 0 or done == total):
                progress(done, total)


def compute_all(
    index: DirectoryIndex,
    nice: NiceKnowledge,
    places: Sequence[Place],
    method: Method,
    *,
    today: date,
    stale_after_days: int,
    now: datetime,
    directory_version: int | None = None,
    progress: Progress | None = None,
    only: Sequence[Segment] | None = None,
) -> Snapshot:
    """Every district for every segment (or ``only`` these): the full national recompute."""
    started = time.perf_counter()
    segs = list(only) if only is not None else segments(nice, method)
    calc = Calculator(index, method, today, stale_after_days)
    cells: dict[str, dict[str, Cell]] = {}
    _fill(calc, segs, places, cells, progress)
    return Snapshot(
        method_version=method.version,
        data_date=today,
        computed_at=now,
        directory_version=directory_version,
        services=len(index.records),
        demo_services=sum(1 for rec in index.records if rec.demo),
        seconds=time.perf_counter() - started,
        segments={s.key: s for s in segs},
        places={p.code: p for p in places},
        cells=cells,
        footprints={rec.id: footprint(rec, method) for rec in index.records},
    )


def update(
    snapshot: Snapshot,
    index: DirectoryIndex,
    method: Method,
    *,
    now: datetime,
    stale_after_days: int,
    directory_version: int | None = None,
    progress: Progress | None = None,
) -> tuple[Snapshot, int]:
    """Recompute only the districts a directory change can move. Returns the new snapshot
    and how many districts were recomputed. The caller does a full recompute instead when
    the day, the methodology or NICE's options changed (``needs_full``)."""
    started = time.perf_counter()
    new_prints = {rec.id: footprint(rec, method) for rec in index.records}
    changed = [
        foot
        for sid, foot in new_prints.items()
        if snapshot.footprints.get(sid, None) is None
        or snapshot.footprints[sid].fingerprint != foot.fingerprint
    ]
    changed += [
        snapshot.footprints[sid]
        for sid, foot in snapshot.footprints.items()
        if sid not in new_prints or new_prints[sid].fingerprint != foot.fingerprint
    ]
    codes = affected(list(snapshot.places.values()), changed)
    places = [p for code, p in snapshot.places.items() if code in codes]
    calc = Calculator(index, method, snapshot.data_date, stale_after_days)
    cells = {key: dict(value) for key, value in snapshot.cells.items()}
    _fill(calc, list(snapshot.segments.values()), places, cells, progress)
    return (
        dataclasses.replace(
            snapshot,
            computed_at=now,
            directory_version=directory_version,
            services=len(index.records),
            demo_services=sum(1 for rec in index.records if rec.demo),
            seconds=time.perf_counter() - started,
            cells=cells,
            footprints=new_prints,
        ),
        len(places),
    )


def needs_full(
    snapshot: Snapshot,
    method: Method,
    known: dict[str, Segment],
    today: date,
    places: Sequence[Place] | None = None,
) -> bool:
    """A snapshot from another day (services go stale), methodology, set of NICE options or
    set of districts cannot be patched: recompute everything."""
    return (
        snapshot.data_date != today
        or snapshot.method_version != method.version
        or set(snapshot.segments) != set(known)
        or (places is not None and set(snapshot.places) != {p.code for p in places})
    )
