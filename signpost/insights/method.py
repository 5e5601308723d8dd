"""The published methodology: reach, age bands and thresholds, read from seed_data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from signpost.vocab import SEED_DATA

DEFAULT_PATH = SEED_DATA / "insights.yaml"


class MethodError(ValueError):
    """insights.yaml is missing a figure or has one out of range."""


@dataclass(frozen=True)
class Method:
    version: str
    urban_reach_km: float
    rural_reach_km: float
    urban_population: int
    urban_within_km: float
    band_ages: dict[str, int]
    severity: str
    nearest_search_km: float
    demand_publish_min: int
    demand_retention_weeks: int

    def reach_km(self, urban: bool) -> float:
        return self.urban_reach_km if urban else self.rural_reach_km

    @property
    def widest_reach_km(self) -> float:
        return max(self.urban_reach_km, self.rural_reach_km)


def _number(raw: dict[str, Any], key: str, *, minimum: float = 0.0) -> float:
    value = raw.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= minimum:
        raise MethodError(f"insights.yaml: {key} must be a number above {minimum:g}")
    return float(value)


def load_method(path: Path | None = None) -> Method:
    raw = yaml.safe_load((path or DEFAULT_PATH).read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise MethodError("insights.yaml must be a mapping")
    reach = raw.get("reach_km") or {}
    if not isinstance(reach, dict):
        raise MethodError("insights.yaml: reach_km must map urban and rural to kilometres")
    ages = raw.get("band_ages")
    if not isinstance(ages, dict) or not ages:
        raise MethodError("insights.yaml: band_ages must map each age band to an age")
    for band, age in ages.items():
        if not isinstance(age, int) or not 0 <= age <= 130:
            raise MethodError(f"insights.yaml: band_ages.{band} must be an age in years")
    return Method(
        version=str(raw.get("methodology_version") or ""),
        urban_reach_km=_number(reach, "urban"),
        rural_reach_km=_number(reach, "rural"),
        urban_population=int(_number(raw, "urban_population")),
        urban_within_km=_number(raw, "urban_within_km"),
        band_ages={str(band): int(age) for band, age in ages.items()},
        severity=str(raw.get("severity") or "unsure"),
        nearest_search_km=_number(raw, "nearest_search_km"),
        demand_publish_min=int(_number(raw, "demand_publish_min")),
        demand_retention_weeks=int(_number(raw, "demand_retention_weeks")),
    )
