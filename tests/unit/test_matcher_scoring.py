"""The scoring weights file: loaded, validated, and its product rules enforced."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from signpost.matcher.scoring import (
    DEFAULT_PATH,
    ScoringConfigError,
    default_scoring,
    load_scoring,
    parse_scoring,
)

ROOT = Path(__file__).resolve().parents[2]


def _raw() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def test_default_file_is_the_repository_seed_data_and_loads() -> None:
    assert ROOT / "seed_data" / "scoring.yaml" == DEFAULT_PATH
    rules = default_scoring()
    assert rules == load_scoring(DEFAULT_PATH)
    assert rules.points_for_status("first-line") > rules.points_for_status("option")
    assert rules.points_for_status("not-recommended") == 0
    assert rules.points_for_status("no-such-status") == 0


def _broken(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(_raw())
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("version",), 2, "version"),
        (("wait",), _DELETE, "'wait' is missing"),
        (("wait", "weight"), _DELETE, "missing weight"),
        (("wait", "speed"), 3, "unknown key"),
        (("colour",), {}, "unknown section"),
        (("nice", "status_points", "symptom-support"), 5, "symptom-support must be 0"),
        (("nice", "status_points", "not-recommended"), 1, "not-recommended must be 0"),
        (("nice", "status_points", "option"), 50, "must not rise"),
        (("nice", "order_max_penalty"), 15, "below the gap"),
        (("distance", "scale_km"), 0, "above 0"),
        (("distance", "weight"), -1, "at least 0"),
        (("distance", "weight"), "far", "must be a number"),
        (("wait", "long_weeks"), 2, "long_weeks must be above"),
        (("results", "min_in_reach"), 0, "whole number"),
    ],
)
def test_broken_scoring_is_rejected(path: tuple[str, ...], value: Any, message: str) -> None:
    with pytest.raises(ScoringConfigError, match=message):
        parse_scoring(_broken(path, value))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScoringConfigError, match="cannot read"):
        load_scoring(tmp_path / "absent.yaml")


def test_malformed_yaml_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "scoring.yaml"
    bad.write_text("nice: [unclosed", encoding="utf-8")
    with pytest.raises(ScoringConfigError, match="not valid YAML"):
        load_scoring(bad)
