"""seed_data/nice.yaml and signpost/nice.py: NICE choice knowledge (PRODUCT.md section 4)."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from signpost.nice import (
    DEFAULT_PATH,
    EVIDENCE_LEVELS,
    STATUS_RANK,
    STATUSES,
    VERIFYING_EVIDENCE,
    NiceAdvice,
    NiceDataError,
    NiceKnowledge,
    get_nice,
    satisfies,
)
from signpost.vocab import DEFAULT_PATH as VOCAB_PATH
from signpost.vocab import Vocabularies, get_vocabularies

NEEDS = (
    "depression", "anxiety", "panic", "social-anxiety", "trauma", "ocd", "eating-disorder",
    "personality", "self-harm", "perinatal", "psychosis", "bipolar", "abuse-neglect",
    "relationships", "bereavement", "physical-symptoms", "child-emotional", "attachment",
    "not-sure",
)  # fmt: skip
SEVERITIES = ("less-severe", "more-severe", "unsure")
SAMPLE_AGES = (None, 0, 3, 5, 8, 10, 11, 12, 15, 16, 17, 18, 30, 70)

# Verification is per option (clinical review, issue 11): for every entry, the options that are
# NOT yet confirmed in NICE's own wording [N], an exact copy [C] or a near-verbatim copy [S*].
# Every entry in nice.yaml must be listed here.
UNVERIFIED: dict[str, set[str]] = {
    "ng222-adult-less-severe": set(),
    "ng222-adult-more-severe": {
        "Interpersonal therapy (IPT)",
        "Counselling",
        "Short-term psychodynamic psychotherapy (STPP)",
        "Individual problem solving",
        "Guided self-help",
    },
    "ng222-adult-chronic": set(),
    "ng222-adult-relapse-prevention": set(),
    "ng222-adult-couples": {"Behavioural couples therapy"},
    "ng134-mild-5-11": {
        "Attachment-based family therapy",
        "Group interpersonal therapy (IPT)",
        "Group CBT",
        "Individual CBT",
        "Group non-directive supportive therapy (NDST)",
        "Digital CBT",
    },
    "ng134-mild-12-17": {
        "Attachment-based family therapy",
        "Group interpersonal therapy (IPT)",
        "Group CBT",
        "Individual CBT",
        "Group non-directive supportive therapy (NDST)",
        "Digital CBT",
    },
    "ng134-more-5-11": {"Individual CBT"},
    "ng134-more-12-17": {
        "Psychodynamic psychotherapy",
        "Brief psychosocial intervention (BPI)",
        "Interpersonal therapy for adolescents (IPT-A)",
        "Individual CBT (at least 3 months)",
        "Family therapy (attachment-based or systemic)",
    },
    "cg113-gad-step-2": set(),
    "cg113-gad-step-3": {"Applied relaxation", "Individual CBT (high intensity)"},
    "cg113-panic": set(),
    "cg159-adult": {
        "Supportive therapy",
        "Group CBT (NICE prefers one-to-one CBT)",
        "Mindfulness-based therapy",
    },
    "cg159-cyp": set(),
    "cg159-cyp-15-plus": set(),
    "ng116-adult": {"EMDR (trauma not linked to combat)"},
    "ng116-cyp": {"Individual trauma-focused CBT"},
    "ng116-cyp-emdr": {"EMDR (if trauma-focused CBT has not helped)"},
    "cg31-adult-mild": set(),
    "cg31-adult-moderate": {"More intensive CBT with ERP"},
    "cg31-cyp": {"CBT with ERP involving family or carers", "Guided self-help using CBT with ERP"},
    "ng69-binge-eating": set(),
    "ng69-bulimia-adult": set(),
    "ng69-bulimia-cyp": {"Individual CBT for eating disorders (CBT-ED)"},
    "ng69-anorexia-adult": {"Focal psychodynamic therapy for eating disorders"},
    "ng69-anorexia-cyp": {
        "Adolescent-focused psychotherapy for anorexia",
        "Individual CBT for eating disorders (CBT-ED)",
    },
    "cg78-bpd": set(),
    "ng222-personality-depression": set(),
    "ng225-adult": set(),
    "ng225-young-people": {"DBT for adolescents (DBT-A)"},
    "cg192-less-severe": set(),
    "cg192-more-severe": set(),
    "cg178-adult": set(),
    "cg155-cyp": {"Arts therapies", "CBT for psychosis (CBTp)", "Family intervention"},
    "cg185-staying-well": set(),
    "cg185-bipolar-depression": {
        "Interpersonal therapy (IPT)",
        "CBT for bipolar depression",
        "Behavioural couples therapy",
    },
    "ng76-under-5": set(),
    "ng76-school-age": {
        "Parenting programme after physical abuse or neglect",
        "Trauma-focused CBT after sexual abuse",
    },
    "ng26-early-years": {"Video-feedback programme for parents or carers"},
    "ng193-chronic-primary-pain": set(),
    "ng206-me-cfs": set(),
}

# Short NICE sentences (from the research's quotations, NICE text (c) NICE). nice.yaml and
# vocabularies.yaml must paraphrase: no run of WINDOW words from any of these may appear.
NICE_SENTENCES = (
    "take into account that all treatments in table 1 can be used as first-line treatments, but "
    "consider the least intrusive and least resource intensive treatment first",
    "Treatment options are listed in order of recommended use, based on the committee's "
    "interpretation of their clinical and cost effectiveness and consideration of implementation "
    "factors.",
    "Do not routinely offer antidepressant medication as first-line treatment for less severe "
    "depression, unless that is the person's preference.",
    "the committee agreed that choice of therapy should be a personalised decision and that some "
    "people may prefer to use a treatment further down the table and that this is a valid choice.",
    "There was good evidence for the effectiveness of combination of CBT with antidepressants, "
    "individual CBT and individual behavioural therapies and these treatments also appeared to be "
    "cost effective, on average, for adults with more severe depression.",
    "the committee recognised that these treatments may be helpful for some people and so included "
    "them as options as well.",
    "For people with chronic depressive symptoms, offer cognitive behavioural treatment that: has "
    "a focus on chronic depressive symptoms",
    "For people with depression and a diagnosis of personality disorder consider a combination of "
    "antidepressant medication and a psychological treatment (for example, BA, CBT, IPT or STPP).",
    "a course of psychological therapy (group CBT or mindfulness-based cognitive therapy [MBCT]) "
    "for people who do not wish to continue on antidepressants",
    "For people with GAD whose symptoms have not improved after education and active monitoring in "
    "step 1, offer one or more of the following as a first-line intervention, guided by the "
    "person's preference",
    "Offer either: an individual high-intensity psychological intervention (see recommendations "
    "1.2.17 to 1.2.21) or drug treatment (see recommendations 1.2.22 to 1.2.32).",
    "In the care of individuals with panic disorder, any of the following types of intervention "
    "should be offered and the preference of the person should be taken into account.",
    "The first treatment you should be offered is a psychological therapy called cognitive "
    "behavioural therapy ('CBT' for short).",
    "In the initial treatment of adults with OCD, low intensity psychological treatments "
    "(including exposure and response prevention [ERP]; up to 10 therapist hours per patient) "
    "should be offered if the patient's degree of functional impairment is mild and/or the "
    "patient expresses a preference for a low intensity approach.",
    "Children, young people and adults who have binge-eating disorder should be offered guided "
    "self-help.",
    "You may be offered cognitive behavioural therapy (CBT), the Maudsley Anorexia Nervosa "
    "Treatment for Adults (MANTRA) or specialist supportive clinical management (SSCM).",
    "If you feel it hasn't helped after 4 weeks, you may be offered cognitive behavioural therapy "
    "(CBT).",
    "Women with borderline personality disorder who self-harm on a regular basis may be offered a "
    "treatment called dialectical behaviour therapy.",
    "Psychological treatment lasting about a year or longer is best for people with borderline "
    "personality disorder.",
    "People receiving continuing support for self-harm have a discussion with their healthcare "
    "professional about the potential benefits of psychological interventions specifically "
    "structured for people who self-harm.",
    "Women referred for psychological interventions in pregnancy or the postnatal period start "
    "treatment within 6 weeks of referral.",
    "Cognitive behavioural therapy (CBT) involves at least 16 meetings on your own with a "
    "healthcare professional.",
    "Adults with bipolar disorder can be offered psychological intervention as individual, group "
    "or family intervention depending on accessibility and suitability to them.",
    "If possible, offer a choice and explain what each intervention will involve and how you think "
    "it may help.",
    "Only offer CBT to adults, children and young people with ME/CFS if, after discussing it (see "
    "recommendation 1.12.28), they would like to use it to support them in managing their "
    "symptoms.",
    "make it clear that there is limited evidence for effective treatments for 5- to 11-year-olds.",
    "Despite the limited evidence for 5- to 11-year-olds, the committee agreed that treatment was "
    "important for these young children.",
)
WINDOW = 8  # stricter than the 12 words the brief allows


@pytest.fixture(scope="module")
def nice() -> NiceKnowledge:
    return NiceKnowledge.load()


@pytest.fixture(scope="module")
def vocab() -> Vocabularies:
    return get_vocabularies()


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def _raw_entries() -> list[dict[str, Any]]:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))["entries"]


def _labels(advice: NiceAdvice, *, main_only: bool = False) -> list[str]:
    return [
        o.label for o in advice.options if not main_only or o.status in ("first-line", "option")
    ]


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold())


# ---------------------------------------------------------------------------- the data


@pytest.mark.parametrize("entry", _raw_entries(), ids=lambda e: e["id"])
def test_every_slug_exists_in_the_vocabularies(entry: dict[str, Any], vocab: Vocabularies) -> None:
    assert set(entry["needs"]) <= set(vocab.needs)
    assert set(entry["age_bands"]) <= set(vocab.band_slugs)
    assert entry["severity"] in ("less-severe", "more-severe", "any")
    for option in entry["options"]:
        assert option["modality"] in vocab.modalities
        assert option.get("format") in (None, *vocab.formats)
        assert option["status"] in STATUSES


@pytest.mark.parametrize("entry", _raw_entries(), ids=lambda e: e["id"])
def test_every_option_has_a_guideline_and_recommendation_numbers(
    entry: dict[str, Any], nice: NiceKnowledge
) -> None:
    assert entry["guideline"] in nice.guidelines
    assert entry["recommendations"] and all(r.strip() for r in entry["recommendations"])
    for option in nice.entries(need=entry["needs"][0], age_band=entry["age_bands"][0]):
        for loaded in option.options:
            assert loaded.guideline in nice.guidelines
            assert loaded.recommendations
            assert loaded.note.endswith(".")


@pytest.mark.parametrize(("entry_id", "unverified"), sorted(UNVERIFIED.items()))
def test_option_level_verification_matches_the_review(
    nice: NiceKnowledge, entry_id: str, unverified: set[str]
) -> None:
    entry = next(e for e in nice.entries() if e.id == entry_id)
    assert {o.label for o in entry.options if not o.verified} == unverified
    for option in entry.options:
        assert option.sources and option.verified_on
        if option.verified:
            # never on a secondary summary or recollection alone
            assert {s.evidence for s in option.sources} & VERIFYING_EVIDENCE, option.label
            assert option.review is None
        else:
            assert option.review and option.review.endswith("."), option.label
    # an entry says what is unconfirmed whenever anything in it is
    assert bool(entry.review_note) is (not entry.verified)


def test_every_entry_is_classified_against_the_review(nice: NiceKnowledge) -> None:
    assert {e.id for e in nice.entries()} == set(UNVERIFIED)


def test_verification_counts(nice: NiceKnowledge) -> None:
    """110 options (51 verified) before the issue 11 review; now counted per option."""
    options = [o for e in nice.entries() for o in e.options]
    verified = [o for o in options if o.verified]
    assert (len(verified), len(options) - len(verified)) == (63, 49)


def test_sources_carry_url_what_was_read_and_evidence(nice: NiceKnowledge) -> None:
    for entry in nice.entries():
        for source in entry.sources:
            assert source.evidence in EVIDENCE_LEVELS
            assert source.read
            assert (source.url is None) is (source.evidence == "R")
            if source.evidence == "N":
                assert source.url.startswith("https://www.nice.org.uk/")


@pytest.mark.parametrize("gid", ["NG222", "NG134", "CG113", "NG116", "NG206", "CG78"])
def test_guideline_links(nice: NiceKnowledge, gid: str) -> None:
    guideline = nice.guidelines[gid]
    assert guideline.url == f"https://www.nice.org.uk/guidance/{gid.lower()}"
    assert 2000 <= guideline.year <= 2030


@pytest.mark.parametrize("need", NEEDS)
def test_every_need_is_covered_for_adults_or_has_no_guidance(
    nice: NiceKnowledge, need: str
) -> None:
    coverage = nice.coverage()[(need, "18+")]
    assert coverage in ("entries", "no-guidance")
    advice = nice.advise(need, 30)
    assert advice.has_guidance is (coverage == "entries")
    if not advice.has_guidance:
        assert "NICE" in advice.message


@pytest.mark.parametrize("need", NEEDS)
def test_every_need_and_age_band_is_accounted_for(nice: NiceKnowledge, need: str) -> None:
    for band in ("0-5", "5-11", "12-17", "18+"):
        assert nice.coverage()[(need, band)] != "missing", (need, band)


@pytest.mark.parametrize("need", ["bereavement", "relationships", "not-sure"])
@pytest.mark.parametrize("age", [None, 9, 15, 40])
def test_needs_without_guidance_say_so_plainly(nice: NiceKnowledge, need: str, age: int) -> None:
    advice = nice.advise(need, age)
    assert not advice.has_guidance
    assert advice.options == () and advice.guidelines == ()
    assert "how well they fit and how easy they are to reach" in advice.message


@pytest.mark.parametrize("need", NEEDS)
def test_nice_scope_in_vocabularies_names_the_guidelines_used(
    nice: NiceKnowledge, vocab: Vocabularies, need: str
) -> None:
    used = {e.guideline for e in nice.entries(need=need)}
    used |= {g.guideline for g in nice.coverage_gaps if g.need == need}
    assert used == set(vocab.needs[need].nice_scope)


def test_no_long_verbatim_nice_text() -> None:
    windows = set()
    for sentence in NICE_SENTENCES:
        words = _words(sentence)
        windows |= {" ".join(words[i : i + WINDOW]) for i in range(len(words) - WINDOW + 1)}
    for path in (DEFAULT_PATH, VOCAB_PATH):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for text in _strings(data):
            words = _words(text)
            for i in range(len(words) - WINDOW + 1):
                chunk = " ".join(words[i : i + WINDOW])
                assert chunk not in windows, f"{path.name}: copies NICE wording: {chunk!r}"


def test_the_verbatim_check_can_fail() -> None:
    words = _words(NICE_SENTENCES[2])
    copied = "Our note: " + " ".join(words[:WINDOW]) + "."
    chunk = " ".join(_words(copied)[2 : 2 + WINDOW])
    assert chunk == " ".join(words[:WINDOW])


# ---------------------------------------------------------------------------- depression


def test_adult_less_severe_depression_follows_nice_order(nice: NiceKnowledge) -> None:
    advice = nice.advise("depression", 34, "less-severe")
    main = [o for o in advice.options if o.status == "first-line"]
    assert [o.label for o in main] == [
        "Guided self-help",
        "Group CBT",
        "Group behavioural activation",
        "Individual CBT",
        "Individual behavioural activation",
        "Group mindfulness and meditation",
        "Interpersonal therapy (IPT)",
        "Counselling",
        "Short-term psychodynamic psychotherapy (STPP)",
    ]
    assert main[0].modality == "guided-self-help" and main[0].order == 1
    assert main[-1].modality == "psychodynamic" and main[-1].order == 11
    assert all(o.verified for o in main)
    assert advice.severity == "less-severe" and not advice.severity_union
    assert advice.guidelines[0].id == "NG222"


def test_adult_more_severe_depression_is_all_first_line_in_nice_order(
    nice: NiceKnowledge,
) -> None:
    """NG222 table 2: every row a first-line choice, in NICE's order (rows after 3 under review)."""
    advice = nice.advise("depression", 34, "more-severe")
    main = [o for o in advice.options if o.guideline == "NG222" and o.applies_to is None]
    assert {o.status for o in main} == {"first-line"}
    assert [(o.order, o.modality) for o in main] == [
        (1, "cbt"),
        (2, "cbt"),
        (3, "behavioural-activation"),
        (5, "problem-solving"),
        (6, "counselling"),
        (7, "psychodynamic"),
        (8, "ipt"),
        (9, "guided-self-help"),
    ]
    assert [o.verified for o in main[:3]] == [True, True, True]
    assert not any(o.verified for o in main[3:])
    assert advice.order == "all"
    assert advice.review_notice and "still being checked" not in advice.message


