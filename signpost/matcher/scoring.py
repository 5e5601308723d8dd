"""Scoring weights as data: load ``seed_data/scoring.yaml`` and validate it at start."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "seed_data" / "scoring.yaml"

NICE_STATUSES = (
    "first-line",
    "option",
    "alternative",
    "subgroup",
    "symptom-support",
    "not-recommended",
)
# Statuses that must never lift a service: NICE does not offer them as treatment for the need.
NEVER_BOOSTED = ("symptom-support", "not-recommended")
RANKED_STATUSES = ("first-line", "option", "alternative", "subgroup")


class ScoringConfigError(ValueError):
    """The scoring file is missing, malformed or breaks a product rule."""


@dataclass(frozen=True)
class ScoringRules:
    status_points: tuple[tuple[str, float], ...]
    order_step: float
    order_max_penalty: float
    preference_modality: float
    preference_relational: float
    preference_community: float
    specialist: float
    specialist_max_needs: int
    front_door: float
    distance_weight: float
    distance_scale_km: float
    remote_points: float
    wait_weight: float
    wait_short_weeks: float
    wait_long_weeks: float
    wait_unknown_points: float
    freshness_weight: float
    fresh_days: int
    cost_weight: float
    cost_reference_gbp: float
    cost_low_gbp: float
    cost_unknown_points: float
    capacity_accepting: float
    capacity_waitlist: float
    capacity_closed: float
    min_in_reach: int
    widen_max_km: float

    def points_for_status(self, status: str) -> float:
        for name, points in self.status_points:
            if name == status:
                return points
        return 0.0  # a status we do not know is shown, never boosted


_SCHEMA: dict[str, tuple[str, ...]] = {
    "nice": ("status_points", "order_step", "order_max_penalty"),
    "preference": ("modality", "relational", "community"),
    "fit": ("specialist", "specialist_max_needs", "front_door"),
    "distance": ("weight", "scale_km", "remote_points"),
    "wait": ("weight", "short_weeks", "long_weeks", "unknown_points"),
    "freshness": ("weight", "fresh_days"),
    "cost": ("weight", "reference_gbp", "low_gbp", "unknown_points"),
    "capacity": ("accepting", "waitlist", "closed"),
    "results": ("min_in_reach", "widen_max_km"),
}


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    section = data.get(name)
    if not isinstance(section, dict):
        raise ScoringConfigError(f"scoring: section '{name}' is missing or not a mapping")
    expected = set(_SCHEMA[name])
    missing = sorted(expected - set(section))
    extra = sorted(set(section) - expected)
    if missing:
        raise ScoringConfigError(f"scoring: '{name}' is missing {', '.join(missing)}")
    if extra:
        raise ScoringConfigError(f"scoring: '{name}' has unknown key(s) {', '.join(extra)}")
    return section


def _number(section: dict[str, Any], where: str, key: str, *, positive: bool = False) -> float:
    value = section[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScoringConfigError(f"scoring: {where}.{key} must be a number")
    if value < 0 or (positive and value == 0):
        raise ScoringConfigError(
            f"scoring: {where}.{key} must be {'above' if positive else 'at least'} 0"
        )
    return float(value)


def _integer(section: dict[str, Any], where: str, key: str) -> int:
    value = section[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ScoringConfigError(f"scoring: {where}.{key} must be a whole number of at least 1")
    return value


def parse_scoring(data: Any) -> ScoringRules:
    """Validate a parsed scoring document and build the rules."""
    if not isinstance(data, dict):
        raise ScoringConfigError("scoring: the file must be a mapping")
    if data.get("version") != 1:
        raise ScoringConfigError("scoring: version must be 1")
    unknown = sorted(set(data) - set(_SCHEMA) - {"version"})
    if unknown:
        raise ScoringConfigError(f"scoring: unknown section(s) {', '.join(unknown)}")
    nice = _section(data, "nice")
    raw_status = nice["status_points"]
    if not isinstance(raw_status, dict) or set(raw_status) != set(NICE_STATUSES):
        raise ScoringConfigError(
            f"scoring: nice.status_points must give exactly {', '.join(NICE_STATUSES)}"
        )
    status = {name: _number(raw_status, "nice.status_points", name) for name in NICE_STATUSES}
    for name in NEVER_BOOSTED:
        if status[name] != 0:
            raise ScoringConfigError(f"scoring: nice.status_points.{name} must be 0")
    ranked = [status[name] for name in RANKED_STATUSES]
    if any(higher < lower for higher, lower in itertools.pairwise(ranked)):
        raise ScoringConfigError(
            "scoring: nice.status_points must not rise from first-line to subgroup"
        )
    order_step = _number(nice, "nice", "order_step")
    order_max_penalty = _number(nice, "nice", "order_max_penalty")
    gaps = [a - b for a, b in itertools.pairwise(ranked) if a > b]
    if gaps and order_max_penalty >= min(gaps):
        raise ScoringConfigError(
            "scoring: nice.order_max_penalty must stay below the gap between statuses"
        )
    if ranked[-1] and order_max_penalty >= ranked[-1]:
        raise ScoringConfigError("scoring: nice.order_max_penalty must stay below subgroup points")

    preference = _section(data, "preference")
    fit = _section(data, "fit")
    distance = _section(data, "distance")
    wait = _section(data, "wait")
    short_weeks = _number(wait, "wait", "short_weeks")
    long_weeks = _number(wait, "wait", "long_weeks")
    if long_weeks <= short_weeks:
        raise ScoringConfigError("scoring: wait.long_weeks must be above wait.short_weeks")
    freshness = _section(data, "freshness")
    cost = _section(data, "cost")
    capacity = _section(data, "capacity")
    results = _section(data, "results")
    return ScoringRules(
        status_points=tuple((name, status[name]) for name in NICE_STATUSES),
        order_step=order_step,
        order_max_penalty=order_max_penalty,
        preference_modality=_number(preference, "preference", "modality"),
        preference_relational=_number(preference, "preference", "relational"),
        preference_community=_number(preference, "preference", "community"),
        specialist=_number(fit, "fit", "specialist"),
        specialist_max_needs=_integer(fit, "fit", "specialist_max_needs"),
        front_door=_number(fit, "fit", "front_door"),
        distance_weight=_number(distance, "distance", "weight"),
        distance_scale_km=_number(distance, "distance", "scale_km", positive=True),
        remote_points=_number(distance, "distance", "remote_points"),
        wait_weight=_number(wait, "wait", "weight"),
        wait_short_weeks=short_weeks,
        wait_long_weeks=long_weeks,
        wait_unknown_points=_number(wait, "wait", "unknown_points"),
        freshness_weight=_number(freshness, "freshness", "weight"),
        fresh_days=_integer(freshness, "freshness", "fresh_days"),
        cost_weight=_number(cost, "cost", "weight"),
        cost_reference_gbp=_number(cost, "cost", "reference_gbp", positive=True),
        cost_low_gbp=_number(cost, "cost", "low_gbp"),
        cost_unknown_points=_number(cost, "cost", "unknown_points"),
        capacity_accepting=_number(capacity, "capacity", "accepting"),
        capacity_waitlist=_number(capacity, "capacity", "waitlist"),
        capacity_closed=_number(capacity, "capacity", "closed"),
        min_in_reach=_integer(results, "results", "min_in_reach"),
        widen_max_km=_number(results, "results", "widen_max_km", positive=True),
    )


def load_scoring(path: Path | str | None = None) -> ScoringRules:
    """Read and validate a scoring file (the bundled one by default)."""
    target = Path(path) if path is not None else DEFAULT_PATH
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScoringConfigError(f"scoring: cannot read {target}: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScoringConfigError(f"scoring: {target} is not valid YAML: {exc}") from exc
    return parse_scoring(data)


@lru_cache(maxsize=1)
def default_scoring() -> ScoringRules:
    return load_scoring()
