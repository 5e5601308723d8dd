"""Safety properties of matching, over the demo directory, a synthetic directory and random
directories (hypothesis): urgent needs always get their panel, statutory listings never vanish
for staleness, no age means no ranking, zero results always come with ways forward, and
"not sure" puts NHS front doors first.

Plain Python: the matcher, the presenters and the urgent-help data, no Flask or database.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from signpost.demo.directory import build_directory, iter_services, load_places
from signpost.geo.geocoder import ResolvedLocation
from signpost.matcher.bench import synthetic_queries, synthetic_records
from signpost.matcher.engine import match
from signpost.matcher.index import DirectoryIndex
from signpost.matcher.query import MatchQuery
from signpost.matcher.records import ServiceRecord, Site, Wait
from signpost.matcher.results import MatchOutcome
from signpost.matcher.rules import NOT_SURE, is_front_door
from signpost.nice import get_nice
from signpost.search import presenters
from signpost.search.params import SearchInputError, SearchParams, parse_search
from signpost.search.service import SearchOutcome
from signpost.urgency import get_urgency
from signpost.vocab import get_vocabularies
from tests.unit.matcher_factories import TODAY
from tests.unit.test_matcher_properties import SETTINGS, directories, questions

VOCAB = get_vocabularies()
NEEDS = tuple(VOCAB.needs)
# The needs the issue names as possibly urgent, and the panel each must show.
URGENT_NEEDS = {
    "self-harm": "self-harm",
    "psychosis": "psychosis",
    "eating-disorder": "eating-disorder",
    "perinatal": "perinatal",
}
AGES: tuple[int | str, ...] = (8, 15, 17, 19, 34, 70, "under-18", "18-plus")
COUNTS: dict[str, int] = {}


def _count(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


# -- the demo directory as matcher records (the same specs the seed installs) -------------------


@cache
def demo_records() -> tuple[ServiceRecord, ...]:
    records = []
    for org, spec in iter_services(build_directory()):
        sites = {site.id: site for site in org.sites}
        kinds: dict[str, set[str]] = {}
        for kind, value in spec.catchment_areas:
            kinds.setdefault(kind, set()).add(value)
        records.append(
            ServiceRecord(
                id=spec.id,
                name=spec.name,
                organization_id=org.id,
                organization_name=org.name,
                sector=org.sector,
                modalities=frozenset(spec.modalities),
                needs=frozenset(spec.needs),
                formats=frozenset(spec.formats),
                delivery=frozenset(spec.delivery),
                referral_routes=frozenset(spec.referral_routes),
                minimum_age=spec.minimum_age,
                maximum_age=spec.maximum_age,
                cost_type=spec.cost_type,
                cost_min_gbp=spec.cost_min_gbp,
                cost_max_gbp=spec.cost_max_gbp,
                capacity=spec.capacity,
                last_verified=TODAY - timedelta(days=spec.verified_days_ago),
                demo=True,
                sites=tuple(
                    Site(sid, sites[sid].latitude, sites[sid].longitude, sites[sid].postcode)
                    for sid in spec.site_ids
                ),
                catchment_national=spec.catchment_national,
                catchment_areas=frozenset(
                    kinds.get("postcode-area", set()) | kinds.get("postcode-district", set())
                ),
                catchment_radius_km=spec.catchment_radius_km,
                languages=frozenset(lang.lower() for lang in spec.languages),
                communities=frozenset(spec.communities),
                waits=tuple(
                    Wait(w.assessment_weeks, w.treatment_weeks, TODAY - timedelta(days=w.days_ago))
                    for w in spec.waits
                    if w.modality is None
                ),
            )
        )
    return tuple(records)


@cache
def demo_places() -> tuple[tuple[str, float, float, str, str], ...]:
    """One real postcode per demo NHS patch: (postcode, lat, lon, outcode, area letters)."""
    found = []
    for area in load_places():
        for patch in area.patches:
            place = patch.places[0][0]
            outcode = place.postcode.split()[0]
            found.append(
                (
                    place.postcode,
                    place.latitude,
                    place.longitude,
                    outcode,
                    re.match(r"[A-Z]+", outcode).group(0),
                )
            )
    return tuple(found)


@cache
def demo_index(stale_nhs: bool = False) -> DirectoryIndex:
    records = demo_records()
    if stale_nhs:
        # Every NHS listing a year and more out of date, or never confirmed.
        records = tuple(
            replace(
                rec,
                last_verified=None if i % 3 == 0 else TODAY - timedelta(days=400 + i % 200),
            )
            if rec.sector == "nhs"
            else rec
            for i, rec in enumerate(records)
        )
    return DirectoryIndex(records)


def _age(value: int | str) -> dict[str, object]:
    return {"age": value, "age_band": None} if isinstance(value, int) else {"age_band": value}


def _query(place: tuple[str, float, float, str, str], need: str, age: int | str) -> MatchQuery:
    _, lat, lon, outcode, area = place
    return MatchQuery(
        latitude=lat,
        longitude=lon,
        outcode=outcode,
        area=area,
        need=need,
        today=TODAY,
        limit=100,
        **_age(age),  # type: ignore[arg-type]
    )


def _present(q: MatchQuery, outcome: MatchOutcome, **changes: object) -> dict[str, object]:
    params = SearchParams(
        location=q.outcode or "LS1",
        need=q.need,
        age=q.age,
        age_band=q.age_band,
        severity=q.severity,
        modalities=q.modalities,
        relational=q.relational,
        delivery=q.delivery,
        max_cost=q.max_cost,
        self_referral=q.self_referral,
        language=q.language,
        community=q.community,
        radius_km=min(max(q.radius_km, 1.0), 200.0),
        limit=min(q.limit, 100),
    )
    params = replace(params, **changes)
    location = ResolvedLocation("here", q.latitude, q.longitude, "postcode", q.outcode, q.area)
    return presenters.present(SearchOutcome(params, location, outcome), today=TODAY)


def _advice(q: MatchQuery):  # type: ignore[no-untyped-def]
    return get_nice().advise(q.need, q.age, q.severity, q.age_band)


def _demo_cases():  # type: ignore[no-untyped-def]
    for place in demo_places():
        for need in NEEDS:
            for age in AGES:
                yield place, need, age


# -- 1. every urgent need shows its urgent panel -------------------------------------------------


def test_every_urgent_need_has_its_own_panel_with_all_three_routes() -> None:
    urgency = get_urgency()
    for need, key in URGENT_NEEDS.items():
        panel = urgency.panel_for(need)
        assert panel is not None and panel.key == key
        assert {step.key for step in panel.steps} == {"gp-today", "nhs-111", "emergency"}
        assert panel.route


def _check_view(q: MatchQuery, outcome: MatchOutcome, view: dict[str, object]) -> None:
    panel = get_urgency().panel_for(q.need)
    urgent = view["urgent"]
    if q.need in URGENT_NEEDS:
        _count("urgent need shows its panel")
        assert urgent is not None and urgent["panel"].key == URGENT_NEEDS[q.need]  # type: ignore[index]
    assert (urgent is None) == (panel is None)
    if urgent is not None:
        youngest = q.age_range[0]
        names = {line.name for line in urgent["lines"]}  # type: ignore[index]
        assert ("Childline" in names) == (youngest <= 18)
        assert urgent["young"] == (youngest < 18)  # type: ignore[index]
    if not outcome.results:
        _count("zero results come with ways forward")
        doors = [door.key for door in view["front_doors"]]  # type: ignore[attr-defined]
        assert doors and doors[0] == "gp"
        if q.age_range[1] < 18:
            assert "camhs" in doors and "talking-therapies" not in doors
        if q.age_range[0] >= 18:
            assert "talking-therapies" in doors and "camhs" not in doors
        assert view["helplines"]
        relaxable = view["ways_forward"] or (
            q.radius_km >= 200
            and not (q.delivery or q.max_cost is not None or q.self_referral)
            and not (q.modalities or q.relational or q.language or q.community)
        )
        assert relaxable, "nothing matched and nothing to try"


def test_demo_directory_urgent_panels_and_dead_ends() -> None:
    index = demo_index()
    cases = 0
    for place, need, age in _demo_cases():
        q = _query(place, need, age)
        outcome = match(q, index, _advice(q))
        _check_view(q, outcome, _present(q, outcome))
        cases += 1
    COUNTS["demo: need x age x place searches"] = cases
    assert cases == len(demo_places()) * len(NEEDS) * len(AGES)


@given(records=directories(), q=questions())
@SETTINGS
def test_random_directories_urgent_panels_and_dead_ends(
    records: list[ServiceRecord], q: MatchQuery
) -> None:
    outcome = match(q, DirectoryIndex(records), _advice(q))
    _check_view(q, outcome, _present(q, outcome))


def test_synthetic_directory_urgent_panels_and_dead_ends() -> None:
    index = DirectoryIndex(synthetic_records(3000, seed=12))
    for q in synthetic_queries(400, seed=12):
        for need in ("self-harm", "psychosis", "eating-disorder", "perinatal", "panic"):
            asked = replace(q, need=need, limit=50)
            outcome = match(asked, index, _advice(asked))
            _check_view(asked, outcome, _present(asked, outcome))


# -- 2. no statutory listing disappears for staleness --------------------------------------------


def _pool_ids(index: DirectoryIndex, q: MatchQuery) -> set[str]:
    return {record.id for record, _, _ in index.candidates(q)}


def test_demo_statutory_listings_never_vanish_when_stale() -> None:
    fresh, stale = demo_index(), demo_index(stale_nhs=True)
    nhs = {rec.id for rec in demo_records() if rec.sector == "nhs"}
    kept = 0
    for place, need, age in _demo_cases():
        q = _query(place, need, age)
        before, after = _pool_ids(fresh, q), _pool_ids(stale, q)
        assert before & nhs == after & nhs
        assert after - nhs == before - nhs
        kept += len(after & nhs)
        _count("demo: stale-NHS pool checks")
    assert kept > 1000  # the property is about real listings, not empty pools


@given(records=directories(), q=questions(), days=st.integers(366, 2000))
@SETTINGS
def test_random_directories_staleness_removes_only_non_statutory(
    records: list[ServiceRecord], q: MatchQuery, days: int
) -> None:
    fresh = [replace(rec, last_verified=q.today) for rec in records]
    aged = [replace(rec, last_verified=q.today - timedelta(days=days)) for rec in records]
    before, after = _pool_ids(DirectoryIndex(fresh), q), _pool_ids(DirectoryIndex(aged), q)
    nhs = {rec.id for rec in records if rec.sector == "nhs"}
    assert after == before & nhs
    _count("random: stale pool checks")


# -- 3. no age means no ranking -----------------------------------------------------------------

FIELDS = st.fixed_dictionaries(
    {"location": st.sampled_from(["LS1", "Truro", "BN1 1AA"]), "need": st.sampled_from(NEEDS)},
    optional={
        "severity": st.sampled_from(["less-severe", "more-severe", "unsure"]),
        "modality": st.sampled_from(sorted(VOCAB.modalities)),
        "delivery": st.sampled_from(["in-person", "video"]),
        "max_cost": st.sampled_from(["0", "20"]),
        "radius_km": st.sampled_from(["5", "50"]),
        "age": st.just(""),
    },
)


@given(fields=FIELDS)
@SETTINGS
def test_no_age_means_no_search(fields: dict[str, str]) -> None:
    with pytest.raises(SearchInputError) as caught:
        parse_search(MultiDict(fields), modalities=VOCAB.modalities, needs=VOCAB.needs)
    assert ("age", "age_required") in {(e.field, e.code) for e in caught.value.errors}
    _count("no age: search refused")


@given(q=questions())
@SETTINGS
def test_no_age_means_no_ranking(q: MatchQuery) -> None:
    with pytest.raises(ValueError, match="age or age_band is required"):
        replace(q, age=None, age_band=None)
    _count("no age: matcher refuses")


# -- 4. "not sure": NHS front doors first, no specialist bonus ----------------------------------


def _check_front_doors_first(outcome: MatchOutcome) -> None:
    open_results = [r for r in outcome.results if r.record.capacity != "closed"]
    doors = [is_front_door(r.record) for r in open_results]
    # Every front door comes before every other open service.
    assert doors == sorted(doors, reverse=True)


def test_demo_not_sure_ranks_nhs_front_doors_first() -> None:
    index = demo_index()
    with_doors = 0
    for place in demo_places():
        for age in AGES:
            q = _query(place, NOT_SURE, age)
            outcome = match(q, index, _advice(q))
            _check_front_doors_first(outcome)
            top = outcome.results[0].record if outcome.results else None
            if top is not None and any(is_front_door(r.record) for r in outcome.results):
                with_doors += 1
                assert top.sector == "nhs" and NOT_SURE in top.needs
            _count("demo: not-sure rankings")
    assert with_doors >= len(demo_places()) * 4


@given(records=directories(), q=questions())
@SETTINGS
def test_random_not_sure_ranks_front_doors_first(
    records: list[ServiceRecord], q: MatchQuery
) -> None:
    q = replace(q, need=NOT_SURE)
    records = [
        replace(rec, needs=rec.needs | {NOT_SURE}) if i % 2 else rec
        for i, rec in enumerate(records)
    ]
    _check_front_doors_first(match(q, DirectoryIndex(records), _advice(q)))
    _count("random: not-sure rankings")


def test_report_counts() -> None:
    """Prints how many cases each property saw in this run (run with -s)."""
    print(sorted(COUNTS.items()))