@pytest.mark.parametrize(
    ("need", "age"),
    [
        ("depression", 34),
        ("depression", 8),
        ("depression", 14),
        ("anxiety", 40),
        ("ocd", 25),
        ("perinatal", 29),
        ("child-emotional", 13),
    ],
)
def test_unsure_severity_is_the_union_of_both(nice: NiceKnowledge, need: str, age: int) -> None:
    less = nice.advise(need, age, "less-severe")
    more = nice.advise(need, age, "more-severe")
    unsure = nice.advise(need, age, "unsure")

    def keys(advice: NiceAdvice) -> set[tuple[str, str | None, str]]:
        return {(o.modality, o.format, o.label) for o in advice.options}

    assert keys(unsure) == keys(less) | keys(more)
    assert keys(unsure) != keys(less) and keys(unsure) != keys(more)
    assert unsure.severity == "unsure" and unsure.severity_union
    assert "not sure how severe" in unsure.message
    # NICE's two lists have different orders; nothing is guessed
    assert all(o.order is None for o in unsure.options if "any" not in o.severities)
    both = [o for o in unsure.options if {"less-severe", "more-severe"} <= set(o.severities)]
    for option in both:
        assert option.status == min(
            (o.status for a in (less, more) for o in a.options if o.label == option.label),
            key=STATUS_RANK.__getitem__,
        )


