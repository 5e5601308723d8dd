"""Facts about NICE that the clinical review found wrong, each pinned so it cannot come back.

The hazard log (docs/clinical-safety/hazard-log.yaml) names these tests as the controls for
H5, H6, H7, H12, H13 and H14.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from signpost.nice import (
    UNDER_REVIEW_NOTICE,
    NiceKnowledge,
    _combine,
    get_protocols,
    protocol_satisfies,
)
from signpost.vocab import load_vocabularies


@pytest.fixture(scope="module")
def nice() -> NiceKnowledge:
    return NiceKnowledge.load()


def _option(advice, label):  # type: ignore[no-untyped-def]
    return next(o for o in advice.options if o.label == label)


# ---------------------------------------------------------------------- 1. DIT and STPP


def test_nice_names_stpp_not_dit(nice: NiceKnowledge) -> None:
    labels = {o.label for e in nice.entries() for o in e.options}
    assert not any("DIT" in label or "interpersonal therapy (DIT)" in label for label in labels)
    stpp = [o for e in nice.entries() for o in e.options if o.kind == "stpp"]
    assert stpp and all("DIT" in o.note and "one form of" in o.note for o in stpp)


def test_dit_does_not_count_for_stpp_developed_for_social_anxiety(nice: NiceKnowledge) -> None:
    advice = nice.advise("social-anxiety", 34)
    stpp = _option(advice, "Short-term psychodynamic psychotherapy developed for social anxiety")
    assert stpp.kind == "stpp-social-anxiety"
    assert advice.status_for(["dit"]) is None
    assert not protocol_satisfies(["dit"], "stpp-social-anxiety")
    assert protocol_satisfies(["dit"], "stpp")  # but DIT is one form of STPP for depression
    assert protocol_satisfies(["stpp-social-anxiety"], "stpp-social-anxiety")


# ---------------------------------------------------------------------- 2. verification


def test_merged_option_is_verified_only_if_every_source_is(nice: NiceKnowledge) -> None:
    """Unsure severity merges the two NG222 tables: counselling is confirmed in table 1 only."""
    unsure = nice.advise("depression", 34, "unsure")
    counselling = _option(unsure, "Counselling")
    assert set(counselling.severities) == {"less-severe", "more-severe"}
    assert not counselling.verified
    assert {s.evidence for s in counselling.sources} >= {"C", "R"}
    assert counselling.evidence == "R"  # only as strong as its weakest part
    cbt = _option(unsure, "Individual CBT")
    assert cbt.verified  # confirmed in both tables


@pytest.mark.parametrize(
    ("a", "b", "merged"),
    [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
)
def test_combine_uses_and(nice: NiceKnowledge, a: bool, b: bool, merged: bool) -> None:
    base = nice.advise("depression", 34, "less-severe").options[0]
    assert _combine(replace(base, verified=a), replace(base, verified=b)).verified is merged


def test_under_review_wording_is_about_our_summary(nice: NiceKnowledge) -> None:
    advice = nice.advise("trauma", 34)
    assert advice.review_notice == UNDER_REVIEW_NOTICE
    assert "under review" not in advice.message
    assert UNDER_REVIEW_NOTICE not in advice.message  # said once, by the panel
    assert nice.advise("panic", 34).review_notice is None


# ---------------------------------------------------------------------- 3. NG222 table 2


def test_combination_row_says_the_gp_supplies_the_antidepressant(nice: NiceKnowledge) -> None:
    advice = nice.advise("depression", 40, "more-severe")
    first = advice.options[0]
    assert first.label == "CBT here, plus an antidepressant from your GP"
    assert first.with_medication and first.order == 1
    assert any("Antidepressant medication on its own" in t for t in advice.other_treatments)


def test_order_caption_only_where_nice_gives_an_order(nice: NiceKnowledge) -> None:
    assert nice.advise("depression", 40, "less-severe").order == "all"
    assert nice.advise("depression", 40, "more-severe").order == "all"
    assert nice.advise("depression", 40, "unsure").order != "all"  # two lists: no order
    assert nice.advise("psychosis", 40).order == "none"
    assert "the order is a guide" not in nice.advise("psychosis", 40).message
    assert "the order is a guide" in nice.advise("depression", 40, "less-severe").message


# ---------------------------------------------------------------------- 4. NG193 and NG206


def test_ng193_is_chronic_primary_pain_from_16(nice: NiceKnowledge) -> None:
    entry = next(e for e in nice.entries() if e.guideline == "NG193")
    assert entry.min_age == 16 and "pain" in entry.applies_to.casefold()
    for age in (12, 15):
        assert not any(
            o.guideline == "NG193" for o in nice.advise("physical-symptoms", age).options
        )


def test_me_cfs_lists_what_nice_says_not_to_offer(nice: NiceKnowledge) -> None:
    advice = nice.advise("physical-symptoms", 30)
    texts = " ".join(n.text for n in advice.not_offered)
    assert "Graded exercise therapy" in texts and "Lightning Process" in texts
    assert not any(n.verified for n in advice.not_offered)  # wording not read yet
    assert not advice.verified


# ---------------------------------------------------------------------- 5. smaller errors


def test_bulimia_cbt_ed_for_young_people_is_the_alternative(nice: NiceKnowledge) -> None:
    entry = next(e for e in nice.entries() if e.id == "ng69-bulimia-cyp")
    statuses = {o.kind: o.status for o in entry.options}
    assert statuses == {"ft-bn": "first-line", "cbt-ed": "alternative"}


@pytest.mark.parametrize(("age", "emdr"), [(5, False), (6, False), (7, True), (15, True)])
def test_emdr_for_children_from_age_7_only_after_tf_cbt(
    nice: NiceKnowledge, age: int, emdr: bool
) -> None:
    advice = nice.advise("trauma", age)
    found = [o for o in advice.options if o.modality == "emdr"]
    assert bool(found) is emdr
    for option in found:
        assert option.status == "alternative" and "has not helped" in option.label


def test_adult_emdr_is_offered_for_non_combat_trauma_after_3_months(nice: NiceKnowledge) -> None:
    advice = nice.advise("trauma", 30)
    emdr = next(o for o in advice.options if o.modality == "emdr")
    assert emdr.status == "first-line" and "not linked to combat" in emdr.label
    assert "3 months" in emdr.note and not emdr.verified
    tf = next(o for o in advice.options if o.modality == "trauma-focused-cbt")
    assert tf.verified and tf.evidence == "C"


def test_gad_step_3_is_an_offer_with_nice_own_range(nice: NiceKnowledge) -> None:
    entry = next(e for e in nice.entries() if e.id == "cg113-gad-step-3")
    assert {o.status for o in entry.options} == {"first-line"}
    assert "1.2.17 to 1.2.21" in entry.recommendations
    assert not any("not confirmed" in r for r in entry.recommendations)


# ---------------------------------------------------------------------- 6. protocols


SPECIFIC = {
    "Brief psychosocial intervention (BPI)": "bpi",
    "Specialist supportive clinical management (SSCM)": "sscm",
    "Maudsley Anorexia Nervosa Treatment for Adults (MANTRA)": "mantra",
    "Family therapy for anorexia (FT-AN)": "ft-an",
    "Family therapy for bulimia (FT-BN)": "ft-bn",
    "CBT for psychosis (CBTp)": "cbt-psychosis",
    "Psychological therapy made for self-harm": "self-harm-intervention",
    "Behavioural couples therapy": "behavioural-couples-therapy",
    "Arts therapies": "arts-therapies-hcpc",
    "Short-term psychodynamic psychotherapy (STPP)": "stpp",
    "Individual CBT for eating disorders (CBT-ED)": "cbt-ed",
}


@pytest.mark.parametrize(("label", "kind"), sorted(SPECIFIC.items()))
def test_specific_protocols_carry_their_kind(nice: NiceKnowledge, label: str, kind: str) -> None:
    found = [o for e in nice.entries() for o in e.options if o.label == label]
    assert found and {o.kind for o in found} == {kind}


def test_every_kind_is_a_protocol_of_the_same_modality(nice: NiceKnowledge) -> None:
    protocols = get_protocols()
    for entry in nice.entries():
        for option in entry.options:
            if option.kind is not None:
                assert protocols[option.kind].modality == option.modality


def test_protocols_file_is_checked(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "protocols.yaml"
    path.write_text("protocols:\n  - {slug: x, name: X, modality: reiki, intensity: high}\n")
    with pytest.raises(ValueError, match="reiki"):
        load_vocabularies(protocols_path=path)
    assert "dit" in load_vocabularies().protocols


# ---------------------------------------------------------------------- 7. gaps shown honestly


@pytest.mark.parametrize(("need", "age", "guideline"), [
    ("physical-symptoms", 40, "CG61"), ("physical-symptoms", 40, "CG91"),
    ("depression", 40, "CG91"), ("perinatal", 30, "CG192"),
])  # fmt: skip
def test_guidance_not_yet_added_is_shown(
    nice: NiceKnowledge, need: str, age: int, guideline: str
) -> None:
    advice = nice.advise(need, age)
    assert guideline in {g.guideline for g in advice.not_yet_added}


def test_postpartum_psychosis_is_called_an_emergency(nice: NiceKnowledge) -> None:
    message = next(g for g in nice.advise("perinatal", 30).not_yet_added).message
    assert "postpartum psychosis" in message and "emergency" in message and "999" in message


def test_old_guidelines_carry_a_currency_note(nice: NiceKnowledge) -> None:
    for gid in ("CG31", "CG78", "CG113"):
        assert nice.guidelines[gid].currency_note
    assert any("CG31" in note for note in nice.advise("ocd", 30).currency_notes)
