"""Choice-gap figures for a small synthetic directory, checked against a table worked out by
hand, plus the incremental recompute and the ranking."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from signpost.insights import summary
from signpost.insights.compute import Segment, compute_all, option_info, score, update
from signpost.insights.method import Method, load_method
from signpost.insights.places import Place
from signpost.matcher.index import DirectoryIndex
from signpost.matcher.records import Wait
from signpost.nice import NiceOption, get_nice
from tests.unit.matcher_factories import HOME, TODAY, at, service, site

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
METHOD = replace(load_method(), urban_reach_km=10.0, rural_reach_km=25.0, band_ages={"18+": 35})


def _option(modality: str, label: str, status: str) -> NiceOption:
    return NiceOption(
        modality=modality,
        label=label,
        status=status,
        order=None,
        format="individual",
        note="",
        guideline="NG222",
        recommendations=("1.5.2",),
        verified=True,
    )


OPTIONS = (
    _option("cbt", "CBT", "first-line"),
    _option("counselling", "Counselling", "first-line"),
    _option("ipt", "IPT", "option"),
    _option("psychodynamic", "Not this", "not-recommended"),
)
SEGMENT = Segment("depression", "18+", 35, OPTIONS, tuple(option_info(o) for o in OPTIONS))

# A: urban, at HOME. B: rural, 20 km east. C: urban, 40 km south, in another area.
A = Place("LS1", "LS", HOME[0], HOME[1], 300, True)
B = Place("LS2", "LS", *at(20.0, 90.0), 100, False)
C = Place("HG1", "HG", *at(40.0, 180.0), 200, True)
PLACES = [A, B, C]


def _directory() -> list:
    dated = TODAY - timedelta(days=10)
    return [
        # Free CBT 2 km north of A: within A's 10 km and B's 25 km, not C's.
        service("s1", modalities={"cbt"}, waits=(Wait(2, 8, dated),)),
        # Paid counselling 1 km south of A; its wait has no date, so it is not counted.
        service(
            "s2",
            modalities={"counselling"},
            cost_type="fixed",
            cost_min_gbp=40.0,
            sites=(site(1.0, 180.0, "s2-site"),),
            waits=(Wait(None, 4, None),),
        ),
        # Free IPT by video only, nationally: remote everywhere.
        service(
            "s3",
            modalities={"ipt"},
            delivery={"video"},
            sites=(),
            catchment_national=True,
            waits=(Wait(1, 6, dated),),
        ),
        # Free counselling at A but closed to referrals: does not count.
        service("s4", modalities={"counselling"}, capacity="closed", waits=()),
        # Free charity CBT next to C, not checked for over a year: hidden, does not count
        # (statutory services stay listed when stale; that is the matcher's rule, not ours).
        service(
            "s5",
            sector="charity",
            modalities={"cbt"},
            sites=(site(39.0, 180.0, "s5-site"),),
            last_verified=TODAY - timedelta(days=400),
            waits=(),
        ),
    ]


# Worked out by hand from the directory above: one letter per option (F free in person,
# P paid in person only, R remote only, N none), the choice score (free-in-person share of
# the three recommended options) and the median dated wait of the services counted.
EXPECTED = {
    "LS1": ("FPRN", 1 / 3, 7.0, 2),
    "LS2": ("FPRN", 1 / 3, 7.0, 2),
    "HG1": ("NNRN", 0.0, 6.0, 1),
}


def _snapshot(records: list) -> object:
    return compute_all(
        DirectoryIndex(records),
        get_nice(),
        PLACES,
        METHOD,
        today=TODAY,
        stale_after_days=365,
        now=NOW,
        only=[SEGMENT],
    )


def test_district_figures_match_the_hand_computed_table() -> None:
    snapshot = _snapshot(_directory())
    cells = snapshot.cells[SEGMENT.key]
    for code, (cats, expected_score, wait, waits) in EXPECTED.items():
        cell = cells[code]
        assert cell.cats == cats, code
        assert score(SEGMENT.info, cell.cats) == pytest.approx(expected_score), code
        assert cell.wait_weeks == wait and cell.waits == waits, code


def test_areas_and_nation_are_postcode_weighted_and_ranked() -> None:
    snapshot = _snapshot(_directory())
    areas = {row.code: row for row in summary.area_rows(snapshot, SEGMENT.key)}
    assert areas["LS"].score == pytest.approx(1 / 3) and areas["LS"].rank == 1
    assert areas["HG"].score == 0.0 and areas["HG"].rank == 2
    assert areas["LS"].shares[1]["P"] == pytest.approx(1.0)
    nation = summary.nation_row(snapshot, SEGMENT.key)
    # (300 * 1/3 + 100 * 1/3 + 200 * 0) / 600
    assert nation.score == pytest.approx(2 / 9)
    assert nation.shares[0]["F"] == pytest.approx(400 / 600)
    assert nation.shares[0]["N"] == pytest.approx(200 / 600)
    assert nation.shares[2]["R"] == pytest.approx(1.0)
    assert nation.wait_weeks == 7.0  # median of 7, 7 and 6


def test_incremental_recompute_touches_only_districts_a_change_can_reach() -> None:
    records = _directory()
    before = _snapshot(records)
    changed = [replace(r, cost_type="free") if r.id == "s2" else r for r in records]
    after, recomputed = update(
        before, DirectoryIndex(changed), METHOD, now=NOW, stale_after_days=365
    )
    assert recomputed == 2  # LS1 and LS2 are within reach of s2's site; HG1 is 39 km away
    assert after.cells[SEGMENT.key]["LS1"].cats == "FFRN"
    assert after.cells[SEGMENT.key]["HG1"] is before.cells[SEGMENT.key]["HG1"]
    assert after.cells == _snapshot(changed).cells  # the same as recomputing everything


def test_an_unchanged_directory_recomputes_nothing() -> None:
    records = _directory()
    before = _snapshot(records)
    _, recomputed = update(before, DirectoryIndex(records), METHOD, now=NOW, stale_after_days=365)
    assert recomputed == 0


def test_snapshot_survives_saving_and_loading() -> None:
    from signpost.insights.compute import Snapshot

    snapshot = _snapshot(_directory())
    loaded = Snapshot.from_json(snapshot.to_json(), {SEGMENT.key: SEGMENT})
    assert loaded.cells == snapshot.cells
    assert loaded.places == snapshot.places
    assert loaded.footprints == snapshot.footprints


def test_real_nice_segments_skip_not_sure_and_count_only_recommended_treatments() -> None:
    from signpost.insights.compute import segments

    found = {s.key: s for s in segments(get_nice(), load_method())}
    assert "depression/18+" in found and not any(k.startswith("not-sure/") for k in found)
    for segment in found.values():
        for info in segment.info:
            assert info.counted == (info.status not in ("symptom-support", "not-recommended"))


def test_method_rejects_a_missing_reach(tmp_path) -> None:
    from signpost.insights.method import MethodError

    path = tmp_path / "insights.yaml"
    path.write_text("methodology_version: '1'\nreach_km: {urban: 10}\nband_ages: {'18+': 35}\n")
    with pytest.raises(MethodError):
        load_method(path)


def test_method_is_loaded_from_seed_data() -> None:
    method: Method = load_method()
    assert method.version and method.urban_reach_km < method.rural_reach_km
    assert method.demand_publish_min == 10


def test_fingerprint_is_the_same_in_another_process() -> None:
    """Saved fingerprints are compared by a later process: set order must not leak in."""
    import subprocess
    import sys

    from signpost.insights.compute import fingerprint

    record = _directory()[0]
    code = (
        "from tests.unit.test_insights import _directory;"
        "from signpost.insights.compute import fingerprint;"
        "print(fingerprint(_directory()[0]))"
    )
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        )
        assert out.stdout.strip() == fingerprint(record)
    assert fingerprint(replace(record, needs=record.needs | {"trauma"})) != fingerprint(record)