@pytest.mark.parametrize(("need", "age"), [("panic", 30), ("psychosis", 30), ("trauma", 9)])
def test_severity_does_not_matter_where_nice_does_not_split(
    nice: NiceKnowledge, need: str, age: int
) -> None:
    answers = {s: nice.advise(need, age, s) for s in SEVERITIES}
    assert {a.options for a in answers.values()} == {answers["unsure"].options}
    assert all(a.severity == "any" and not a.severity_union for a in answers.values())


# ---------------------------------------------------------------------------- ME/CFS


@pytest.mark.parametrize("age", [9, 14, 16, 30, 70, None])
@pytest.mark.parametrize("severity", SEVERITIES)
def test_cbt_for_me_cfs_is_symptom_support_never_a_cure(
    nice: NiceKnowledge, age: int | None, severity: str
) -> None:
    advice = nice.advise("physical-symptoms", age, severity)
    me_cfs = [o for o in advice.options if o.guideline == "NG206"]
    assert len(me_cfs) == 1
    assert me_cfs[0].modality == "cbt" and me_cfs[0].status == "symptom-support"
    assert not me_cfs[0].is_treatment
    assert "not a cure" in me_cfs[0].label
    assert not any(o.modality == "cbt" and o.status == "first-line" for o in advice.options)
    assert "not a cure" in advice.message


