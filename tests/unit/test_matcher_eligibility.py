"""Eligibility, intensity and protocols: properties over the demo directory and synthetic ones.

Every check restates the rule from the records themselves, not from the matcher's rule code:
- a restricted service is never shown to someone who said a restriction does not apply, and
  never ranks above an open service when they have not said;
- for more severe or unsure severity, a low-intensity-only service never outranks a service
  credited with a NICE first-line option through a high-intensity offer, and is never credited;
- a NICE option naming a specific protocol is credited only to a service delivering it.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signpost.matcher.engine import match
from signpost.matcher.index import DirectoryIndex
from signpost.matcher.naive import naive_match
from signpost.matcher.query import MatchQuery
from signpost.matcher.records import ServiceRecord
from signpost.matcher.results import MatchOutcome, Reason
from signpost.nice import NiceAdvice, get_nice
from signpost.vocab import get_vocabularies
from tests.unit.demo_records import TODAY as DEMO_TODAY
from tests.unit.demo_records import demo_places, demo_records
from tests.unit.matcher_factories import advice, option, query, service, site
from tests.unit.test_matcher_properties import SETTINGS, directories, questions

VOCAB = get_vocabularies()
RESTRICTIONS = tuple(sorted(VOCAB.eligibility))
PROTOCOLS = tuple(sorted(VOCAB.protocols))
NEEDS = tuple(VOCAB.needs)
AGES = (8, 15, 17, 35, 70)
SEVERITIES = ("less-severe", "more-severe", "unsure")
# Not answered; answered "none of these"; answered with some that apply.
CIRCUMSTANCES: tuple[tuple[str, ...] | None, ...] = (
    None,
    (),
    ("perinatal", "women-only"),
    ("veterans", "carers", "lgbtq"),
    ("first-episode-psychosis", "students"),
)


# -- the rules, restated independently ------------------------------------------------------


def _implied(need: str) -> set[str]:
    return {slug for slug, e in VOCAB.eligibility.items() if need in e.implied_by_needs}


def _said_not(record: ServiceRecord, q: MatchQuery) -> bool:
    return q.circumstances is not None and not record.eligibility <= set(q.circumstances)


def _unstated(record: ServiceRecord, q: MatchQuery) -> bool:
    return q.circumstances is None and not record.eligibility <= _implied(q.need)


def _low_only(record: ServiceRecord) -> bool:
    return bool(record.modalities) and set(record.modalities) <= _low(record)


def _low(record: ServiceRecord) -> set[str]:
    return set(record.low_intensity) | {
        m for m in record.modalities if VOCAB.modalities[m].intensity == "low"
    }


def _delivers(record: ServiceRecord, protocol: str) -> bool:
    """Declared, or the modality is the protocol and is offered at high intensity."""
    high = set(record.modalities) - _low(record)
    declared = set(record.protocols) | {
        slug for slug, p in VOCAB.protocols.items() if p.implied_by_modality and p.modality in high
    }
    seen: set[str] = set()
    while declared:
        slug = declared.pop()
        if slug == protocol:
            return True
        if slug not in seen:
            seen.add(slug)
            declared |= set(VOCAB.protocols[slug].counts_as)
    return False


def assert_controls(outcome: MatchOutcome) -> int:
    """Assert the three controls on one outcome; return how many results were checked."""
    q = outcome.query
    strict = q.severity in ("more-severe", "unsure") and q.need != "not-sure"
    results = outcome.results
    for position, ranked in enumerate(results):
        rec = ranked.record
        assert not _said_not(rec, q), f"{rec.name} shown though they said it does not apply"
        if _unstated(rec, q):
            assert all(_unstated(r.record, q) for r in results[position:]), (
                f"{rec.name} (restricted, not said) above an open service"
            )
            assert ranked.reasons[0].text.startswith("Only for ")
        option = ranked.nice_option
        if option is not None and option.kind in VOCAB.protocols:
            assert _delivers(rec, option.kind), f"{rec.name} credited with {option.kind}"
        if strict and _low_only(rec):
            assert option is None, f"{rec.name}: low intensity credited for more severe"
            assert "low_intensity" in ranked.reason_codes
            for below in results[position + 1 :]:
                high_first_line = (
                    below.nice_option is not None
                    and below.nice_option.status == "first-line"
                    and not _low_only(below.record)
                )
                assert not high_first_line or _unstated(below.record, q), (
                    f"low-intensity {rec.name} above first-line {below.record.name}"
                )
    return len(results)


# -- the demo directory: every need, age, area, severity and answer -------------------------


@pytest.fixture(scope="module")
def demo_index() -> DirectoryIndex:
    return DirectoryIndex(demo_records())


def test_demo_directory_has_every_restriction_intensity_and_protocol_in_several_areas() -> None:
    records = demo_records()
    areas: dict[str, set[str]] = {}
    for rec in records:
        area = "national" if rec.catchment_national else rec.id
        for slug in rec.eligibility:
            areas.setdefault(slug, set()).add(area)
    assert set(areas) == set(RESTRICTIONS)
    assert all(len(found) >= 3 for found in areas.values()), areas
    for protocol in PROTOCOLS:
        assert sum(_delivers(rec, protocol) for rec in records) >= 3, protocol
    assert sum(_low_only(rec) for rec in records) >= 3
    assert any(rec.low_intensity and not _low_only(rec) for rec in records)


@pytest.mark.parametrize("need", NEEDS)
def test_demo_directory_controls_for_every_age_area_severity_and_answer(
    need: str, demo_index: DirectoryIndex
) -> None:
    nice = get_nice()
    checked = 0
    for _, _, lat, lon, district, area in demo_places():
        for age in AGES:
            for severity in SEVERITIES:
                guidance = nice.advise(need, age, severity)
                for circumstances in CIRCUMSTANCES:
                    q = MatchQuery(
                        latitude=lat,
                        longitude=lon,
                        outcode=district,
                        area=area,
                        need=need,
                        age=age,
                        severity=severity,
                        today=DEMO_TODAY,
                        circumstances=circumstances,
                        limit=40,
                    )
                    checked += assert_controls(match(q, demo_index, guidance))
    # Not a vacuous pass: most needs have services for most people.
    assert checked > 0


# -- synthetic directories (hypothesis), fast path equal to the naive one -------------------

RESTRICTION_SETS = st.frozensets(
    st.sampled_from(("perinatal", "veterans", "women-only", "first-episode-psychosis")),
    max_size=2,
)
PROTOCOL_SETS = st.frozensets(st.sampled_from(("stpp", "sscm", "cbt-ed", "dit")), max_size=2)
LOW_SETS = st.frozensets(st.sampled_from(("cbt", "counselling", "mindfulness")), max_size=3)
ANSWERS = st.one_of(
    st.none(),
    st.tuples().map(lambda _: ()),
    st.frozensets(st.sampled_from(RESTRICTIONS), max_size=3).map(tuple),
)
# An advice with protocol-specific options, like the ones NICE names for eating disorders.
SPECIFIC = (
    option("cbt", order=1, label="CBT-ED", kind="cbt-ed"),
    option("counselling", order=2, label="SSCM", kind="sscm"),
    option("psychodynamic", order=3, label="STPP", kind="stpp"),
    option("guided-self-help", order=4, label="Guided self-help"),
    option("cbt", "option", order=5, label="Individual CBT"),
)


@st.composite
def restricted_directories(draw: st.DrawFn) -> list[ServiceRecord]:
    records = draw(directories())
    out = []
    for rec in records:
        low = draw(LOW_SETS) & rec.modalities
        out.append(
            replace(
                rec,
                eligibility=draw(RESTRICTION_SETS),
                protocols=draw(PROTOCOL_SETS),
                low_intensity=frozenset(low),
                eligibility_note="Example College" if draw(st.booleans()) else None,
            )
        )
    return out


def _check(records: list[ServiceRecord], q: MatchQuery, guidance: NiceAdvice) -> None:
    outcome = match(q, DirectoryIndex(records), guidance)
    assert outcome == naive_match(q, records, guidance)
    assert_controls(outcome)


@SETTINGS
@given(restricted_directories(), questions(), ANSWERS)
def test_synthetic_controls_with_nice_advice(
    records: list[ServiceRecord], q: MatchQuery, answers: tuple[str, ...] | None
) -> None:
    q = replace(q, circumstances=answers)
    _check(records, q, get_nice().advise(q.need, q.age, q.severity))


@SETTINGS
@given(restricted_directories(), questions(), ANSWERS, st.sampled_from(SEVERITIES))
def test_synthetic_controls_with_protocol_specific_options(
    records: list[ServiceRecord],
    q: MatchQuery,
    answers: tuple[str, ...] | None,
    severity: str,
) -> None:
    q = replace(q, circumstances=answers, severity=severity, need="depression")
    _check(records, q, advice(*SPECIFIC, severity=severity, age=q.age))


# -- examples: each control fails without its rule ------------------------------------------


def test_perinatal_team_below_general_services_when_not_said_and_gone_when_said_not() -> None:
    records = [
        service("perinatal", eligibility=frozenset({"perinatal"}), sites=(site(0.5),)),
        service("general", sites=(site(9.0),)),
    ]
    guidance = advice(option("cbt", order=1, label="Individual CBT"), severity="more-severe")
    q = query(severity="more-severe")
    outcome = match(q, DirectoryIndex(records), guidance)
    assert [r.record.id for r in outcome.results] == ["general", "perinatal"]
    assert (
        outcome.results[1]
        .reasons[0]
        .text.startswith("Only for people who are pregnant or had a baby in the last year")
    )
    said_no = match(replace(q, circumstances=()), DirectoryIndex(records), guidance)
    assert [r.record.id for r in said_no.results] == ["general"]
    said_yes = match(replace(q, circumstances=("perinatal",)), DirectoryIndex(records), guidance)
    assert [r.record.id for r in said_yes.results] == ["perinatal", "general"]
    assert "eligibility_met" in said_yes.results[0].reason_codes


def test_psychosis_implies_first_episode_only_when_the_question_was_not_answered() -> None:
    records = [
        service(
            "eip",
            needs={"psychosis"},
            eligibility=frozenset({"first-episode-psychosis"}),
            sites=(site(0.5),),
        ),
        service("general", needs={"psychosis"}, sites=(site(9.0),)),
    ]
    q = query(need="psychosis", severity="unsure")
    guidance = advice(need="psychosis")
    assert [r.record.id for r in match(q, DirectoryIndex(records), guidance).results] == [
        "eip",
        "general",
    ]
    answered = replace(q, circumstances=("carers",))
    ids = [r.record.id for r in match(answered, DirectoryIndex(records), guidance).results]
    assert ids == ["general"]


def test_low_intensity_service_is_not_credited_and_sits_below_for_more_severe() -> None:
    records = [
        service(
            "courses",
            modalities={"guided-self-help", "cbt"},
            low_intensity=frozenset({"cbt"}),
            sites=(site(0.3),),
        ),
        service("one-to-one", modalities={"cbt"}, sites=(site(20.0),)),
    ]
    guidance = advice(option("cbt", order=1, label="Individual CBT"), severity="more-severe")
    outcome = match(
        query(severity="more-severe", modalities=("cbt",)), DirectoryIndex(records), guidance
    )
    assert [r.record.id for r in outcome.results] == ["one-to-one", "courses"]
    assert outcome.results[1].nice_option is None
    assert outcome.results[1].reasons[0].code == "low_intensity"
    less = advice(option("cbt", order=1, label="Individual CBT"), severity="less-severe")
    lower = match(query(severity="less-severe"), DirectoryIndex(records), less)
    assert lower.results[0].record.id == "courses"
    assert lower.results[0].nice_option is not None


def test_generic_service_gets_no_credit_for_a_specific_protocol_and_says_so() -> None:
    records = [
        service("womens-counselling", modalities={"counselling"}, sites=(site(0.3),)),
        service(
            "eating-service",
            modalities={"counselling"},
            protocols=frozenset({"sscm"}),
            sites=(site(20.0),),
        ),
    ]
    guidance = advice(option("counselling", order=1, label="SSCM", kind="sscm"))
    outcome = match(query(), DirectoryIndex(records), guidance)
    assert [r.record.id for r in outcome.results] == ["eating-service", "womens-counselling"]
    generic = outcome.results[1]
    assert generic.nice_option is None
    expected = Reason("nice_generic", "Counselling, not the specific therapy NICE names for this")
    assert expected in generic.reasons
    assert "nice_not_listed" not in generic.reason_codes


def test_dit_counts_as_stpp_through_its_protocol() -> None:
    records = [service("dit", modalities={"dit"}), service("generic", modalities={"psychodynamic"})]
    guidance = advice(option("psychodynamic", order=1, label="STPP", kind="stpp"))
    outcome = match(query(), DirectoryIndex(records), guidance)
    credited = {r.record.id: r.nice_option for r in outcome.results}
    assert credited["dit"] is not None and credited["generic"] is None


def test_first_reason_says_why_each_result_is_above_the_next() -> None:
    guidance = advice(
        option("cbt", order=1, label="Individual CBT"),
        option("counselling", "option", order=2, label="Counselling"),
    )
    records = [
        service("cbt-far", modalities={"cbt"}, sites=(site(6.0),)),
        service("counselling-near", modalities={"counselling"}, sites=(site(1.0),)),
        service("counselling-far", modalities={"counselling"}, sites=(site(3.0),)),
        service("women", modalities={"cbt"}, eligibility=frozenset({"women-only"})),
    ]
    outcome = match(query(), DirectoryIndex(records), guidance)
    assert outcome == naive_match(query(), records, guidance)
    firsts = [(r.record.id, r.reasons[0].code) for r in outcome.results]
    assert firsts == [
        ("cbt-far", "nice_first_line"),  # a better NICE option than the next
        ("counselling-near", "distance"),  # the same option, nearer than the next
        ("counselling-far", "nice_option"),  # nothing sets it apart: its NICE line first
        ("women", "eligibility_only_for"),  # not said: after every open service
    ]
