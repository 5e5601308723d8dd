"""Properties the matcher keeps for any directory and any question (hypothesis)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from typing import Any

from geopy.distance import great_circle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signpost.matcher.engine import match
from signpost.matcher.index import DirectoryIndex
from signpost.matcher.naive import naive_match
from signpost.matcher.query import MatchQuery
from signpost.matcher.records import ServiceRecord, Wait
from signpost.matcher.results import MatchOutcome
from signpost.nice import NiceAdvice, get_nice
from tests.unit.matcher_factories import HOME, TODAY, moved, query, service, site

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NEEDS = ("depression", "anxiety", "trauma", "bereavement", "child-emotional")
MODALITIES = (
    "cbt",
    "counselling",
    "ipt",
    "dit",
    "psychodynamic",
    "child-psychotherapy",
    "guided-self-help",
    "behavioural-activation",
    "emdr",
    "trauma-focused-cbt",
    "family-therapy",
    "mindfulness",
)
DELIVERY = ("in-person", "video", "phone", "online")
REMOTE = frozenset({"video", "phone", "online"})
ROUTES = ("self-referral", "gp-referral", "professional-referral")
AREAS = ("LS", "LS1", "LS2", "BD", "M")
TOLERANCE_KM = 0.001


def _subset(values: tuple[str, ...], min_size: int = 0) -> st.SearchStrategy[frozenset[str]]:
    return st.frozensets(st.sampled_from(values), min_size=min_size, max_size=len(values))


# Strategies are built once: building them inside each draw dominated the run time.
SITES = st.lists(st.tuples(st.floats(0, 130), st.floats(0, 359.9)), max_size=3)
PRICES = st.one_of(st.none(), st.integers(0, 80).map(float))
VERIFIED = st.one_of(st.none(), st.integers(-5, 420).map(lambda d: TODAY - timedelta(days=d)))
MODALITY_SETS = _subset(MODALITIES, 1)
NEED_SETS = _subset(NEEDS, 1)
FORMAT_SETS = _subset(("individual", "group"))
DELIVERY_SETS = _subset(DELIVERY)
ROUTE_SETS = _subset(ROUTES)
AREA_SETS = _subset(AREAS, 1)
LANGUAGE_SETS = _subset(("english", "polish", "urdu"))
COMMUNITY_SETS = _subset(("lgbtq", "women"))
MIN_AGES = st.one_of(st.none(), st.integers(0, 25))
MAX_AGES = st.one_of(st.none(), st.integers(10, 90))
WEEKS = st.one_of(st.none(), st.integers(0, 30))
CATCHMENT_RADII = st.floats(1, 90)
PLACES = st.sampled_from((("LS1", "LS"), ("BD3", "BD"), (None, None)))
QUERY_NEEDS = st.sampled_from((*NEEDS, "not-sure"))
AGES = st.one_of(st.none(), st.integers(0, 90))
NAMED = st.frozensets(st.sampled_from(MODALITIES), max_size=2)
COSTS = st.one_of(st.none(), st.just(0.0), st.integers(1, 80).map(float))
RADII = st.sampled_from((5.0, 10.0, 25.0, 40.0, 60.0, 100.0))


@st.composite
def services(draw: st.DrawFn, service_id: str) -> ServiceRecord:
    sites = tuple(
        site(km, bearing, f"{service_id}-{i}") for i, (km, bearing) in enumerate(draw(SITES))
    )
    cost = draw(st.sampled_from(("free", "donation", "sliding-scale", "fixed")))
    low = draw(PRICES)
    high = None if low is None else low + draw(st.integers(0, 40))
    catchment = draw(st.sampled_from(("none", "national", "areas", "radius")))
    weeks = draw(WEEKS)
    paid = cost in ("sliding-scale", "fixed")
    return service(
        service_id,
        sector=draw(st.sampled_from(("nhs", "charity", "low-cost"))),
        modalities=draw(MODALITY_SETS),
        needs=draw(NEED_SETS),
        formats=draw(FORMAT_SETS),
        delivery=draw(DELIVERY_SETS),
        referral_routes=draw(ROUTE_SETS),
        minimum_age=draw(MIN_AGES),
        maximum_age=draw(MAX_AGES),
        cost_type=cost,
        cost_min_gbp=low if paid else None,
        cost_max_gbp=high if paid else None,
        capacity=draw(st.sampled_from(("accepting", "waitlist", "closed"))),
        last_verified=draw(VERIFIED),
        sites=sites,
        catchment_national=catchment == "national",
        catchment_areas=draw(AREA_SETS) if catchment == "areas" else frozenset(),
        catchment_radius_km=draw(CATCHMENT_RADII) if catchment == "radius" else None,
        languages=draw(LANGUAGE_SETS),
        communities=draw(COMMUNITY_SETS),
        waits=() if weeks is None else (Wait(None, weeks, TODAY),),
    )


SERVICES = [services(f"svc-{i:02d}") for i in range(25)]


@st.composite
def directories(draw: st.DrawFn) -> list[ServiceRecord]:
    count = draw(st.integers(0, len(SERVICES)))
    return [draw(SERVICES[i]) for i in range(count)]


@st.composite
def questions(draw: st.DrawFn, limit: int | None = None) -> MatchQuery:
    outcode, area = draw(PLACES)
    age = draw(AGES)
    return query(
        outcode=outcode,
        area=area,
        need=draw(QUERY_NEEDS),
        age=age,
        # No age: the person must say which side of 18 (the matcher never assumes an adult).
        age_band=draw(st.sampled_from(("under-18", "18-plus"))) if age is None else None,
        severity=draw(st.sampled_from(("unsure", "less-severe", "more-severe"))),
        modalities=tuple(draw(NAMED)),
        relational=draw(st.booleans()),
        community=draw(st.sampled_from((None, "lgbtq"))),
        delivery=tuple(draw(DELIVERY_SETS)),
        max_cost=draw(COSTS),
        self_referral=draw(st.booleans()),
        language=draw(st.sampled_from((None, "english", "polish"))),
        radius_km=draw(RADII),
        limit=limit or draw(st.integers(1, 30)),
        include_closed=draw(st.booleans()),
    )


def _advice(q: MatchQuery) -> NiceAdvice:
    return get_nice().advise(q.need, q.age, q.severity, q.age_band)


def _nearest_km(record: ServiceRecord) -> float | None:
    distances = [great_circle(HOME, (s.latitude, s.longitude)).km for s in record.sites]
    return min(distances, default=None)


def _explicitly_covers(record: ServiceRecord, q: MatchQuery, nearest: float | None) -> bool:
    if record.catchment_national:
        return True
    if {q.outcode, q.area} & set(record.catchment_areas):
        return True
    radius = record.catchment_radius_km
    return radius is not None and nearest is not None and nearest <= radius + TOLERANCE_KM


def _assert_eligible(outcome: MatchOutcome) -> None:
    """The hard filters, restated independently of the matcher's own rule code."""
    q = outcome.query
    for ranked in outcome.results:
        rec = ranked.record
        assert q.need == "not-sure" or q.need in rec.needs
        youngest, oldest = q.age_range
        assert rec.minimum_age is None or rec.minimum_age <= oldest
        assert rec.maximum_age is None or youngest <= rec.maximum_age
        if q.max_cost is not None and rec.cost_type not in ("free", "donation"):
            assert q.max_cost > 0
            price = rec.cost_min_gbp if rec.cost_min_gbp is not None else rec.cost_max_gbp
            assert price is not None and price <= q.max_cost
        if q.self_referral:
            assert "self-referral" in rec.referral_routes
        if q.language == "polish":
            assert "polish" in rec.languages
        if q.language == "english":
            assert not rec.languages or "english" in rec.languages
        assert q.include_closed or rec.capacity != "closed"
        if rec.sector != "nhs":  # statutory listings are flagged when stale, never hidden
            assert rec.last_verified is not None
            assert (q.today - rec.last_verified).days <= q.stale_after_days

        offered = rec.delivery or frozenset({"in-person"})
        nearest = _nearest_km(rec)
        restricted = not rec.catchment_national and bool(
            rec.catchment_areas or rec.catchment_radius_km is not None
        )
        if ranked.distance_km is None:
            # Reached remotely: a remote mode they accept, and a catchment that names them.
            accepted = REMOTE & frozenset(q.delivery) if q.delivery else REMOTE
            assert offered & accepted
            assert _explicitly_covers(rec, q, nearest)
            assert nearest is None or nearest > q.radius_km - TOLERANCE_KM
        else:
            assert nearest is not None
            assert abs(nearest - ranked.distance_km) <= TOLERANCE_KM
            assert not restricted or _explicitly_covers(rec, q, nearest)
            if q.delivery:
                assert offered & frozenset(q.delivery)
            if ranked.beyond_radius:
                assert outcome.widened is not None
                assert "in-person" in offered and q.accepts_in_person
                assert q.radius_km < ranked.distance_km <= outcome.widened.radius_km
            else:
                assert ranked.distance_km <= q.radius_km


