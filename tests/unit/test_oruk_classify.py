"""The imported-service classifier: explainable phrase rules, measured on real records."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from signpost.oruk.classify import classify_service

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "oruk" / "labelled_sample.json"


@pytest.mark.parametrize(
    ("name", "description", "kind", "words"),
    [
        ("Talking therapies", "CBT and counselling for anxiety.", "therapy", ("talking therap",)),
        ("Physiotherapy clinic", "Physiotherapy for back pain.", "other", ()),
        ("Debt help", "Free debt counselling and budgeting advice.", "other", ()),
        ("Speech therapy", "Speech and language therapy for children.", "other", ()),
        ("Hearing Voices group", "A peer support group.", "mental-health", ("peer support",)),
        ("Leisure centre", "Swimming, gym and wellbeing classes.", "other", ()),
        ("Church", "Sunday services and spiritual counselling.", "other", ()),
    ],
)
def test_classes_and_their_words(name: str, description: str, kind: str, words: tuple) -> None:
    result = classify_service(name, description)
    assert result.kind == kind
    assert all(any(w in found for found in result.evidence) for w in words)


def test_suggestions_carry_their_supporting_words() -> None:
    result = classify_service(
        "Trauma service", "EMDR and trauma-focused CBT for PTSD after a road accident."
    )
    assert result.kind == "therapy"
    assert result.modalities["emdr"] == ("emdr",)
    assert result.modalities["cbt"] == ("cbt",)
    assert "ptsd" in result.needs["trauma"]


def test_other_services_get_no_suggestions() -> None:
    result = classify_service("Food bank", "Food parcels; we also help people feeling low.")
    assert result.kind == "other" and result.modalities == {} and result.needs == {}


def _confusion() -> Counter[tuple[str, str]]:
    records = json.loads(SAMPLE.read_text(encoding="utf-8"))["records"]
    return Counter(
        (r["label"], classify_service(r["name"], r["description"]).kind) for r in records
    )


def _precision_recall(
    confusion: Counter[tuple[str, str]], positive: set[str]
) -> tuple[float, float]:
    tp = sum(n for (label, got), n in confusion.items() if label in positive and got in positive)
    fp = sum(
        n for (label, got), n in confusion.items() if label not in positive and got in positive
    )
    fn = sum(
        n for (label, got), n in confusion.items() if label in positive and got not in positive
    )
    return tp / (tp + fp), tp / (tp + fn)


def test_precision_and_recall_on_the_labelled_sample_of_published_records() -> None:
    # 79 published records (Trafford Council's mental-health directory and Ohana's San Mateo
    # sample), labelled by hand. Every import waits in the curation queue whatever its
    # class, so recall of therapy matters most: a therapy listing must be near the top.
    confusion = _confusion()
    assert sum(confusion.values()) == 79
    therapy_precision, therapy_recall = _precision_recall(confusion, {"therapy"})
    relevant_precision, relevant_recall = _precision_recall(confusion, {"therapy", "mental-health"})
    assert therapy_recall >= 0.85 and therapy_precision >= 0.6
    assert relevant_recall >= 0.85 and relevant_precision >= 0.7
