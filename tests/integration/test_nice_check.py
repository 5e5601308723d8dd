"""``flask nice-check``: every guideline with its last check date; old ones flagged (H14)."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskCliRunner

from signpost.nice import get_nice
from signpost.nice_check import guideline_checks


def test_lists_every_guideline_with_its_check_date(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["nice-check", "--max-age-days", "365", "--today", "2026-12-01"])
    assert result.exit_code == 0, result.output
    used = {e.guideline for e in get_nice().entries()}
    for gid in used:
        assert f"{gid} " in result.output
    assert "last checked 2026-11-22" in result.output
    assert "RE-CHECK DUE" not in result.output
    assert "CG31" in result.output and "Published in 2005" in result.output
    assert "CG61   not yet added" in result.output
    assert "0 not checked within 365 days." in result.output


def test_flags_old_checks_and_fails(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["nice-check", "--max-age-days", "30", "--today", "2027-06-01"])
    assert result.exit_code == 1
    assert result.output.count("RE-CHECK DUE") == len({e.guideline for e in get_nice().entries()})
    assert "not checked within 30 days: " in result.output


def test_only_the_old_ones_are_flagged() -> None:
    # NG116's newest source was read on 2026-11-30 but its oldest on 2026-11-22: the oldest counts
    checks = {c.id: c for c in guideline_checks(get_nice(), dt.date(2026, 12, 5), 10)}
    assert checks["NG116"].verified_on == dt.date(2026, 11, 22)
    assert all(c.stale for c in checks.values())
    fresh = guideline_checks(get_nice(), dt.date(2026, 12, 5), 13)
    assert not any(c.stale for c in fresh)
    ng222 = next(c for c in fresh if c.id == "NG222")
    assert ng222.options_verified and ng222.options_under_review


def test_bad_arguments_are_refused(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["nice-check", "--max-age-days", "0"])
    assert result.exit_code == 2 and "max-age-days" in result.output