def test_for_a_child_with_physical_symptoms_cbt_is_only_symptom_support(
    nice: NiceKnowledge,
) -> None:
    advice = nice.advise("physical-symptoms", 10)
    best = advice.status_for(["cbt"])
    assert best is not None and best.status == "symptom-support"
    assert "does not name a talking therapy that treats" in advice.message


def test_no_entry_about_me_cfs_treats_it(nice: NiceKnowledge) -> None:
    for entry in nice.entries():
        if entry.guideline == "NG206":
            assert {o.status for o in entry.options} == {"symptom-support"}


# ---------------------------------------------------------------------------- equivalences


@pytest.mark.parametrize(
    ("service", "option", "age", "expected"),
    [
        ("dit", "psychodynamic", 40, True),
        ("dit", "psychodynamic", None, True),
        ("child-psychotherapy", "psychodynamic", 10, True),
        ("child-psychotherapy", "psychodynamic", 16, True),
        ("child-psychotherapy", "psychodynamic", 30, False),
        ("child-psychotherapy", "psychodynamic", None, False),
        ("psychodynamic", "dit", 40, False),
        ("cbt", "cbt", 40, True),
        ("cbt", "guided-self-help", 40, False),
    ],
)
def test_satisfies(service: str, option: str, age: int | None, expected: bool) -> None:
    assert satisfies(service, option, age) is expected
    assert get_nice().satisfies(service, option, age) is expected


