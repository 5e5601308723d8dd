"""seed_data/vocabularies.yaml and signpost/vocab.py: the slugs of PRODUCT.md section 2."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from signpost import slugs
from signpost.vocab import (
    DEFAULT_PATH,
    Vocabularies,
    VocabularyError,
    get_vocabularies,
    load_vocabularies,
)

# PRODUCT.md section 2, copied here on purpose: the tests hold the brief, the YAML must match it.
MODALITIES = (
    "cbt", "behavioural-activation", "guided-self-help", "counselling", "psychodynamic", "dit",
    "ipt", "child-psychotherapy", "family-therapy", "couples-therapy", "emdr",
    "trauma-focused-cbt", "dbt", "mbt", "cat", "mindfulness", "arts-therapies",
    "group-analytic", "parent-infant", "parenting-programme", "problem-solving",
    "applied-relaxation", "act",
)  # fmt: skip
RELATIONAL = {
    "counselling", "psychodynamic", "dit", "ipt", "child-psychotherapy", "family-therapy",
    "couples-therapy", "mbt", "cat", "arts-therapies", "group-analytic", "parent-infant",
}  # fmt: skip
NEEDS = (
    "depression", "anxiety", "panic", "social-anxiety", "trauma", "ocd", "eating-disorder",
    "personality", "self-harm", "perinatal", "psychosis", "bipolar", "abuse-neglect",
    "relationships", "bereavement", "physical-symptoms", "child-emotional", "attachment",
    "not-sure",
)  # fmt: skip
SMALL = {
    "severities": ("less-severe", "more-severe", "unsure"),
    "sectors": ("nhs", "charity", "low-cost"),
    "delivery": ("in-person", "video", "phone", "online"),
    "formats": ("individual", "group", "couple", "family"),
    "referral_routes": ("self-referral", "gp-referral", "professional-referral", "school-referral"),
    "capacity": ("accepting", "waitlist", "closed"),
    "cost_types": ("free", "donation", "sliding-scale", "fixed"),
}


@pytest.fixture(scope="module")
def vocab() -> Vocabularies:
    return load_vocabularies()


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


# ---------------------------------------------------------------------------- the slugs


def test_default_path_is_the_repository_seed_data() -> None:
    expected = Path(__file__).resolve().parents[2] / "seed_data" / "vocabularies.yaml"
    assert expected == DEFAULT_PATH
    assert DEFAULT_PATH.is_file()


def test_modalities_are_exactly_the_brief(vocab: Vocabularies) -> None:
    assert tuple(vocab.modalities) == MODALITIES


def test_needs_are_exactly_the_brief(vocab: Vocabularies) -> None:
    assert tuple(vocab.needs) == NEEDS


@pytest.mark.parametrize(("attribute", "expected"), sorted(SMALL.items()))
def test_small_vocabularies_are_exactly_the_brief(
    vocab: Vocabularies, attribute: str, expected: tuple[str, ...]
) -> None:
    assert getattr(vocab, attribute) == expected
    assert tuple(vocab.terms[attribute]) == expected


@pytest.mark.parametrize(
    ("attribute", "constant"),
    [
        ("sectors", "SECTORS"),
        ("delivery", "DELIVERY"),
        ("formats", "FORMATS"),
        ("referral_routes", "REFERRAL_ROUTES"),
        ("capacity", "CAPACITY"),
        ("cost_types", "COST_TYPES"),
        ("severities", "SEVERITIES"),
    ],
)
def test_database_check_constraints_match_the_yaml(
    vocab: Vocabularies, attribute: str, constant: str
) -> None:
    assert getattr(slugs, constant) == getattr(vocab, attribute)


@pytest.mark.parametrize("slug", MODALITIES)
def test_relational_flag_follows_the_brief(vocab: Vocabularies, slug: str) -> None:
    assert vocab.modalities[slug].relational is (slug in RELATIONAL)


@pytest.mark.parametrize("slug", MODALITIES)
def test_modality_text_is_complete_and_plain(vocab: Vocabularies, slug: str) -> None:
    modality = vocab.modalities[slug]
    assert len(_sentences(modality.summary)) == 1
    sentences = _sentences(modality.what_it_is_like)
    assert 2 <= len(sentences) <= 4
    for sentence in sentences:  # short sentences for a reading age of about 9 to 11
        assert len(sentence.split()) <= 25, sentence
    assert re.search(r"session|week|month|year", modality.typical_sessions)
    assert set(modality.formats) <= set(vocab.formats)
    assert modality.name and modality.name[0].isupper()


@pytest.mark.parametrize("slug", NEEDS)
def test_need_names_are_plain_english(vocab: Vocabularies, slug: str) -> None:
    need = vocab.needs[slug]
    assert need.name != slug
    assert need.description.endswith(".")
    assert all(re.fullmatch(r"(?:NG|CG)\d+", gid) for gid in need.nice_scope)


@pytest.mark.parametrize(
    ("vocabulary", "slug", "name"),
    [
        ("modalities", "ipt", "Interpersonal therapy (IPT)"),
        ("needs", "depression", "Feeling low or depressed"),
    ],
)
def test_names_read_like_the_brief(
    vocab: Vocabularies, vocabulary: str, slug: str, name: str
) -> None:
    assert vocab.name(vocabulary, slug) == name


def test_name_lookup_covers_every_vocabulary(vocab: Vocabularies) -> None:
    assert vocab.name("modalities", "cbt").startswith("Cognitive behavioural therapy")
    assert vocab.name("needs", "bereavement") == "Grief and loss"
    assert vocab.name("sectors", "nhs") == "NHS"
    assert vocab.name("age_bands", "18+").startswith("Adults")
    with pytest.raises(KeyError):
        vocab.name("sectors", "private")


# ---------------------------------------------------------------------------- age bands


@pytest.mark.parametrize(
    ("age", "bands"),
    [
        (0, ("0-5",)),
        (4, ("0-5",)),
        (5, ("0-5", "5-11")),  # NICE's bands overlap at 5: both apply
        (6, ("5-11",)),
        (11, ("5-11",)),
        (12, ("12-17",)),
        (17, ("12-17",)),
        (18, ("18+",)),
        (64, ("18+",)),
        (130, ("18+",)),
    ],
)
def test_age_bands_from_age(vocab: Vocabularies, age: int, bands: tuple[str, ...]) -> None:
    assert vocab.age_bands(age) == bands


@pytest.mark.parametrize("age", [-1, 131, 10**9, True, 5.5, "5", None])
def test_age_bands_reject_impossible_ages(vocab: Vocabularies, age: Any) -> None:
    with pytest.raises(ValueError, match="age"):
        vocab.age_bands(age)


def test_every_age_has_a_band(vocab: Vocabularies) -> None:
    assert all(vocab.age_bands(age) for age in range(131))
    assert vocab.band_slugs == ("0-5", "5-11", "12-17", "18+")


# ---------------------------------------------------------------------------- equivalences


@pytest.mark.parametrize(
    ("service", "option", "age", "kind", "expected"),
    [
        ("psychodynamic", "psychodynamic", 40, None, True),
        ("dit", "psychodynamic", 40, "*", True),
        ("dit", "psychodynamic", None, "*", True),
        ("dit", "psychodynamic", 40, "stpp", True),
        ("dit", "psychodynamic", 40, None, False),  # a psychodynamic option that is not STPP
        ("psychodynamic", "dit", 40, "*", False),  # the equivalence is one way
        ("child-psychotherapy", "psychodynamic", 10, "*", True),
        ("child-psychotherapy", "psychodynamic", 17, None, True),
        ("child-psychotherapy", "psychodynamic", 18, "*", False),
        ("child-psychotherapy", "psychodynamic", 40, "*", False),
        ("child-psychotherapy", "psychodynamic", None, "*", False),  # age unknown: not shown
        ("cbt", "trauma-focused-cbt", 30, "*", False),
        ("counselling", "cbt", 30, "*", False),
        ("no-such-modality", "cbt", 30, "*", False),
    ],
)
def test_counts_as(
    vocab: Vocabularies, service: str, option: str, age: int | None, kind: Any, expected: bool
) -> None:
    assert vocab.counts_as(service, option, age, kind) is expected


# ---------------------------------------------------------------------------- loading


def test_get_vocabularies_is_cached() -> None:
    assert get_vocabularies() is get_vocabularies()


def _raw() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def _modality(raw: dict[str, Any], slug: str) -> dict[str, Any]:
    return next(m for m in raw["modalities"] if m["slug"] == slug)


BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("duplicate modality", lambda r: r["modalities"].append(dict(r["modalities"][0])), "'cbt'"),
    ("duplicate need", lambda r: r["needs"].append(dict(r["needs"][-1])), "'not-sure'"),
    ("duplicate sector", lambda r: r["sectors"].append({"slug": "nhs", "name": "NHS"}), "'nhs'"),
    (
        "unknown format",
        lambda r: _modality(r, "emdr")["formats"].append("online-course"),
        "'online-course'",
    ),
    (
        "counts_as unknown modality",
        lambda r: _modality(r, "dit").update(counts_as=[{"modality": "psychoanalysis"}]),
        "'psychoanalysis'",
    ),
    ("bad slug", lambda r: r["needs"][0].update(slug="Low Mood"), "'Low Mood'"),
    ("relational not a bool", lambda r: _modality(r, "cat").update(relational="yes"), "(cat)"),
    ("missing summary", lambda r: _modality(r, "mbt").pop("summary"), "(mbt)"),
    ("age band gap", lambda r: r["age_bands"][2].update(min_age=13), "'12-17'"),
    ("no open-ended band", lambda r: r["age_bands"][-1].update(max_age=99), "last band"),
    ("bad intensity", lambda r: _modality(r, "cbt").update(intensity="medium"), "(cbt)"),
    (
        "eligibility implied by an unknown need",
        lambda r: r["eligibility"][0].update(implied_by_needs=["sadness"]),
        "'sadness'",
    ),
    (
        "eligibility detail without a place in the name",
        lambda r: r["eligibility"][0].update(detail="a named ward"),
        "(perinatal)",
    ),
    (
        "duplicate eligibility",
        lambda r: r["eligibility"].append(dict(r["eligibility"][0])),
        "'perinatal'",
    ),
]

PROTOCOLS_BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("unknown modality", lambda r: r["protocols"][0].update(modality="astrology"), "'astrology'"),
    ("counts_as unknown", lambda r: r["protocols"][2].update(counts_as=["stp"]), "'stp'"),
    ("no intensity", lambda r: r["protocols"][0].pop("intensity"), "(stpp)"),
    ("duplicate", lambda r: r["protocols"].append(dict(r["protocols"][0])), "'stpp'"),
]


@pytest.mark.parametrize(
    ("mutate", "named"),
    [(m, n) for _, m, n in PROTOCOLS_BROKEN],
    ids=[i for i, _, _ in PROTOCOLS_BROKEN],
)
def test_protocols_loader_rejects_a_broken_file(
    tmp_path: Path, mutate: Callable[[dict[str, Any]], None], named: str
) -> None:
    from signpost.vocab import PROTOCOLS_PATH

    raw = yaml.safe_load(PROTOCOLS_PATH.read_text(encoding="utf-8"))
    mutate(raw)
    path = tmp_path / "protocols.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with pytest.raises(VocabularyError) as excinfo:
        load_vocabularies(protocols_path=path)
    assert named in str(excinfo.value)


def test_protocols_close_over_counts_as_and_modalities_that_are_protocols(
    vocab: Vocabularies,
) -> None:
    assert vocab.effective_protocols([], ["dit"]) == {"dit", "stpp"}
    assert vocab.effective_protocols([], ["psychodynamic", "counselling", "cbt"]) == set()
    assert vocab.effective_protocols(["sscm"], ["counselling"]) == {"sscm"}
    assert "emdr" in vocab.effective_protocols([], ["emdr"])
    assert vocab.low_intensity_modalities(["guided-self-help", "cbt"], []) == {"guided-self-help"}
    assert vocab.low_intensity_modalities(["cbt"], ["cbt", "mindfulness"]) == {"cbt"}
    for protocol in vocab.protocols.values():
        assert protocol.modality in vocab.modalities


def test_every_eligibility_reads_after_only_for(vocab: Vocabularies) -> None:
    for item in vocab.eligibility.values():
        assert "{detail}" not in item.label()
        assert item.label("Example College").count("Example College") == 1
        assert item.question[0].isupper()


@pytest.mark.parametrize(
    ("mutate", "named"), [(m, n) for _, m, n in BROKEN], ids=[i for i, _, _ in BROKEN]
)
def test_loader_rejects_a_broken_file(
    tmp_path: Path, mutate: Callable[[dict[str, Any]], None], named: str
) -> None:
    raw = copy.deepcopy(_raw())
    mutate(raw)
    path = tmp_path / "vocabularies.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with pytest.raises(VocabularyError) as excinfo:
        load_vocabularies(path)
    assert named in str(excinfo.value)


def test_loader_accepts_an_unchanged_copy(tmp_path: Path) -> None:
    path = tmp_path / "vocabularies.yaml"
    path.write_text(yaml.safe_dump(_raw(), sort_keys=False), encoding="utf-8")
    assert load_vocabularies(path) == load_vocabularies()


def test_loader_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(VocabularyError, match="cannot read"):
        load_vocabularies(tmp_path / "missing.yaml")