def _assert_ordered(outcome: MatchOutcome) -> None:
    keys = [
        (
            r.record.capacity == "closed",
            -r.score,
            float("inf") if r.distance_km is None else r.distance_km,
            r.record.id,
        )
        for r in outcome.results
    ]
    assert keys == sorted(keys)
    assert len(outcome.results) <= outcome.query.limit
    assert outcome.total_eligible >= len(outcome.results)


@SETTINGS
@given(records=directories(), q=questions())
def test_every_result_passes_every_hard_filter(records: list[ServiceRecord], q: MatchQuery) -> None:
    outcome = match(q, DirectoryIndex(records), _advice(q))
    _assert_eligible(outcome)
    _assert_ordered(outcome)


@SETTINGS
@given(records=directories(), q=questions(), seed=st.integers(0, 2**16))
def test_same_input_same_output(records: list[ServiceRecord], q: MatchQuery, seed: int) -> None:
    advice = _advice(q)
    first = match(q, DirectoryIndex(records), advice)
    assert match(q, DirectoryIndex(records), advice) == first
    shuffled = records[:]
    random.Random(seed).shuffle(shuffled)
    assert match(q, DirectoryIndex(shuffled), advice) == first


@SETTINGS
@given(records=directories(), q=questions())
def test_fast_path_equals_naive_path(records: list[ServiceRecord], q: MatchQuery) -> None:
    advice = _advice(q)
    assert match(q, DirectoryIndex(records), advice) == naive_match(q, records, advice)