@pytest.mark.parametrize(
    ("need", "age", "severity", "service", "label"),
    [
        ("depression", 34, "less-severe", ["dit"], "Short-term psychodynamic psychotherapy (STPP)"),
        ("depression", 34, "more-severe", ["dit"], "Short-term psychodynamic psychotherapy (STPP)"),
        # CG159 names STPP developed for social anxiety: DIT is a depression model
        ("social-anxiety", 34, "unsure", ["dit"], None),
        ("social-anxiety", 34, "unsure", ["psychodynamic"], "Short-term psychodynamic "
         "psychotherapy developed for social anxiety"),
        ("personality", 34, "unsure", ["dit"], "STPP here, plus an antidepressant from your GP"),
        ("eating-disorder", 34, "unsure", ["dit"], None),  # focal psychodynamic is not STPP
        ("depression", 10, "more-severe", ["child-psychotherapy"], "Psychodynamic psychotherapy"),
        ("depression", 15, "more-severe", ["child-psychotherapy"], "Psychodynamic psychotherapy"),
        ("depression", 34, "less-severe", ["child-psychotherapy"], None),
        ("depression", 34, "less-severe", ["psychodynamic"], "Short-term psychodynamic "
         "psychotherapy (STPP)"),
        ("depression", 34, "less-severe", ["counselling", "cbt"], "Group CBT"),
        ("depression", 34, "less-severe", ["emdr"], None),
        ("depression", 34, "less-severe", [], None),
    ],
)  # fmt: skip
def test_status_for_applies_equivalences(
    nice: NiceKnowledge,
    need: str,
    age: int,
    severity: str,
    service: list[str],
    label: str | None,
) -> None:
    best = nice.advise(need, age, severity).status_for(service)
    assert (best.label if best else None) == label


