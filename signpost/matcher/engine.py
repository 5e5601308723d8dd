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
)
from signpost.matcher.query import MatchQuery
from signpost.matcher.reasons import build_reasons, make_panel_row
from signpost.matcher.results import ChoicePanelRow, MatchOutcome, RankedService, WidenInfo

if TYPE_CHECKING:
    from signpost.nice import NiceAdvice, NiceOption


@dataclass(frozen=True)
class _OptionMask:
    modalities: int  # bits of every index modality that counts as this option's therapy
    format_bit: int | None  # None: any format


def _options(advice: NiceAdvice) -> tuple[NiceOption, ...]:
    return tuple(advice.options) if advice.has_guidance else ()


def _satisfying_bits(index: DirectoryIndex, target: str | NiceOption, age: int | None) -> int:
    # The vocabulary is small (tens of slugs), so asking the NICE rules per slug is cheap.
    return index.modality_vocab.mask(
        slug for slug in index.modality_vocab.bits if r.modality_satisfies(slug, target, age)
    )


def _option_masks(
    index: DirectoryIndex, options: Sequence[NiceOption], age: int | None
) -> list[_OptionMask]:
    masks = []
    for option in options:
        format_bit = None
        if option.format:
            format_bit = index.format_vocab.bits.get(option.format, 0)
        masks.append(_OptionMask(_satisfying_bits(index, option, age), format_bit))
    return masks


def _offers(index: DirectoryIndex, mask: _OptionMask, rows: IntArray) -> BoolArray:
    offered = (index.modalities[rows] & mask.modalities) != 0
    if mask.format_bit is not None:
        offered &= (index.formats[rows] & mask.format_bit) != 0
    return offered


def _score(
    index: DirectoryIndex,
    query: MatchQuery,
    options: Sequence[NiceOption],
    masks: Sequence[_OptionMask],
    pool: Pool,
) -> tuple[FloatArray, IntArray]:
    """Scores (quantised) and the index of each service's credited NICE option (-1: none).

    The sum is written in the same order as the naive path so the floats match exactly.
    """
    rules = index.rules
    rows = pool.rows
    size = len(rows)
    best = np.full(size, -1, dtype=np.int64)
    for i in r.option_priority(options):
        best[(best == -1) & _offers(index, masks[i], rows)] = i
    points = np.array([r.option_points(option, rules) for option in options] + [0.0])
    nice = points[best]  # -1 picks the trailing 0.0

    named = np.zeros(size, dtype=bool)
    for slug in query.modalities:
        bits = _satisfying_bits(index, slug, query.age)
        named |= (index.modalities[rows] & bits) != 0
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

    fit = np.zeros(size) if query.need == r.NOT_SURE else index.specialist_points[rows]
    total = (
        nice
        + preference
        + distance
        + index.wait_points[rows]
        + freshness
        + index.cost_points[rows]
        + index.capacity_points[rows]
        + fit
    )
    return np.floor(total * 1000.0 + 0.5) / 1000.0, best


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
    masks: Sequence[_OptionMask],
    base: Pool,
    extra: Pool | None,
) -> tuple[ChoicePanelRow, ...]:
    open_ = ~index.closed[base.rows]
    in_reach = open_ & base.in_reach & base.in_person
    remote = open_ & base.remote_credit
    paid = ~index.free[base.rows]
    rows = []
    for option, mask in zip(options, masks, strict=True):
        offered = _offers(index, mask, base.rows)
        here = offered & in_reach
        there = offered & remote
        used = here | there
        nearest = float(base.distance[here].min()) if here.any() else None
        beyond_km = None
        if extra is not None and len(extra):
            further = _offers(index, mask, extra.rows) & ~index.closed[extra.rows]
            if further.any():
                beyond_km = float(extra.distance[further].min())
        rows.append(
            make_panel_row(
                option,
                in_reach=int(here.sum()),
                remote=int(there.sum()),
                nearest_km=nearest,
                paid_only=bool(used.any() and paid[used].all()),
                radius_km=query.radius_km,
                nearest_beyond_km=beyond_km,
            )
        )
    return tuple(rows)


def match(query: MatchQuery, index: DirectoryIndex, advice: NiceAdvice) -> MatchOutcome:
    """Rank every eligible service for the query; see PRODUCT.md section 5."""
    rules = index.rules
    options = _options(advice)
    masks = _option_masks(index, options, query.age)

    base = index.pool(query)
    open_in_reach = int((base.in_reach & ~index.closed[base.rows]).sum())
    extra: Pool | None = None
    widened: WidenInfo | None = None
    if open_in_reach < rules.min_in_reach and query.accepts_in_person:
        for radius in r.widen_radii(query, rules):
            extra = index.beyond(query, radius, np.sort(base.rows))
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
    scores, best = _score(index, query, options, masks, pool)

    closed = index.closed[pool.rows]
    distance_key = np.where(np.isnan(pool.distance), np.inf, pool.distance)
    order = np.lexsort((index.id_rank[pool.rows], distance_key, -scores, closed))
    results = []
    for i in order[: query.limit]:
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
    panel = _panel(index, query, options, masks, base, extra)
    return MatchOutcome(
        query=query,
        advice=advice,
        results=tuple(results),
        total_eligible=len(pool),
        panel=panel,
        widened=widened,
        not_nearby=tuple(row.label for row in panel if row.gap),
    )
