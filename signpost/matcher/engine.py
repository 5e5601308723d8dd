"""Rank services for one person: NICE fit, preference and access, with reasons and the choice
panel. Pure Python and numpy; the same query and index always give the same outcome."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from signpost.matcher import rules as r
from signpost.matcher.index import (
    BoolArray,
    DirectoryIndex,
    FloatArray,
    IntArray,
    Pool,
    member,
    quantise_array,
)
from signpost.matcher.query import MatchQuery
from signpost.matcher.reasons import build_reasons, lead_reasons, make_panel_row
from signpost.matcher.results import ChoicePanelRow, MatchOutcome, RankedService, WidenInfo

if TYPE_CHECKING:
    from signpost.nice import NiceAdvice, NiceOption


def _options(advice: NiceAdvice) -> tuple[NiceOption, ...]:
    return tuple(advice.options) if advice.has_guidance else ()


def _satisfying_bits(index: DirectoryIndex, target: str | NiceOption, age: int | None) -> int:
    """Bits of every index modality that counts as ``target`` for this age (cached per index:
    the answer depends only on the target's slug and kind, and the age)."""
    if isinstance(target, str):
        key: tuple[object, ...] = (target, age)
    else:
        key = (target.modality, target.kind, age)
    bits = index.satisfying_cache.get(key)
    if bits is None:
        bits = index.modality_vocab.mask(
            slug for slug in index.modality_vocab.bits if r.modality_satisfies(slug, target, age)
        )
        index.satisfying_cache[key] = bits
    return bits


@dataclass(frozen=True)
class _Columns:
    """Per-service values gathered once for the pool, shared by scoring and the panel."""

    modalities: IntArray
    closed: BoolArray
    free: BoolArray
    offers: tuple[BoolArray, ...]  # per NICE option: does the service offer it


def _gather(
    index: DirectoryIndex, query: MatchQuery, options: Sequence[NiceOption], pool: Pool
) -> _Columns:
    rows = pool.rows
    modalities = index.modalities[rows]
    strict = r.strict_intensity(query)
    high = index.high_modalities[rows] if strict else modalities
    protocols = index.protocols[rows] if any(map(r.protocol_option, options)) else None
    formats = index.formats[rows] if any(option.format for option in options) else None
    offers = []
    for option in options:
        if r.protocol_option(option) and protocols is not None:
            offered = (protocols & index.protocol_vocab.bits.get(str(option.kind), 0)) != 0
        else:
            offering = modalities if r.low_option(option) else high
            offered = (offering & _satisfying_bits(index, option, query.age)) != 0
        if strict and not r.low_option(option):
            offered &= ~index.low_only[rows]
        if option.format and formats is not None:
            offered &= (formats & index.format_vocab.bits.get(option.format, 0)) != 0
        offers.append(offered)
    return _Columns(modalities, index.closed[rows], index.free[rows], tuple(offers))


def _score(
    index: DirectoryIndex,
    query: MatchQuery,
    options: Sequence[NiceOption],
    columns: _Columns,
    pool: Pool,
) -> tuple[FloatArray, IntArray]:
    """Scores (quantised) and the index of each service's credited NICE option (-1: none).

    The sum is written in the same order as the naive path so the floats match exactly.
    """
    rules = index.rules
    rows = pool.rows
    size = len(rows)
    best = np.full(size, -1, dtype=np.int64)
    strict = r.strict_intensity(query)
    for i in r.option_priority(options):
        if r.creditable(options[i], strict):
            best[(best == -1) & columns.offers[i]] = i
    points = np.array([r.option_points(option, rules) for option in options] + [0.0])
    nice = points[best]  # -1 picks the trailing 0.0

    named = np.zeros(size, dtype=bool)
    for slug in query.modalities:
        named |= (columns.modalities & _satisfying_bits(index, slug, query.age)) != 0
    relational = index.relational[rows] if query.relational else np.zeros(size, dtype=bool)
    community = member(rows, index.community_rows(query.community))
    preference = (
        np.where(named, rules.preference_modality, 0.0)
        + np.where(relational, rules.preference_relational, 0.0)
        + np.where(community, rules.preference_community, 0.0)
    )

    near = (
        rules.distance_weight
        * rules.distance_scale_km
        / (rules.distance_scale_km + np.nan_to_num(pool.distance, nan=0.0))
    )
    # Remote reach is worth at least remote_points, so leaving the radius never raises a score.
    distance = np.where(
        pool.remote_credit & pool.in_reach,
        np.maximum(near, rules.remote_points),
        np.where(pool.remote_credit, rules.remote_points, near),
    )

    days = np.maximum(query.today.toordinal() - index.verified[rows], 0)
    span = query.stale_after_days - rules.fresh_days
    if span <= 0:
        freshness = np.full(size, rules.freshness_weight)
    else:
        freshness = rules.freshness_weight * np.clip((query.stale_after_days - days) / span, 0, 1)

    if query.need == r.NOT_SURE:
        fit = np.where(index.front_door[rows], rules.front_door, 0.0)
    else:
        fit = np.where(index.specialist[rows], rules.specialist, 0.0)
    total = nice + preference + distance + freshness + index.static_points[rows] + fit
    return quantise_array(total), best


def _concat(first: Pool, second: Pool) -> Pool:
    return Pool(
        rows=np.concatenate([first.rows, second.rows]),
        distance=np.concatenate([first.distance, second.distance]),
        site=np.concatenate([first.site, second.site]),
        in_reach=np.concatenate([first.in_reach, second.in_reach]),
        remote_credit=np.concatenate([first.remote_credit, second.remote_credit]),
        in_person=np.concatenate([first.in_person, second.in_person]),
    )


def _panel(
    index: DirectoryIndex,
    query: MatchQuery,
    options: Sequence[NiceOption],
    columns: _Columns,
    pool: Pool,
    base_size: int,
) -> tuple[ChoicePanelRow, ...]:
    """One row per option. The first ``base_size`` pool entries are within reach or remote;
    the rest were found by widening and only give the nearest further away."""
    open_ = ~columns.closed
    base = np.zeros(len(pool), dtype=bool)
    base[:base_size] = True
    in_reach = base & open_ & pool.in_reach & pool.in_person
    remote = base & open_ & pool.remote_credit
    further = ~base & open_
    paid = ~columns.free
    # Remote entries that also see people in person, beyond the radius: their nearest site.
    far = np.full(len(pool), np.nan)
    if query.accepts_in_person:
        for i in np.flatnonzero(remote & ~pool.in_reach):
            km = r.far_site_km(index.records[int(pool.rows[i])], query)
            if km is not None:
                far[i] = km
    rows = []
    for option, offered in zip(options, columns.offers, strict=True):
        here = offered & in_reach
        there = offered & remote
        far_here = far[there & ~np.isnan(far)]
        used = here | there
        beyond = offered & further
        rows.append(
            make_panel_row(
                option,
                in_reach=int(here.sum()),
                remote=int(there.sum()),
                nearest_km=float(pool.distance[here].min()) if here.any() else None,
                paid_only=bool(used.any() and paid[used].all()),
                radius_km=query.radius_km,
                nearest_beyond_km=float(pool.distance[beyond].min()) if beyond.any() else None,
                far_in_person_km=float(far_here.min()) if len(far_here) else None,
            )
        )
    return tuple(rows)


def _top(
    index: DirectoryIndex,
    pool: Pool,
    scores: FloatArray,
    closed: BoolArray,
    tiers: tuple[BoolArray, BoolArray],
    limit: int,
) -> IntArray:
    """Positions of the best ``limit`` entries: restricted services the person has not said
    they qualify for last, then low-intensity-only ones (more severe or unsure), closed, score,
    distance, id.

    A partial partition on (tiers, closed, score) narrows the field first, keeping every tie at
    the cut, so only a few entries need the full sort. Scores stay far below 1e4.
    """
    unstated, low = tiers
    candidates = np.arange(len(pool))
    if len(pool) > 4 * limit:
        primary = scores - 1e4 * closed - 1e5 * low - 1e6 * unstated
        cut = np.partition(-primary, limit - 1)[limit - 1]
        candidates = np.flatnonzero(-primary <= cut)
    distance = pool.distance[candidates]
    order = np.lexsort(
        (
            index.id_rank[pool.rows[candidates]],
            np.where(np.isnan(distance), np.inf, distance),
            -scores[candidates],
            closed[candidates],
            low[candidates],
            unstated[candidates],
        )
    )
    return candidates[order][:limit]


def match(query: MatchQuery, index: DirectoryIndex, advice: NiceAdvice) -> MatchOutcome:
    """Rank every eligible service for the query; see PRODUCT.md section 5."""
    rules = index.rules
    options = _options(advice)

    base = index.pool(query)
    open_in_reach = int((base.in_reach & ~index.closed[base.rows]).sum())
    extra: Pool | None = None
    widened: WidenInfo | None = None
    if open_in_reach < rules.min_in_reach and query.accepts_in_person:
        for radius in r.widen_radii(query, rules):
            extra = index.beyond(query, radius, base.rows)
            found = int((~index.closed[extra.rows]).sum())
            widened = WidenInfo(
                from_radius_km=query.radius_km,
                radius_km=radius,
                count=len(extra),
                remote_count=int((~base.in_reach).sum()),
            )
            if open_in_reach + found >= rules.min_in_reach:
                break

    pool = base if extra is None else _concat(base, extra)
    beyond = np.zeros(len(pool), dtype=bool)
    beyond[len(base) :] = True
    columns = _gather(index, query, options, pool)
    scores, best = _score(index, query, options, columns, pool)
    unstated = index.eligibility_unstated(query, pool.rows)
    low = index.low_only[pool.rows] & r.strict_intensity(query)
    order = _top(index, pool, scores, columns.closed, (unstated, low), query.limit)
    results = []
    for i in order:
        row = int(pool.rows[i])
        record = index.records[row]
        distance = None if math.isnan(pool.distance[i]) else float(pool.distance[i])
        option = options[best[i]] if best[i] >= 0 else None
        results.append(
            RankedService(
                record=record,
                distance_km=distance,
                site=index.site_for(int(pool.site[i])),
                score=float(scores[i]),
                reasons=build_reasons(
                    record,
                    query,
                    advice,
                    rules,
                    nice_option=option,
                    distance_km=distance,
                    beyond_radius=bool(beyond[i]),
                    remote_credit=bool(pool.remote_credit[i]),
                ),
                nice_option=option,
                beyond_radius=bool(beyond[i]),
            )
        )
    panel = _panel(index, query, options, columns, pool, len(base))
    return MatchOutcome(
        query=query,
        advice=advice,
        results=lead_reasons(results, query, rules),
        total_eligible=len(pool),
        panel=panel,
        widened=widened,
        not_nearby=tuple(row.label for row in panel if row.gap),
    )