def test_child_psychotherapy_follows_the_person_not_the_service(nice: NiceKnowledge) -> None:
    child = nice.advise("depression", 10, "more-severe")
    adult = nice.advise("depression", 30, "more-severe")
    assert child.status_for(["child-psychotherapy"]) is not None
    assert adult.status_for(["child-psychotherapy"]) is None
    assert adult.status_for(["psychodynamic"]) is not None  # the advice itself is right for adults
    assert adult.status_for(["child-psychotherapy"], age=30) is None


def test_status_for_respects_formats(nice: NiceKnowledge) -> None:
    advice = nice.advise("depression", 34, "less-severe")
    assert advice.status_for(["cbt"]).label == "Group CBT"
    assert advice.status_for(["cbt"], formats=["individual"]).label == "Individual CBT"


# ---------------------------------------------------------------------------- not recommended


def test_not_recommended_options_are_listed_but_flagged(nice: NiceKnowledge) -> None:
    advice = nice.advise("psychosis", 30)
    counselling = [o for o in advice.options if o.modality == "counselling"]
    assert [o.status for o in counselling] == ["not-recommended"]
    assert not counselling[0].recommended
    assert advice.options[-1] is counselling[0]  # sorted last
    assert "counselling" not in advice.modalities
    assert counselling[0] not in advice.recommended_options
    best = advice.status_for(["counselling"])
    assert best is not None and not best.recommended
    assert advice.status_for(["counselling", "cbt"]).recommended


def test_group_cbt_for_adult_social_anxiety_is_not_preferred_but_not_ruled_out(
    nice: NiceKnowledge,
) -> None:
    """CG159: group CBT is not routinely offered *in preference to* individual CBT."""
    advice = nice.advise("social-anxiety", 30)
    group = advice.status_for(["cbt"], formats=["group"])
    assert group.status == "alternative" and group.recommended and not group.verified
    assert advice.status_for(["cbt"]).status == "first-line"
    not_routinely = {o.label for o in advice.options if not o.recommended}
    assert not_routinely == {"Mindfulness-based therapy", "Supportive therapy"}


# ---------------------------------------------------------------------------- ages


def test_age_five_uses_both_overlapping_bands(nice: NiceKnowledge) -> None:
    labels = _labels(nice.advise("abuse-neglect", 5))
    assert "Child-parent psychotherapy" in labels  # 0-5 advice
    assert "Trauma-focused CBT after sexual abuse" in labels  # 5-11 advice
    assert nice.advise("abuse-neglect", 5).age_bands == ("0-5", "5-11")


def test_age_limits_inside_a_band(nice: NiceKnowledge) -> None:
    assert not nice.advise("ocd", 7).has_guidance
    assert "age 8" in nice.advise("ocd", 7).message
    assert nice.advise("ocd", 8).has_guidance
    assert "Adult CBT for social anxiety (from age 15)" not in _labels(
        nice.advise("social-anxiety", 14)
    )
    assert "Adult CBT for social anxiety (from age 15)" in _labels(
        nice.advise("social-anxiety", 15)
    )
    assert not any(o.guideline == "NG193" for o in nice.advise("physical-symptoms", 15).options)
    assert any(o.guideline == "NG193" for o in nice.advise("physical-symptoms", 16).options)


def test_children_get_childrens_guidance(nice: NiceKnowledge) -> None:
    assert {g.id for g in nice.advise("depression", 9).guidelines} == {"NG134"}
    assert {g.id for g in nice.advise("depression", 17).guidelines} == {"NG134"}
    assert {g.id for g in nice.advise("depression", 18).guidelines} == {"NG222"}
    assert nice.advise("depression", 3).has_guidance is False


def test_unknown_age_shows_adult_advice_and_says_so(nice: NiceKnowledge) -> None:
    advice = nice.advise("depression", None, "less-severe")
    assert advice.age_assumed and advice.age_band == "18+"
    assert "assumed you are an adult" in advice.message
    child_only = nice.advise("attachment", None)
    assert not child_only.age_assumed and child_only.has_guidance
    assert child_only.age_band == "0-5"


def test_coverage_gaps_show_the_guideline_as_under_review(nice: NiceKnowledge) -> None:
    advice = nice.advise("bipolar", 14)
    assert not advice.has_guidance
    assert [(g.id, g.verified) for g in advice.guidelines] == [("CG185", False)]


# ---------------------------------------------------------------------------- every question