@SETTINGS
@given(records=directories(), q=questions())
def test_every_nice_option_is_in_the_panel(records: list[ServiceRecord], q: MatchQuery) -> None:
    advice = _advice(q)
    outcome = match(q, DirectoryIndex(records), advice)
    expected = list(advice.options) if advice.has_guidance else []
    assert [row.option for row in outcome.panel] == expected
    for row in outcome.panel:
        assert row.available == (row.in_reach_count + row.remote_count > 0)
        assert row.remote_only == (row.in_reach_count == 0 and row.remote_count > 0)
        assert not row.paid_only or row.available
        assert (row.text == "Not available near you") == (
            not row.available and row.nearest_beyond_km is None
        )
    assert outcome.not_nearby == tuple(
        row.label
        for row in outcome.panel
        if row.in_reach_count == 0 and row.option.status != "not-recommended"
    )


@SETTINGS
@given(
    records=directories(),
    q=questions(limit=1000),
    which=st.integers(0, 24),
    factor=st.floats(1.0, 4.0),
)
def test_moving_a_service_further_away_never_raises_its_score(
    records: list[ServiceRecord], q: MatchQuery, which: int, factor: float
) -> None:
    if not records:
        return
    target = records[which % len(records)]
    advice = _advice(q)
    before = match(q, DirectoryIndex(records), advice)
    after_records = [moved(r, factor) if r.id == target.id else r for r in records]
    after = match(q, DirectoryIndex(after_records), advice)
    scores: dict[str, Any] = {}
    for label, outcome in (("before", before), ("after", after)):
        for ranked in outcome.results:
            if ranked.record.id == target.id:
                scores[label] = ranked.score
    if len(scores) == 2:
        assert scores["after"] <= scores["before"]


@SETTINGS
@given(
    records=directories(),
    q=questions(limit=1000),
    named=NAMED,
    relational=st.booleans(),
    community=st.sampled_from((None, "lgbtq", "women")),
)
def test_preferences_reorder_but_never_hide(
    records: list[ServiceRecord],
    q: MatchQuery,
    named: frozenset[str],
    relational: bool,
    community: str | None,
) -> None:
    advice = _advice(q)
    index = DirectoryIndex(records)
    plain = match(replace(q, modalities=(), relational=False, community=None), index, advice)
    preferring = match(
        replace(q, modalities=tuple(sorted(named)), relational=relational, community=community),
        index,
        advice,
    )
    assert sorted(r.record.id for r in preferring.results) == sorted(
        r.record.id for r in plain.results
    )
    assert [row.in_reach_count for row in preferring.panel] == [
        row.in_reach_count for row in plain.panel
    ]
    before = {r.record.id: r.score for r in plain.results}
    for ranked in preferring.results:
        assert ranked.score >= before[ranked.record.id]
