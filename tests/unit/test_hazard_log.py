"""docs/clinical-safety/hazard-log.yaml: DCB0129 shape, risk ratings and a real test per control."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LOG = ROOT / "docs" / "clinical-safety" / "hazard-log.yaml"
HAZARD_KEYS = {"id", "hazard", "causes", "effect", "initial", "controls", "residual"}
CONTROL_KEYS = {"id", "description", "status", "tests", "owner"}


def _log() -> dict[str, Any]:
    return yaml.safe_load(LOG.read_text(encoding="utf-8"))


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def missing_tests(log: dict[str, Any], root: Path = ROOT) -> list[str]:
    """Every test a control names that does not exist, as "H5-C1: path::name"."""
    missing = []
    cache: dict[Path, set[str]] = {}
    for hazard in log["hazards"]:
        for control in hazard["controls"]:
            for name in control.get("tests") or []:
                path_text, _, function = name.partition("::")
                path = root / path_text
                if path not in cache:
                    cache[path] = _test_functions(path) if path.is_file() else set()
                if not function or function not in cache[path]:
                    missing.append(f"{control['id']}: {name}")
    return missing


def test_every_named_test_exists() -> None:
    assert missing_tests(_log()) == []


def test_the_check_catches_a_missing_test() -> None:
    log = _log()
    log["hazards"][0]["controls"][0]["tests"] = ["tests/unit/test_nice.py::test_no_such_thing"]
    assert missing_tests(log) == ["H1-C1: tests/unit/test_nice.py::test_no_such_thing"]
    log["hazards"][0]["controls"][0]["tests"] = ["tests/unit/missing.py::test_x"]
    assert missing_tests(log) == ["H1-C1: tests/unit/missing.py::test_x"]


def test_starts_from_the_reviews_sixteen_hazards() -> None:
    ids = [h["id"] for h in _log()["hazards"]]
    assert ids[:16] == [f"H{n}" for n in range(1, 17)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("hazard", _log()["hazards"], ids=lambda h: h["id"])
def test_hazard_has_the_dcb0129_shape(hazard: dict[str, Any]) -> None:
    assert set(hazard) == HAZARD_KEYS
    assert hazard["hazard"].strip() and hazard["effect"].strip() and hazard["causes"]
    matrix = _log()["risk_matrix"]
    for stage in ("initial", "residual"):
        rating = hazard[stage]
        s, likelihood = rating["severity"], rating["likelihood"]
        assert 1 <= s <= 5 and 1 <= likelihood <= 5
        assert rating["risk"] == matrix[likelihood][s - 1], (hazard["id"], stage)
    # controls may lower the likelihood, not make a hazard less severe than it is
    assert hazard["residual"]["risk"] <= hazard["initial"]["risk"]
    assert hazard["controls"]
    for control in hazard["controls"]:
        assert set(control) <= CONTROL_KEYS and control["id"].startswith(hazard["id"] + "-C")
        assert control["description"].strip()
        if control["status"] == "implemented":
            assert control.get("tests"), control["id"]
        else:
            assert control["status"] == "planned" and control.get("owner"), control["id"]


def test_the_safety_case_report_names_every_hazard() -> None:
    report = (LOG.parent / "safety-case-report.md").read_text(encoding="utf-8")
    for hazard in _log()["hazards"]:
        assert f"| {hazard['id']} |" in report


def test_the_report_summary_agrees_with_the_log() -> None:
    report = (LOG.parent / "safety-case-report.md").read_text(encoding="utf-8")
    for hazard in _log()["hazards"]:
        row = next(line for line in report.splitlines() if line.startswith(f"| {hazard['id']} |"))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[2:4] == [str(hazard["initial"]["risk"]), str(hazard["residual"]["risk"])]
        planned = [c["id"] for c in hazard["controls"] if c["status"] == "planned"]
        assert all(control_id in cells[4] for control_id in planned), hazard["id"]
        assert planned or cells[4] == "none", hazard["id"]