def test_every_need_age_and_severity_gives_a_sound_answer(nice: NiceKnowledge) -> None:
    for need in NEEDS:
        for age in SAMPLE_AGES:
            for severity in SEVERITIES:
                advice = nice.advise(need, age, severity)
                assert advice.message.strip()
                assert advice.has_guidance is bool(advice.options)
                ranks = [STATUS_RANK[o.status] for o in advice.options]
                assert ranks == sorted(ranks), (need, age, severity)
                if not advice.severity_union:
                    for a, b in zip(advice.options, advice.options[1:], strict=False):
                        if a.status == b.status and a.order is not None and b.order is not None:
                            assert a.order <= b.order
                labels = [(o.modality, o.format, o.label, o.guideline) for o in advice.options]
                assert len(labels) == len(set(labels))
                assert {o.guideline for o in advice.options} <= {g.id for g in advice.guidelines}
                assert advice.verified is all(
                    [o.verified for o in advice.options] + [g.verified for g in advice.guidelines]
                )


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("insomnia", 30, "unsure"), "need"),
        (("depression", 30, "mild"), "severity"),
        (("depression", -1, "unsure"), "age"),
        (("depression", 200, "unsure"), "age"),
    ],
)
def test_advise_rejects_bad_input(nice: NiceKnowledge, args: tuple[Any, ...], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        nice.advise(*args)


def test_advice_is_cached_and_immutable(nice: NiceKnowledge) -> None:
    first = nice.advise("depression", 30, "unsure")
    assert nice.advise("depression", 30, "unsure") is first
    with pytest.raises(AttributeError):
        first.need = "panic"  # type: ignore[misc]
    assert get_nice() is get_nice()


# ---------------------------------------------------------------------------- /therapies pages


def _use(uses: list[Any], need: str, band: str, guideline: str) -> list[Any]:
    return [u for u in uses if (u.need, u.age_band, u.guideline) == (need, band, guideline)]


def test_needs_for_modality(nice: NiceKnowledge) -> None:
    psychodynamic = nice.needs_for_modality("psychodynamic")
    assert "first-line" in {u.status for u in _use(psychodynamic, "depression", "18+", "NG222")}
    dit = nice.needs_for_modality("dit")
    assert dit and {use.age_band for use in dit} == {"18+"}
    assert "eating-disorder" not in {use.need for use in dit}
    assert "social-anxiety" not in {use.need for use in dit}  # STPP for social anxiety is not DIT
    assert {use.via for use in dit} == {"psychodynamic"}
    assert nice.needs_for_modality("dit", include_equivalents=False) == []
    child = nice.needs_for_modality("child-psychotherapy")
    assert ("option", True) in {
        (u.status, u.verified) for u in _use(child, "depression", "5-11", "NG134")
    }
    assert "18+" not in {use.age_band for use in child}
    counselling = nice.needs_for_modality("counselling")
    assert "not-recommended" in {u.status for u in _use(counselling, "psychosis", "18+", "CG178")}
    with pytest.raises(ValueError, match="unknown modality"):
        nice.needs_for_modality("reiki")


def test_needs_for_modality_carries_option_level_verification(nice: NiceKnowledge) -> None:
    emdr = nice.needs_for_modality("emdr")
    assert emdr and not any(u.verified for u in emdr)  # every EMDR line is still under review
    tf = _use(nice.needs_for_modality("trauma-focused-cbt"), "trauma", "18+", "NG116")
    assert [u.verified for u in tf] == [True]
    # NG193 starts at 16: the 12-17 line carries the entry's own lower age
    pain = _use(nice.needs_for_modality("cbt"), "physical-symptoms", "12-17", "NG193")
    assert [u.min_age for u in pain] == [16]


# ---------------------------------------------------------------------------- loading


def _entry(data: dict[str, Any], entry_id: str) -> dict[str, Any]:
    return next(e for e in data["entries"] if e["id"] == entry_id)


BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], tuple[str, ...]]] = [
    (
        "unknown modality",
        lambda d: _entry(d, "cg113-panic")["options"][0].update(modality="hypnotherapy"),
        ("'cg113-panic'", "'hypnotherapy'"),
    ),
    (
        "unknown need",
        lambda d: _entry(d, "ng116-adult")["needs"].append("insomnia"),
        ("'ng116-adult'", "'insomnia'"),
    ),
    (
        "unknown age band",
        lambda d: _entry(d, "cg178-adult").update(age_bands=["65+"]),
        ("'cg178-adult'", "'65+'"),
    ),
    (
        "unknown guideline",
        lambda d: _entry(d, "cg178-adult").update(guideline="NG999"),
        ("'cg178-adult'", "'NG999'"),
    ),
    (
        "unknown status",
        lambda d: _entry(d, "cg159-adult")["options"][1].update(status="preferred"),
        ("'cg159-adult'", "option 2", "'preferred'"),
    ),
    (
        "format the modality lacks",
        lambda d: _entry(d, "ng222-adult-couples")["options"][0].update(format="group"),
        ("'ng222-adult-couples'", "'group'"),
    ),
    (
        "unknown kind",
        lambda d: _entry(d, "cg159-adult")["options"][2].update(kind="brief"),
        ("'cg159-adult'", "'brief'"),
    ),
    (
        "kind of another modality",
        lambda d: _entry(d, "cg159-adult")["options"][2].update(kind="cbt-ed"),
        ("'cg159-adult'", "'cbt-ed'", "'cbt'"),
    ),
    (
        "verified with a review note",
        lambda d: _entry(d, "cg113-panic").update(review_note="not sure"),
        ("'cg113-panic'", "review_note"),
    ),
    (
        "unverified without a review note",
        lambda d: _entry(d, "ng116-adult").pop("review_note"),
        ("'ng116-adult'", "review_note"),
    ),
    (
        "verified on a secondary summary alone",
        lambda d: _entry(d, "cg159-adult")["options"][3].update(verified=True, review=None),
        ("'cg159-adult'", "option 4", "secondary summary"),
    ),
    (
        "verified on recollection alone",
        lambda d: _entry(d, "cg155-cyp")["options"][0].update(verified=True, review=None),
        ("'cg155-cyp'", "option 1", "recollection"),
    ),
    (
        "unverified option without a reason",
        lambda d: _entry(d, "ng116-adult")["options"][1].pop("review"),
        ("'ng116-adult'", "option 2", "'review'"),
    ),
    (
        "option naming an unknown source",
        lambda d: _entry(d, "cg113-panic")["options"][0].update(source="blog"),
        ("'cg113-panic'", "'blog'"),
    ),
    (
        "N evidence off nice.org.uk",
        lambda d: _entry(d, "cg113-panic")["sources"]["ifp"].update(url="https://example.org/x"),
        ("'cg113-panic'", "www.nice.org.uk"),
    ),
    (
        "bad evidence level",
        lambda d: _entry(d, "cg113-panic")["sources"]["ifp"].update(evidence="Q"),
        ("'cg113-panic'", "'Q'"),
    ),
    (
        "no recommendation numbers",
        lambda d: _entry(d, "ng206-me-cfs").update(recommendations=[]),
        ("'ng206-me-cfs'", "recommendations"),
    ),
    (
        "misspelt field",
        lambda d: _entry(d, "ng206-me-cfs").update(severty="any"),
        ("'ng206-me-cfs'", "'severty'"),
    ),
    (
        "duplicate id",
        lambda d: d["entries"].append(copy.deepcopy(_entry(d, "cg178-adult"))),
        ("'cg178-adult'", "duplicate"),
    ),
    (
        "no_guidance where entries exist",
        lambda d: d["no_guidance"].append(
            {"need": "panic", "age_bands": ["18+"], "message": "None."}
        ),
        ("no_guidance (panic, 18+)", "'cg113-panic'"),
    ),
    (
        "guideline outside the need's scope",
        lambda d: _entry(d, "cg113-panic").update(guideline="NG222"),
        ("'cg113-panic'", "nice_scope"),
    ),
    (
        "wrong link",
        lambda d: d["guidelines"]["NG222"].update(url="https://example.org/ng222"),
        ("'NG222'", "url"),
    ),
]


