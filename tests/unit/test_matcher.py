"""The matcher's rules, case by case. Every case also checks the naive path agrees."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from signpost.matcher.bench import synthetic_queries, synthetic_records
from signpost.matcher.engine import match
from signpost.matcher.index import DirectoryIndex
from signpost.matcher.naive import naive_match
from signpost.matcher.query import MatchQuery
from signpost.matcher.records import Wait
from signpost.matcher.results import Reason, WidenInfo
from signpost.matcher.texts import NO_GUIDANCE_TEXT
from signpost.nice import get_nice
from tests.unit.matcher_factories import (
    DEPRESSION,
    NO_GUIDANCE,
    TODAY,
    advice,
    ids,
    option,
    query,
    result,
    run,
    service,
    site,
)

# Radius 100 km: nothing is ever widened, so these cases see the hard filters alone.
WIDE = {"radius_km": 100.0}


@pytest.mark.parametrize(
    ("record", "asked", "included"),
    [
        pytest.param({}, {}, True, id="baseline"),
        pytest.param({"needs": {"anxiety"}}, {}, False, id="need-not-served"),
        pytest.param({"needs": {"anxiety"}}, {"need": "not-sure"}, True, id="not-sure-any-need"),
        pytest.param({"minimum_age": 18}, {"age": 17}, False, id="under-minimum-age"),
        pytest.param({"minimum_age": 18}, {"age": 18}, True, id="at-minimum-age"),
        pytest.param({"maximum_age": 25}, {"age": 26}, False, id="over-maximum-age"),
        pytest.param({"maximum_age": 25}, {"age": 25}, True, id="at-maximum-age"),
        pytest.param(
            {"minimum_age": 18}, {"age": None, "age_band": "18-plus"}, True, id="band-adult"
        ),
        pytest.param(
            {"minimum_age": 18}, {"age": None, "age_band": "under-18"}, False, id="band-young"
        ),
        pytest.param(
            {"minimum_age": 11, "maximum_age": 25},
            {"age": None, "age_band": "under-18"},
            True,
            id="band-overlaps",
        ),
        pytest.param(
            {"minimum_age": 65}, {"age": None, "age_band": "under-18"}, False, id="band-older"
        ),
        pytest.param(
            {"maximum_age": 17}, {"age": None, "age_band": "18-plus"}, False, id="band-child-only"
        ),
        pytest.param({"catchment_areas": {"BD"}}, {}, False, id="catchment-other-area"),
        pytest.param({"catchment_areas": {"LS"}}, {}, True, id="catchment-area"),
        pytest.param({"catchment_areas": {"ls1"}}, {}, True, id="catchment-district"),
        pytest.param({"catchment_areas": {"LS2"}}, {}, False, id="catchment-other-district"),
        pytest.param({"catchment_radius_km": 1.5}, {}, False, id="catchment-radius-short"),
        pytest.param({"catchment_radius_km": 2.5}, {}, True, id="catchment-radius-covers"),
        pytest.param(
            {"catchment_national": True, "catchment_areas": {"BD"}}, {}, True, id="national"
        ),
        pytest.param({"cost_type": "free"}, {"max_cost": 0}, True, id="free-only-free"),
        pytest.param({"cost_type": "donation"}, {"max_cost": 0}, True, id="free-only-donation"),
        pytest.param(
            {"cost_type": "sliding-scale", "cost_min_gbp": 5.0, "cost_max_gbp": 30.0},
            {"max_cost": 0},
            False,
            id="free-only-sliding",
        ),
        pytest.param(
            {"cost_type": "sliding-scale", "cost_min_gbp": 10.0, "cost_max_gbp": 40.0},
            {"max_cost": 15},
            True,
            id="sliding-min-under-cap",
        ),
        pytest.param(
            {"cost_type": "sliding-scale", "cost_min_gbp": 20.0, "cost_max_gbp": 40.0},
            {"max_cost": 15},
            False,
            id="sliding-min-over-cap",
        ),
        pytest.param(
            {"cost_type": "fixed", "cost_min_gbp": 40.0, "cost_max_gbp": 40.0},
            {"max_cost": 40},
            True,
            id="fixed-at-cap",
        ),
        pytest.param(
            {"cost_type": "fixed", "cost_min_gbp": 41.0, "cost_max_gbp": 41.0},
            {"max_cost": 40},
            False,
            id="fixed-over-cap",
        ),
        pytest.param({"cost_type": "fixed"}, {"max_cost": 40}, False, id="unknown-price-capped"),
        pytest.param({"cost_type": "fixed"}, {}, True, id="unknown-price-no-cap"),
        pytest.param({}, {"delivery": ("video",)}, False, id="delivery-not-offered"),
        pytest.param(
            {"delivery": {"in-person", "video"}}, {"delivery": ("video",)}, True, id="delivery"
        ),
        pytest.param({}, {"self_referral": True}, False, id="no-self-referral"),
        pytest.param(
            {"referral_routes": {"self-referral"}}, {"self_referral": True}, True, id="self-ref"
        ),
        pytest.param({"languages": {"Polish"}}, {"language": "polish"}, True, id="language"),
        pytest.param({}, {"language": "polish"}, False, id="language-missing"),
        pytest.param({}, {"language": "English"}, True, id="english-by-default"),
        pytest.param({"languages": {"urdu"}}, {"language": "english"}, False, id="no-english"),
        pytest.param({"capacity": "closed"}, {}, False, id="closed-hidden"),
        pytest.param({"capacity": "closed"}, {"include_closed": True}, True, id="closed-shown"),
        pytest.param({"capacity": "waitlist"}, {}, True, id="waitlist"),
        pytest.param(
            {"last_verified": TODAY - timedelta(days=365)}, {}, True, id="verified-a-year-ago"
        ),
        pytest.param(
            {"last_verified": TODAY - timedelta(days=366), "sector": "charity"},
            {},
            False,
            id="stale-excluded",
        ),
        pytest.param({"last_verified": None, "sector": "low-cost"}, {}, False, id="never-verified"),
        # Statutory listings are flagged, never dropped, however old.
        pytest.param({"last_verified": TODAY - timedelta(days=366)}, {}, True, id="stale-nhs-kept"),
        pytest.param({"last_verified": None}, {}, True, id="never-verified-nhs-kept"),
        pytest.param(
            {"last_verified": TODAY - timedelta(days=100), "sector": "charity"},
            {"stale_after_days": 90},
            False,
            id="stale-limit-from-query",
        ),
        pytest.param({"sites": (site(99.0),)}, {}, True, id="inside-radius"),
        pytest.param({"sites": (site(101.0),)}, {}, False, id="outside-radius"),
    ],
)
def test_hard_filter(record: dict[str, Any], asked: dict[str, Any], included: bool) -> None:
    outcome = run([service("svc-a", **record)], query(**{**WIDE, **asked}))
    assert ("svc-a" in ids(outcome)) is included
    assert outcome.total_eligible == int(included)


@pytest.mark.parametrize(
    ("record", "asked", "nice", "expected"),
    [
        pytest.param(
            {"modalities": {"ipt"}},
            {},
            advice(option("ipt", "option", guideline="NG222")),
            Reason("nice_option", "NICE option for less severe depression (NG222)"),
            id="nice-option",
        ),
        pytest.param(
            {},
            {},
            DEPRESSION,
            Reason("nice_first_line", "NICE first-line option for less severe depression (NG222)"),
            id="nice-first-line",
        ),
        pytest.param(
            {},
            {"severity": "unsure"},
            advice(option("cbt", "alternative"), severity="unsure"),
            Reason(
                "nice_alternative",
                "NICE alternative for depression if the first options do not suit (NG222)",
            ),
            id="nice-alternative",
        ),
        pytest.param(
            {"modalities": {"cbt"}, "needs": {"physical-symptoms"}},
            {"need": "physical-symptoms"},
            advice(
                option("cbt", "symptom-support", guideline="NG206"),
                need="physical-symptoms",
                severity="any",
            ),
            Reason(
                "nice_symptom_support",
                "NICE: may help manage symptoms of ME/CFS, not a cure (NG206)",
            ),
            id="symptom-support-not-a-cure",
        ),
        pytest.param(
            {"modalities": {"emdr"}},
            {},
            DEPRESSION,
            Reason(
                "nice_not_listed", "Not one of the therapies NICE lists for less severe depression"
            ),
            id="not-listed",
        ),
        pytest.param(
            {"needs": {"bereavement"}},
            {"need": "bereavement"},
            advice(need="bereavement", message=NO_GUIDANCE),
            Reason("no_nice_guidance", NO_GUIDANCE_TEXT),
            id="no-guidance",
        ),
        pytest.param(
            {"modalities": {"ipt"}},
            {"modalities": ("ipt",)},
            DEPRESSION,
            Reason(
                "preference_modality", "Offers interpersonal therapy (IPT), which you asked for"
            ),
            id="named-therapy",
        ),
        pytest.param(
            {"modalities": {"dit"}},
            {"modalities": ("psychodynamic",)},
            DEPRESSION,
            Reason(
                "preference_modality", "Offers psychodynamic psychotherapy, which you asked for"
            ),
            id="named-therapy-counts-as",
        ),
        pytest.param(
            {"modalities": {"counselling"}},
            {"relational": True},
            DEPRESSION,
            Reason("preference_relational", "A relational therapy, as you asked"),
            id="relational",
        ),
        pytest.param(
            {"communities": {"lgbtq"}},
            {"community": "lgbtq"},
            DEPRESSION,
            Reason("preference_community", "Has a focus on LGBTQ+ people, as you asked"),
            id="community",
        ),
        pytest.param(
            {"needs": {"depression"}},
            {},
            DEPRESSION,
            Reason("specialist", "Specialises in depression"),
            id="specialist",
        ),
        pytest.param(
            {"sites": (site(2.1),)}, {}, DEPRESSION, Reason("distance", "2.1 km away"), id="km"
        ),
        pytest.param(
            {"sites": (site(12.4),)}, {}, DEPRESSION, Reason("distance", "12 km away"), id="km-12"
        ),
        pytest.param(
            {"sites": (), "delivery": {"video", "phone"}, "catchment_national": True},
            {},
            DEPRESSION,
            Reason("remote", "Available by video or phone"),
            id="remote",
        ),
        pytest.param(
            {"sites": (), "delivery": {"online"}, "catchment_national": True},
            {},
            DEPRESSION,
            Reason("remote", "Available online"),
            id="online",
        ),
        pytest.param(
            {"delivery": {"in-person", "phone"}},
            {},
            DEPRESSION,
            Reason("remote", "Also available by phone"),
            id="also-remote",
        ),
        pytest.param(
            {"referral_routes": {"self-referral", "gp-referral"}},
            {},
            DEPRESSION,
            Reason("self_referral", "You can refer yourself"),
            id="self-referral",
        ),
        pytest.param(
            {"referral_routes": {"self-referral", "gp-referral"}},
            {},
            DEPRESSION,
            Reason("gp_referral", "Your GP can refer you"),
            id="gp-referral",
        ),
        pytest.param(
            {"referral_routes": {"professional-referral"}},
            {},
            DEPRESSION,
            Reason("professional_referral", "Needs a referral from a health or care professional"),
            id="professional-referral",
        ),
        pytest.param({}, {}, DEPRESSION, Reason("cost_free", "Free"), id="free"),
        pytest.param(
            {"cost_type": "donation"},
            {},
            DEPRESSION,
            Reason("cost_donation", "Free, donations welcome"),
            id="donation",
        ),
        pytest.param(
            {"cost_type": "sliding-scale", "cost_min_gbp": 10.0, "cost_max_gbp": 40.0},
            {},
            DEPRESSION,
            Reason("cost_low", "£10 to £40 a session (sliding scale)"),
            id="sliding-scale",
        ),
        pytest.param(
            {"cost_type": "fixed", "cost_min_gbp": 45.0, "cost_max_gbp": 45.0},
            {},
            DEPRESSION,
            Reason("cost_paid", "£45 a session"),
            id="fixed",
        ),
        pytest.param(
            {"cost_type": "fixed", "cost_min_gbp": 12.5, "cost_max_gbp": 12.5},
            {},
            DEPRESSION,
            Reason("cost_low", "£12.50 a session"),
            id="fixed-pence",
        ),
        pytest.param(
            {"waits": (Wait(2, 6, TODAY.replace(day=3)),)},
            {},
            DEPRESSION,
            Reason("wait_short", "Wait about 6 weeks to start, checked 3 March 2026"),
            id="wait-short",
        ),
        pytest.param(
            {"waits": (Wait(4, 20, None),)},
            {},
            DEPRESSION,
            Reason("wait_long", "Wait about 20 weeks to start"),
            id="wait-long",
        ),
        pytest.param(
            {"waits": (Wait(3, None, TODAY.replace(day=3)),)},
            {},
            DEPRESSION,
            Reason("wait_short", "Wait about 3 weeks for a first assessment, checked 3 March 2026"),
            id="wait-assessment-only",
        ),
        pytest.param(
            {"waits": ()},
            {},
            DEPRESSION,
            Reason("wait_unknown", "Wait time not known"),
            id="wait-unknown",
        ),
        pytest.param(
            {"capacity": "waitlist"},
            {},
            DEPRESSION,
            Reason("capacity_waitlist", "Waiting list open"),
            id="waitlist",
        ),
        pytest.param(
            {"last_verified": TODAY - timedelta(days=243)},
            {},
            DEPRESSION,
            Reason("stale_flag", "Details checked 8 months ago"),
            id="stale-flag",
        ),
        pytest.param(
            {"last_verified": TODAY - timedelta(days=184)},
            {},
            DEPRESSION,
            Reason("stale_flag", "Details checked 6 months ago"),
            id="stale-flag-six-months",
        ),
    ],
)
def test_reason(record: dict[str, Any], asked: dict[str, Any], nice: Any, expected: Reason) -> None:
    outcome = run([service("svc-a", **record)], query(**{**WIDE, **asked}), nice)
    assert expected in result(outcome, "svc-a").reasons


@pytest.mark.parametrize(
    ("record", "absent"),
    [
        pytest.param({"last_verified": TODAY - timedelta(days=183)}, "stale_flag", id="fresh"),
        pytest.param({"referral_routes": {"gp-referral"}}, "self_referral", id="gp-only"),
        pytest.param({"modalities": {"cbt"}}, "nice_under_review", id="verified"),
        pytest.param(
            {"needs": {"depression", "anxiety", "ocd", "panic"}}, "specialist", id="broad"
        ),
        pytest.param({}, "remote", id="in-person-only"),
    ],
)
def test_reason_absent(record: dict[str, Any], absent: str) -> None:
    outcome = run([service("svc-a", **record)], query(**WIDE))
    assert absent not in result(outcome, "svc-a").reason_codes


def test_unconfirmed_summary_is_said_once_per_panel_not_per_result() -> None:
    nice = advice(option("cbt", verified=False))
    outcome = run([service("svc-a", modalities={"cbt"})], query(**WIDE), nice)
    assert result(outcome, "svc-a").nice_option is not None
    assert "nice_under_review" not in result(outcome, "svc-a").reason_codes
    assert outcome.advice.review_notice == "Our summary of this NICE advice is still being checked"


def test_chronic_pain_option_is_never_called_a_nice_option_for_other_conditions() -> None:
    nice = advice(
        option("cbt", "option", guideline="NG193"), need="physical-symptoms", severity="any"
    )
    outcome = run(
        [service("svc-a", modalities={"cbt"}, needs={"physical-symptoms"})],
        query(**{**WIDE, "need": "physical-symptoms"}),
        nice,
    )
    texts = [r.text for r in result(outcome, "svc-a").reasons]
    assert "NICE option for chronic primary pain (NG193)" in texts
    assert not any("persistent physical symptoms" in t for t in texts)


def test_reasons_start_with_nice_fit_and_keep_a_fixed_order() -> None:
    record = service(
        "svc-a",
        modalities={"ipt"},
        referral_routes={"self-referral"},
        capacity="waitlist",
        last_verified=TODAY - timedelta(days=200),
    )
    outcome = run([record], query(modalities=("ipt",), **WIDE))
    assert result(outcome, "svc-a").reason_codes == (
        "nice_first_line",
        "preference_modality",
        "distance",
        "self_referral",
        "cost_free",
        "wait",
        "capacity_waitlist",
        "stale_flag",
    )


# -- ranking ---------------------------------------------------------------------------------


def test_nice_status_outranks_nearness_and_order_breaks_ties() -> None:
    records = [
        service("svc-gsh", modalities={"guided-self-help"}, sites=(site(3.0),)),
        service("svc-cbt", modalities={"cbt"}, sites=(site(3.0),)),
        service("svc-none", modalities={"emdr"}, sites=(site(0.5),)),
    ]
    outcome = run(records, query(**WIDE))
    assert ids(outcome) == ["svc-gsh", "svc-cbt", "svc-none"]
    assert result(outcome, "svc-gsh").nice_option == DEPRESSION.options[0]
    assert result(outcome, "svc-none").nice_option is None


@pytest.mark.parametrize(
    ("asked", "first"),
    [
        pytest.param({}, "svc-cbt", id="no-preference"),
        pytest.param({"modalities": ("ipt",)}, "svc-ipt", id="named"),
        pytest.param({"relational": True}, "svc-ipt", id="relational"),
    ],
)
def test_preference_moves_an_option_up_without_hiding_others(
    asked: dict[str, Any], first: str
) -> None:
    records = [
        service("svc-cbt", modalities={"cbt"}),
        service("svc-ipt", modalities={"ipt"}),
    ]
    outcome = run(records, query(**{**WIDE, **asked}))
    assert ids(outcome)[0] == first
    assert sorted(ids(outcome)) == ["svc-cbt", "svc-ipt"]
    assert [row.label for row in outcome.panel] == [o.label for o in DEPRESSION.options]


@pytest.mark.parametrize("status", ["not-recommended", "symptom-support"])
def test_non_treatment_options_are_never_boosted(status: str) -> None:
    nice = advice(option("cbt", status, guideline="NG206"), option("ipt", "option"))
    records = [
        service("svc-flagged", modalities={"cbt"}),
        service("svc-unlisted", modalities={"emdr"}),
        service("svc-ipt", modalities={"ipt"}),
    ]
    outcome = run(records, query(**WIDE), nice)
    flagged = result(outcome, "svc-flagged")
    assert flagged.nice_option is not None and flagged.nice_option.status == status
    assert flagged.score == result(outcome, "svc-unlisted").score
    assert ids(outcome)[0] == "svc-ipt"


def test_not_recommended_is_credited_only_when_nothing_else_fits() -> None:
    nice = advice(option("cbt", "not-recommended"), option("ipt", "subgroup"))
    both = run([service("svc-a", modalities={"cbt", "ipt"})], query(**WIDE), nice)
    assert result(both, "svc-a").nice_option == option("ipt", "subgroup")
    only = run([service("svc-a", modalities={"cbt"})], query(**WIDE), nice)
    assert result(only, "svc-a").nice_option == option("cbt", "not-recommended")
    assert "nice_not_recommended" in result(only, "svc-a").reason_codes


def test_needs_without_guidance_rank_by_fit_and_access() -> None:
    nice = advice(need="bereavement", message=NO_GUIDANCE)
    records = [
        service(
            "svc-far-general",
            needs={"bereavement", "depression", "anxiety", "ocd"},
            sites=(site(1.0),),
        ),
        service("svc-specialist", needs={"bereavement"}, sites=(site(1.0),)),
        service(
            "svc-near-general",
            needs={"bereavement", "depression", "anxiety", "ocd"},
            sites=(site(0.2),),
        ),
    ]
    outcome = run(records, query(need="bereavement", **WIDE), nice)
    assert ids(outcome) == ["svc-specialist", "svc-near-general", "svc-far-general"]
    assert outcome.panel == ()
    assert outcome.not_nearby == ()
    assert outcome.message == NO_GUIDANCE
    assert all(Reason("no_nice_guidance", NO_GUIDANCE_TEXT) in r.reasons for r in outcome.results)
    # The first reason says why each is above the next: the specialist is not nearer, so it
    # keeps its NICE line first; the near general service leads with its distance.
    assert outcome.results[1].reasons[0].code == "distance"


def test_ties_break_on_distance_then_id() -> None:
    records = [
        service("svc-c", sites=(site(2.0),)),
        service("svc-b", sites=(site(2.0, bearing=180),)),
        service("svc-a", sites=(site(2.5),)),
    ]
    outcome = run(records, query(**WIDE))
    assert ids(outcome)[:2] == ["svc-b", "svc-c"]


def test_closed_services_are_listed_last_when_asked_for() -> None:
    records = [
        service(
            "svc-closed", capacity="closed", sites=(site(0.1),), modalities={"guided-self-help"}
        ),
        service("svc-open", sites=(site(9.0),), modalities={"psychodynamic"}),
    ]
    outcome = run(records, query(include_closed=True, **WIDE))
    assert ids(outcome) == ["svc-open", "svc-closed"]
    assert "capacity_closed" in result(outcome, "svc-closed").reason_codes
    gsh = outcome.panel[0]
    assert gsh.label == "Guided self-help" and not gsh.available


def test_nearest_site_is_reported() -> None:
    record = service("svc-a", sites=(site(8.0, location_id="far"), site(3.0, location_id="near")))
    outcome = run([record], query(**WIDE))
    ranked = result(outcome, "svc-a")
    assert ranked.site is not None and ranked.site.location_id == "near"
    assert ranked.distance_km == pytest.approx(3.0, abs=0.001)


def test_limit_keeps_the_best_and_counts_all() -> None:
    records = [service(f"svc-{i}", sites=(site(1.0 + i),)) for i in range(6)]
    outcome = run(records, query(limit=2, **WIDE))
    assert ids(outcome) == ["svc-0", "svc-1"]
    assert outcome.total_eligible == 6


# -- remote reach and catchments ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "included"),
    [
        pytest.param({"catchment_national": True}, True, id="national"),
        pytest.param({"catchment_areas": {"LS"}}, True, id="area"),
        pytest.param({"catchment_areas": {"LS1"}}, True, id="district"),
        pytest.param({"catchment_areas": {"M"}}, False, id="other-area"),
        pytest.param({"catchment_radius_km": 60.0}, True, id="radius-covers"),
        pytest.param({"catchment_radius_km": 40.0}, False, id="radius-short"),
        pytest.param({}, False, id="no-catchment-given"),
    ],
)
def test_remote_service_reaches_people_its_catchment_covers(
    record: dict[str, Any], included: bool
) -> None:
    far = service("svc-remote", delivery={"video", "phone"}, sites=(site(50.0),), **record)
    outcome = run([far], query(radius_km=25.0, delivery=("video", "phone")))
    assert ("svc-remote" in ids(outcome)) is included
    if included:
        ranked = result(outcome, "svc-remote")
        assert ranked.distance_km is None and ranked.site is None
        assert "remote" in ranked.reason_codes


def test_remote_service_is_not_offered_to_someone_who_wants_in_person() -> None:
    remote = service("svc-remote", delivery={"video"}, sites=(), catchment_national=True)
    outcome = run([remote], query(delivery=("in-person",), **WIDE))
    assert ids(outcome) == []


def test_leaving_the_radius_never_raises_a_remote_services_score() -> None:
    near = service(
        "svc-a", delivery={"in-person", "video"}, catchment_national=True, sites=(site(24.0),)
    )
    far = service(
        "svc-a", delivery={"in-person", "video"}, catchment_national=True, sites=(site(26.0),)
    )
    q = query(radius_km=25.0)
    assert result(run([far], q), "svc-a").score <= result(run([near], q), "svc-a").score


# -- widening: never a dead end ---------------------------------------------------------------


def test_widening_finds_services_further_away() -> None:
    records = [service("svc-far", sites=(site(38.0),)), service("svc-near", sites=(site(3.0),))]
    outcome = run(records, query(radius_km=25.0))
    assert outcome.widened == WidenInfo(
        from_radius_km=25.0, radius_km=100.0, count=1, remote_count=0
    )
    far = result(outcome, "svc-far")
    assert far.beyond_radius
    assert Reason("further_away", "Further away: 38 km") in far.reasons
    assert "distance" not in far.reason_codes
    assert ids(outcome) == ["svc-near", "svc-far"]


def test_widening_stops_at_double_the_radius_when_that_is_enough() -> None:
    records = [service(f"svc-{i}", sites=(site(30.0 + i),)) for i in range(3)]
    records.append(service("svc-90", sites=(site(90.0),)))
    outcome = run(records, query(radius_km=25.0))
    assert outcome.widened is not None
    assert (outcome.widened.radius_km, outcome.widened.count) == (50.0, 3)
    assert "svc-90" not in ids(outcome)


def test_widening_keeps_the_hard_filters() -> None:
    records = [
        service("svc-young", sites=(site(40.0),), minimum_age=0, maximum_age=17),
        service("svc-elsewhere", sites=(site(40.0),), catchment_areas={"HG"}),
    ]
    outcome = run(records, query(radius_km=25.0))
    assert outcome.widened is not None and outcome.widened.count == 0
    assert ids(outcome) == []


def test_no_widening_when_enough_are_in_reach() -> None:
    records = [service(f"svc-{i}", sites=(site(1.0 + i),)) for i in range(3)]
    records.append(service("svc-far", sites=(site(40.0),)))
    outcome = run(records, query(radius_km=25.0))
    assert outcome.widened is None
    assert "svc-far" not in ids(outcome)


def test_no_widening_for_someone_who_only_wants_remote() -> None:
    records = [service("svc-far", sites=(site(40.0),), delivery={"in-person", "video"})]
    outcome = run(records, query(radius_km=25.0, delivery=("video",)))
    assert outcome.widened is None
    assert ids(outcome) == []


def test_panel_points_to_the_nearest_option_found_by_widening() -> None:
    outcome = run([service("svc-far", sites=(site(38.0),))], query(radius_km=25.0))
    cbt = next(row for row in outcome.panel if row.label == "Individual CBT")
    assert not cbt.available
    assert cbt.nearest_beyond_km == pytest.approx(38.0, abs=0.001)
    # Face-to-face help further away is not "not available".
    assert cbt.nearest_in_person_km == pytest.approx(38.0, abs=0.001)
    assert cbt.text == "In person further away: nearest 38 km"


def test_remote_service_with_a_far_site_counts_as_in_person_further_away() -> None:
    """A rural NHS service reached by video because its sites are beyond the radius: the
    panel gives its nearest site, not "only available remotely"."""
    rural = service(
        "svc-rural",
        sites=(site(34.0), site(80.0, bearing=90.0, location_id="loc-2")),
        delivery={"in-person", "video", "phone"},
        catchment_areas={"LS"},
    )
    outcome = run([rural], query(radius_km=25.0))
    cbt = _panel_row(outcome, "Individual CBT")
    assert cbt.in_reach_count == 0 and cbt.remote_count == 1
    assert cbt.nearest_in_person_km == pytest.approx(34.0, abs=0.01)
    assert cbt.text == "In person further away: nearest 34 km; or 1 by video, phone or online"
    # Someone who wants only video is not told about the site.
    video_only = run([rural], query(radius_km=25.0, delivery=("video",)))
    assert _panel_row(video_only, "Individual CBT").nearest_in_person_km is None


# -- the choice panel -------------------------------------------------------------------------


def _panel_row(outcome: Any, label: str) -> Any:
    return next(row for row in outcome.panel if row.label == label)


def test_panel_lists_every_option_even_unavailable_and_under_review() -> None:
    nice = advice(
        option("cbt", order=1, label="CBT"),
        option("psychodynamic", order=2, label="STPP", verified=False),
        option("emdr", "not-recommended", label="EMDR"),
    )
    outcome = run([service("svc-a")], query(**WIDE), nice)
    assert [row.label for row in outcome.panel] == ["CBT", "STPP", "EMDR"]
    stpp = _panel_row(outcome, "STPP")
    assert (stpp.available, stpp.text, stpp.in_reach_count) == (False, "Not available near you", 0)
    assert outcome.not_nearby == ("STPP",)  # a not-recommended option is no gap


def test_panel_counts_and_nearest() -> None:
    records = [
        service("svc-1", sites=(site(5.0),)),
        service("svc-2", sites=(site(2.0),), delivery={"in-person", "video"}),
        service("svc-3", sites=(), delivery={"phone"}, catchment_national=True),
    ]
    outcome = run(records, query(**WIDE))
    row = _panel_row(outcome, "Individual CBT")
    assert (row.in_reach_count, row.remote_count) == (2, 2)
    assert row.nearest_km == pytest.approx(2.0, abs=0.001)
    assert (row.available, row.remote_only, row.paid_only) == (True, False, False)
    assert row.text == "2 services within 100 km, nearest 2.0 km; 2 by video, phone or online"
    assert "Individual CBT" not in outcome.not_nearby


def test_panel_remote_only() -> None:
    records = [service("svc-r", sites=(), delivery={"video"}, catchment_national=True)]
    outcome = run(records, query(**WIDE))
    row = _panel_row(outcome, "Individual CBT")
    assert (row.available, row.remote_only, row.in_reach_count, row.remote_count) == (
        True,
        True,
        0,
        1,
    )
    assert row.text.startswith("Only available remotely")
    assert "Individual CBT" in outcome.not_nearby


def test_panel_paid_only() -> None:
    records = [
        service("svc-p", cost_type="sliding-scale", cost_min_gbp=10.0, cost_max_gbp=40.0),
        service("svc-q", cost_type="fixed", cost_min_gbp=50.0, cost_max_gbp=50.0),
    ]
    outcome = run(records, query(**WIDE))
    row = _panel_row(outcome, "Individual CBT")
    assert row.paid_only and row.available
    assert row.text.startswith("Only paid options near you")


def test_panel_respects_formats_and_counts_as() -> None:
    records = [
        service("svc-1", modalities={"cbt"}, formats={"individual"}),
        service("svc-2", modalities={"dit"}),
    ]
    outcome = run(records, query(**WIDE))
    assert _panel_row(outcome, "Group CBT").in_reach_count == 0
    assert _panel_row(outcome, "Individual CBT").in_reach_count == 1
    assert _panel_row(outcome, "Short-term psychodynamic psychotherapy").in_reach_count == 1


@pytest.mark.parametrize(("age", "counted"), [(15, 1), (34, 0)])
def test_child_psychotherapy_counts_as_psychodynamic_for_under_18s(age: int, counted: int) -> None:
    nice = advice(option("psychodynamic", "alternative", label="Psychodynamic"), age=age)
    record = service("svc-c", modalities={"child-psychotherapy"}, minimum_age=None)
    outcome = run([record], query(age=age, **WIDE), nice)
    assert _panel_row(outcome, "Psychodynamic").in_reach_count == counted


def test_panel_ignores_closed_services() -> None:
    outcome = run([service("svc-a", capacity="closed")], query(include_closed=True, **WIDE))
    assert ids(outcome) == ["svc-a"]
    assert not _panel_row(outcome, "Individual CBT").available


# -- determinism, the index and the naive path --------------------------------------------------


def test_same_input_same_output_whatever_the_record_order() -> None:
    records = synthetic_records(300, seed=3)
    q = synthetic_queries(1, seed=4)[0]
    nice = get_nice().advise(q.need, q.age, q.severity)
    first = match(q, DirectoryIndex(records), nice)
    shuffled = records[:]
    random.Random(5).shuffle(shuffled)
    assert match(q, DirectoryIndex(shuffled), nice) == first
    assert match(q, DirectoryIndex(records), nice) == first


def test_fast_path_equals_naive_on_a_synthetic_directory() -> None:
    records = synthetic_records(400, seed=11)
    index = DirectoryIndex(records)
    nice = get_nice()
    queries = synthetic_queries(60, seed=12)
    widened = 0
    for q in queries:
        a = nice.advise(q.need, q.age, q.severity)
        fast = match(q, index, a)
        assert fast == naive_match(q, records, a)
        widened += fast.widened is not None
    assert 0 < widened < len(queries)  # both branches were exercised


def test_candidates_are_eligible_with_distance_and_site() -> None:
    records = [
        service("svc-near", sites=(site(3.0, location_id="n"),)),
        service("svc-remote", sites=(), delivery={"online"}, catchment_national=True),
        service("svc-child", maximum_age=17),
    ]
    found = {
        rec.id: (distance, s)
        for rec, distance, s in DirectoryIndex(records).candidates(query(**WIDE))
    }
    assert set(found) == {"svc-near", "svc-remote"}
    distance, nearest = found["svc-near"]
    assert distance == pytest.approx(3.0, abs=0.001) and nearest is not None
    assert found["svc-remote"] == (None, None)


def test_index_rejects_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="unique"):
        DirectoryIndex([service("svc-a"), service("svc-a")])


def test_empty_directory_is_not_a_dead_end_error() -> None:
    outcome = run([], query())
    assert outcome.results == () and outcome.total_eligible == 0
    assert all(not row.available for row in outcome.panel)
    assert outcome.widened is not None and outcome.widened.radius_km == 100.0


# -- the query ----------------------------------------------------------------------------------


def test_query_is_normalised() -> None:
    q = query(
        modalities=["IPT", "cbt", "ipt"],
        delivery=["video"],
        outcode=" ls1 ",
        area="ls",
        language=" Polish ",
    )
    assert q.modalities == ("cbt", "ipt")
    assert q.delivery == ("video",)
    assert (q.outcode, q.area, q.language) == ("LS1", "LS", "polish")
    assert q == query(modalities=("ipt", "cbt"), delivery=("video",), language="polish")


@pytest.mark.parametrize(
    "bad",
    [
        {"radius_km": 0},
        {"radius_km": float("nan")},
        {"limit": 0},
        {"age": -1},
        {"max_cost": -5},
        {"latitude": 91.0},
        {"delivery": ("carrier-pigeon",)},
        {"need": " "},
    ],
)
def test_query_rejects_bad_values(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        query(**bad)


def test_query_today_is_required() -> None:
    with pytest.raises(TypeError):
        MatchQuery(latitude=0.0, longitude=0.0, need="depression")  # type: ignore[call-arg]


# -- with the repository's NICE knowledge -------------------------------------------------------


def test_real_advice_credits_dit_as_short_term_psychodynamic() -> None:
    nice = get_nice().advise("depression", 34, "less-severe")
    outcome = run([service("svc-dit", modalities={"dit"})], query(**WIDE), nice)
    ranked = result(outcome, "svc-dit")
    assert ranked.nice_option is not None and ranked.nice_option.modality == "psychodynamic"
    assert ranked.reasons[0].code == "nice_first_line"
    assert [row.option for row in outcome.panel] == list(nice.options)


def test_real_advice_never_presents_cbt_for_me_cfs_as_a_cure() -> None:
    nice = get_nice().advise("physical-symptoms", 40, "unsure")
    # NICE names a specific CBT for ME/CFS symptoms: a service declares it to count.
    cbt = service(
        "svc-cbt",
        modalities={"cbt"},
        needs={"physical-symptoms"},
        protocols=frozenset({"cbt-me-cfs"}),
    )
    outcome = run([cbt], query(need="physical-symptoms", severity="unsure", **WIDE), nice)
    ranked = result(outcome, "svc-cbt")
    assert ranked.nice_option is not None and ranked.nice_option.status != "symptom-support"
    # The symptom-support option is still shown in the panel, as support, never hidden.
    support = [row for row in outcome.panel if row.option.status == "symptom-support"]
    assert len(support) == 1 and support[0].in_reach_count == 1