@pytest.mark.parametrize(
    ("mutate", "named"), [(m, n) for _, m, n in BROKEN], ids=[i for i, _, _ in BROKEN]
)
def test_loader_rejects_a_broken_file(
    tmp_path: Path,
    raw: dict[str, Any],
    mutate: Callable[[dict[str, Any]], None],
    named: tuple[str, ...],
) -> None:
    data = copy.deepcopy(raw)
    mutate(data)
    path = tmp_path / "nice.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(NiceDataError) as excinfo:
        NiceKnowledge.load(path)
    for text in named:
        assert text in str(excinfo.value)


def test_loader_accepts_an_unchanged_copy(tmp_path: Path, raw: dict[str, Any]) -> None:
    path = tmp_path / "nice.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    copy_ = NiceKnowledge.load(path)
    assert copy_.entries() == NiceKnowledge.load().entries()


def test_loader_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NiceDataError, match="cannot read"):
        NiceKnowledge.load(tmp_path / "missing.yaml")


def test_a_therapy_service_is_credited_with_the_therapy_only_option() -> None:
    """CBT with an antidepressant ranks first for more severe depression, but a service
    delivers only the therapy half: it is credited with individual CBT where that fits."""
    advice = get_nice().advise("depression", 40, "more-severe")
    combined = [o for o in advice.options if o.with_medication]
    assert combined and combined[0].modality == "cbt"
    credited = advice.status_for(["cbt"], formats=["individual"])
    assert credited is not None
    assert not credited.with_medication
    assert credited.modality == "cbt"
