"""NICE choice knowledge: which talking therapies NICE names for a need, age and severity.

Plain Python (no Flask, no database). The knowledge is data, in seed_data/nice.yaml; this
module loads it, checks every slug against the vocabularies, and answers questions:

    >>> nice = get_nice()
    >>> advice = nice.advise("depression", age=34, severity="less-severe")
    >>> advice.options[0].label
    'Guided self-help'
    >>> advice.status_for(["dit"], age=34).label   # DIT counts as psychodynamic (STPP)
    'Short-term psychodynamic psychotherapy (STPP)'

Rules it keeps (PRODUCT.md section 4):

- NICE gives a choice. ``NiceAdvice.options`` lists every option, sorted by status group, then
  NICE's order, then label; the order is a guide to discuss, not a single right answer.
- When the person is ``unsure`` of severity and NICE splits by severity, the advice is the
  union of both severities' options (``severity_union``), with NICE's order dropped because
  orders from two different lists cannot be compared. Nothing is guessed.
- ``not-recommended`` options are listed so they can be flagged; ``NiceOption.recommended``
  is False for them and the matcher must never present them as recommended.
- ``symptom-support`` (CBT for ME/CFS) is never a treatment: ``NiceOption.is_treatment`` is
  False for it.
- Verification belongs to each option: an option is ``verified`` only when its source is NICE's
  own page [N], an exact copy of NICE text [C] or a near-verbatim reproduction [S*]; never on a
  secondary summary [S] or memory [R] alone. A merged option is verified only if every source
  entry's option is. Unverified options carry a reason and show "our summary is still being
  checked" once per panel.
- A NICE option with a ``kind`` names a specific protocol from seed_data/protocols.yaml; only a
  service that delivers that protocol should earn NICE credit for it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from signpost.vocab import (
    MAX_AGE,
    SEED_DATA,
    Protocol,
    Vocabularies,
    check_age,
    get_vocabularies,
)

DEFAULT_PATH = SEED_DATA / "nice.yaml"

#: Evidence levels for a source, strongest first: NICE's own page, an exact copy of NICE text, a
#: near-verbatim reproduction, a secondary summary, the reviewer's recollection.
EVIDENCE_LEVELS = ("N", "C", "S*", "S", "R")
#: Levels strong enough to mark an option verified on their own.
VERIFYING_EVIDENCE = frozenset({"N", "C", "S*"})
#: Said once per panel when any option shown is not yet confirmed.
UNDER_REVIEW_NOTICE = "Our summary of this NICE advice is still being checked"

#: Status groups, best first. Options sort by this order.
STATUSES = (
    "first-line",
    "option",
    "alternative",
    "subgroup",
    "symptom-support",
    "not-recommended",
)
STATUS_RANK = {status: rank for rank, status in enumerate(STATUSES)}
#: Severities an entry in nice.yaml may carry ("any": NICE does not split by severity there).
ENTRY_SEVERITIES = ("less-severe", "more-severe", "any")
SPLIT_SEVERITIES = ("less-severe", "more-severe")
# What a person may say instead of an exact age (the matcher's AGE_BANDS use the same slugs).
SIDES_OF_18 = ("under-18", "18-plus")

_NO_ORDER = 10**6
_GUIDELINE_ID = re.compile(r"^(?:NG|CG)\d+$")
_ENTRY_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

_TOP_KEYS = {"guidelines", "entries", "no_guidance", "coverage_gaps", "not_yet_added"}
_GUIDELINE_KEYS = {"title", "year", "url", "currency_note"}
_ENTRY_KEYS = {
    "id",
    "needs",
    "age_bands",
    "min_age",
    "max_age",
    "severity",
    "guideline",
    "recommendations",
    "applies_to",
    "summary",
    "other_treatments",
    "not_offered",
    "sources",
    "review_note",
    "options",
}
_OPTION_KEYS = {
    "modality", "kind", "format", "label", "status", "order", "note", "with_medication",
    "verified", "source", "review",
}  # fmt: skip
_SOURCE_KEYS = {"url", "read", "evidence", "verified_on"}
_NOT_OFFERED_KEYS = {"text", "verified", "source", "review"}
_NOT_YET_ADDED_KEYS = {"need", "age_bands", "guideline", "title", "message"}
_NO_GUIDANCE_KEYS = {"need", "age_bands", "message"}
_GAP_KEYS = {"need", "age_bands", "guideline", "message"}

FIT_AND_ACCESS = "so we show services by how well they fit and how easy they are to reach"


class NiceDataError(ValueError):
    """nice.yaml is broken: an unknown slug, a missing field or a contradiction."""


@dataclass(frozen=True, slots=True)
class Source:
    """What an option was checked against: a page, what was read on it, and how strong it is."""

    key: str
    url: str | None  # None only for the reviewer's recollection [R]
    read: str
    evidence: str  # one of EVIDENCE_LEVELS
    verified_on: dt.date


@dataclass(frozen=True, slots=True)
class NotOffered:
    """Something NICE says not to offer for the condition (not a talking therapy we match)."""

    text: str
    verified: bool
    sources: tuple[Source, ...]
    review: str | None = None


@dataclass(frozen=True, slots=True)
class NotYetAdded:
    """A NICE guideline relevant to a need that we have not yet read and added: shown honestly."""

    need: str
    age_bands: tuple[str, ...]
    guideline: str
    title: str
    message: str

    @property
    def url(self) -> str:
        return f"https://www.nice.org.uk/guidance/{self.guideline.lower()}"


@dataclass(frozen=True, slots=True)
class Guideline:
    id: str
    title: str
    year: int
    url: str
    verified: bool = True  # in an advice: every entry used from this guideline is verified
    review_note: str | None = None  # what is not confirmed, when not verified
    verified_on: dt.date | None = None  # the oldest check of the entries used
    currency_note: str | None = None  # for old guidelines: check for a newer version


@dataclass(frozen=True, slots=True)
class NiceOption:
    modality: str  # one of our modality slugs
    label: str  # NICE's specific name, in plain words ("Group CBT")
    status: str  # one of STATUSES
    order: int | None  # NICE's order where NICE gives one
    format: str | None  # individual | group | couple | family, when NICE names one
    note: str
    guideline: str  # "NG222"
    recommendations: tuple[str, ...]
    verified: bool
    severities: tuple[str, ...] = ("any",)  # which severities' lists it came from
    applies_to: str | None = None  # the part of the need it is about ("Bulimia")
    entry_ids: tuple[str, ...] = ()
    kind: str | None = None  # the specific protocol NICE names (protocols.yaml slug)
    # Given together with medication: a therapy service delivers only half of it, so a
    # service is credited with the therapy-only option where one fits.
    with_medication: bool = False
    sources: tuple[Source, ...] = ()  # what it was checked against
    review: str | None = None  # why it is not yet verified

    @property
    def evidence(self) -> str | None:
        """The weakest evidence behind it (a merged option is only as strong as each part)."""
        levels = [s.evidence for s in self.sources]
        return max(levels, key=EVIDENCE_LEVELS.index) if levels else None

    @property
    def verified_on(self) -> dt.date | None:
        dates = [s.verified_on for s in self.sources]
        return min(dates) if dates else None

    @property
    def recommended(self) -> bool:
        """False for options NICE says should not usually be offered."""
        return self.status != "not-recommended"

    @property
    def is_treatment(self) -> bool:
        """False where NICE names it only to manage symptoms, or not to offer it."""
        return self.status not in ("symptom-support", "not-recommended")

    @property
    def under_review(self) -> bool:
        return not self.verified

    @property
    def sort_key(self) -> tuple[int, int, str, str, str]:
        return (
            STATUS_RANK[self.status],
            _NO_ORDER if self.order is None else self.order,
            self.label.casefold(),
            self.modality,
            self.format or "",
        )


@dataclass(frozen=True, slots=True)
class NiceEntry:
    """One entry of nice.yaml: what one guideline says for some needs, age bands and severity."""

    id: str
    needs: tuple[str, ...]
    age_bands: tuple[str, ...]
    severity: str  # less-severe | more-severe | any
    guideline: str
    recommendations: tuple[str, ...]
    summary: str
    options: tuple[NiceOption, ...]
    sources: tuple[Source, ...]
    review_note: str | None = None
    applies_to: str | None = None
    min_age: int | None = None
    max_age: int | None = None
    other_treatments: tuple[str, ...] = ()
    not_offered: tuple[NotOffered, ...] = ()

    @property
    def verified(self) -> bool:
        """True only when every option (and every do-not-offer item) is verified."""
        return all(o.verified for o in self.options) and all(n.verified for n in self.not_offered)

    @property
    def verified_on(self) -> dt.date:
        """The oldest check behind this entry."""
        return min(s.verified_on for s in self.sources)

    def covers_age(self, age: int | None) -> bool:
        if age is None:
            return True
        if self.min_age is not None and age < self.min_age:
            return False
        return self.max_age is None or age <= self.max_age


@dataclass(frozen=True, slots=True)
class NoGuidance:
    """A need (and age bands) with no NICE options to show, and what to tell the person.

    ``guideline`` is set for coverage gaps: NICE covers it but we have not added it yet.
    """

    need: str
    age_bands: tuple[str, ...]
    message: str
    guideline: str | None = None


class ModalityUse(NamedTuple):
    """Where NICE names a modality: for the /therapies pages."""

    need: str
    age_band: str
    status: str
    guideline: str
    label: str = ""  # NICE's name for the option ("Short-term psychodynamic psychotherapy (STPP)")
    verified: bool = True  # every option counted here is verified
    via: str | None = None  # the NICE modality this one counts as (DIT: "psychodynamic")
    applies_to: str | None = None
    min_age: int | None = None  # narrower than the band, where the entry says so
    max_age: int | None = None
    other_treatments: tuple[str, ...] = ()  # non-therapy choices NICE lists alongside
    review: str | None = None  # why it is not yet confirmed
    severity: str = "any"  # the entry's severity: less-severe | more-severe | any
    kind: str | None = None  # the protocol NICE names, where it names one


@dataclass(frozen=True)
class NiceAdvice:
    need: str
    age_band: str | None  # the band the advice is for; None when age is unknown
    severity: str  # as asked, or "any" where NICE does not split by severity
    has_guidance: bool
    options: tuple[NiceOption, ...]  # every option, sorted: status group, NICE order, label
    guidelines: tuple[Guideline, ...]
    message: str  # plain English: what NICE says, or that there is no guidance
    age: int | None = None
    age_bands: tuple[str, ...] = ()  # every band used (5-year-olds are in two)
    age_assumed: bool = False  # no age given: adult advice shown
    severity_union: bool = False  # "unsure": options of both severities
    summaries: tuple[str, ...] = ()  # what each guideline entry says, in our words
    other_treatments: tuple[str, ...] = ()  # non-therapy items NICE also lists
    not_offered: tuple[NotOffered, ...] = ()  # what NICE says not to offer
    not_yet_added: tuple[NotYetAdded, ...] = ()  # relevant guidance we have not yet added
    vocab: Vocabularies | None = field(default=None, repr=False, compare=False)

    @property
    def verified(self) -> bool:
        """True when every option and guideline shown has been checked against NICE wording."""
        return (
            all(o.verified for o in self.options)
            and all(g.verified for g in self.guidelines)
            and all(n.verified for n in self.not_offered)
        )

    @property
    def review_notice(self) -> str | None:
        """The one line a panel shows when any of it is not yet confirmed."""
        return None if self.verified else UNDER_REVIEW_NOTICE

    @property
    def review_notes(self) -> tuple[str, ...]:
        """What is not yet confirmed, guideline by guideline."""
        return tuple(f"{g.id}: {g.review_note}" for g in self.guidelines if g.review_note)

    @property
    def currency_notes(self) -> tuple[str, ...]:
        """Warnings that a guideline is old and may have been updated."""
        return tuple(f"{g.id}: {g.currency_note}" for g in self.guidelines if g.currency_note)

    @property
    def order(self) -> str:
        """Whether NICE's order applies to the main choices: "all", "some" or "none"."""
        main = [o for o in self.options if o.status in ("first-line", "option", "alternative")]
        ordered = sum(o.order is not None for o in main)
        if main and ordered == len(main):
            return "all"
        return "some" if ordered else "none"

    @property
    def recommended_options(self) -> tuple[NiceOption, ...]:
        return tuple(o for o in self.options if o.recommended)

    @property
    def modalities(self) -> tuple[str, ...]:
        """Modality slugs of the recommended options, best first, without repeats."""
        return tuple(dict.fromkeys(o.modality for o in self.options if o.recommended))

    def status_for(
        self,
        service_modalities: Iterable[str],
        age: int | None = None,
        *,
        formats: Iterable[str] | None = None,
    ) -> NiceOption | None:
        """The best option a service offering ``service_modalities`` satisfies, or None.

        Applies the ``counts_as`` equivalences (DIT counts as psychodynamic; child and
        adolescent psychotherapy counts as psychodynamic for under-18s). ``age`` defaults to
        the age the advice was made for. With ``formats``, options NICE ties to another format
        (for example group CBT for a service offering only one-to-one) are skipped.
        A ``not-recommended`` option is returned only when the service satisfies nothing else,
        so the caller can flag it; check ``option.recommended``.
        """
        offered = tuple(dict.fromkeys(service_modalities))
        if not offered or not self.options:
            return None
        when = self.age if age is None else age
        vocab = self.vocab or get_vocabularies()
        allowed = None if formats is None else set(formats)
        with_medication = None
        fallback = None
        for option in self.options:  # already sorted best first
            if allowed is not None and option.format is not None and option.format not in allowed:
                continue
            if any(vocab.counts_as(m, option.modality, when, option.kind) for m in offered):
                if not option.recommended:
                    fallback = fallback or option
                elif option.with_medication:
                    with_medication = with_medication or option
                else:
                    return option
        return with_medication or fallback


def satisfies(
    service_modality: str,
    option_modality: str | NiceOption,
    age: int | None,
    vocab: Vocabularies | None = None,
) -> bool:
    """Whether a service offering ``service_modality`` satisfies a NICE option for a person of
    ``age``: the same slug, or a ``counts_as`` equivalence from vocabularies.yaml.

    Pass the :class:`NiceOption` itself to take its ``kind`` into account (DIT satisfies
    psychodynamic options only where NICE names short-term psychodynamic psychotherapy); a bare
    slug answers the slug-level question ("does DIT count as psychodynamic?": yes). Age-limited
    equivalences (child psychotherapy, under-18s only) do not apply when the age is unknown.
    """
    vocab = vocab or get_vocabularies()
    if isinstance(option_modality, NiceOption):
        return vocab.counts_as(
            service_modality, option_modality.modality, age, option_modality.kind
        )
    return vocab.counts_as(service_modality, option_modality, age)


class NiceKnowledge:
    """The checked contents of nice.yaml, with the questions the product asks of it."""

    def __init__(
        self,
        *,
        vocab: Vocabularies,
        guidelines: Mapping[str, Guideline],
        entries: Iterable[NiceEntry],
        no_guidance: Iterable[NoGuidance] = (),
        coverage_gaps: Iterable[NoGuidance] = (),
        not_yet_added: Iterable[NotYetAdded] = (),
    ) -> None:
        self.vocab = vocab
        self.guidelines: dict[str, Guideline] = dict(guidelines)
        self._entries = tuple(entries)
        self.no_guidance = tuple(no_guidance)
        self.coverage_gaps = tuple(coverage_gaps)
        self.not_yet_added = tuple(not_yet_added)
        self._index: dict[tuple[str, str], list[NiceEntry]] = {}
        for entry in self._entries:
            for need in entry.needs:
                for band in entry.age_bands:
                    self._index.setdefault((need, band), []).append(entry)
        self._messages: dict[tuple[str, str], NoGuidance] = {}
        for item in (*self.no_guidance, *self.coverage_gaps):
            for band in item.age_bands:
                self._messages[(item.need, band)] = item
        self._adult_band = next(b.slug for b in vocab.bands if b.max_age is None)
        self._memo: dict[tuple[str, int | None, str], NiceAdvice] = {}

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, path: Path | None = None, vocab: Vocabularies | None = None) -> NiceKnowledge:
        """Load and check nice.yaml (default: the repository's seed_data copy).

        Every slug is checked against the vocabularies; anything wrong raises NiceDataError
        with a message naming the entry.
        """
        path = DEFAULT_PATH if path is None else Path(path)
        vocab = vocab or get_vocabularies()
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise NiceDataError(f"{path}: cannot read NICE knowledge: {exc}") from exc
        return _Parser(vocab, path.name).build(raw, cls)

    # ------------------------------------------------------------------ questions

    def entries(
        self, need: str | None = None, age_band: str | None = None
    ) -> tuple[NiceEntry, ...]:
        """Every entry (for the admin review page), optionally for one need and/or age band."""
        return tuple(
            e
            for e in self._entries
            if (need is None or need in e.needs) and (age_band is None or age_band in e.age_bands)
        )

    def satisfies(
        self, service_modality: str, option_modality: str | NiceOption, age: int | None
    ) -> bool:
        """As the module-level :func:`satisfies`, with these vocabularies."""
        return satisfies(service_modality, option_modality, age, self.vocab)

    def coverage(self) -> dict[tuple[str, str], str]:
        """For every need and age band: "entries", "no-guidance", "gap" or "missing"."""
        gaps = {(g.need, b) for g in self.coverage_gaps for b in g.age_bands}
        none = {(g.need, b) for g in self.no_guidance for b in g.age_bands}
        out = {}
        for need in self.vocab.needs:
            for band in self.vocab.band_slugs:
                key = (need, band)
                if self._index.get(key):
                    out[key] = "entries"
                elif key in gaps:
                    out[key] = "gap"
                elif key in none:
                    out[key] = "no-guidance"
                else:
                    out[key] = "missing"
        return out

    def needs_for_modality(
        self, modality: str, *, include_equivalents: bool = True
    ) -> list[ModalityUse]:
        """Where NICE names this modality: (need, age band, best status, guideline), sorted by
        need and band as in the vocabularies. With ``include_equivalents``, a modality that
        counts as another (DIT as psychodynamic; child psychotherapy as psychodynamic for
        children and young people) also gets the other's entries for the bands it covers."""
        if modality not in self.vocab.modalities:
            raise ValueError(f"unknown modality {modality!r}")
        Key = tuple[str, str, str, str | None, str]
        best: dict[Key, tuple[list[NiceEntry], list[NiceOption]]] = {}
        for entry in self._entries:
            for band_slug in entry.age_bands:
                band = self.vocab.band(band_slug)
                youngest = max(band.min_age, entry.min_age or 0)
                oldest = min(
                    MAX_AGE if band.max_age is None else band.max_age,
                    MAX_AGE if entry.max_age is None else entry.max_age,
                )
                for option in entry.options:
                    if option.modality != modality and not (
                        include_equivalents
                        and self.vocab.counts_as(modality, option.modality, youngest, option.kind)
                        and self.vocab.counts_as(modality, option.modality, oldest, option.kind)
                    ):
                        continue
                    for need in entry.needs:
                        key = (need, band_slug, entry.guideline, entry.applies_to, entry.severity)
                        used, found = best.setdefault(key, ([], []))
                        found.append(option)
                        if entry not in used:
                            used.append(entry)
        need_rank = {slug: i for i, slug in enumerate(self.vocab.needs)}
        band_rank = {slug: i for i, slug in enumerate(self.vocab.band_slugs)}
        uses = []
        for (need, band, gid, applies_to, severity), (used, found) in best.items():
            found.sort(key=lambda o: o.sort_key)
            top = [o for o in found if o.status == found[0].status]
            entry = used[0]
            uses.append(
                ModalityUse(
                    need,
                    band,
                    found[0].status,
                    gid,
                    label=found[0].label,
                    # Shown as confirmed only if every option behind the line is.
                    verified=all(o.verified for o in top),
                    via=None if found[0].modality == modality else found[0].modality,
                    applies_to=applies_to,
                    min_age=entry.min_age,
                    max_age=entry.max_age,
                    other_treatments=tuple(
                        dict.fromkeys(t for e in used for t in e.other_treatments)
                    ),
                    review=" ".join(dict.fromkeys(o.review for o in top if o.review)) or None,
                    severity=severity,
                    kind=found[0].kind,
                )
            )
        severity_rank = {s: i for i, s in enumerate(ENTRY_SEVERITIES)}
        uses.sort(
            key=lambda u: (
                need_rank[u.need],
                band_rank[u.age_band],
                severity_rank[u.severity],
                STATUS_RANK[u.status],
            )
        )
        return uses

    def advise(
        self,
        need: str,
        age: int | None = None,
        severity: str = "unsure",
        age_band: str | None = None,
    ) -> NiceAdvice:
        """What NICE says for a need, an age in years (None: unknown) and a severity.

        Age bands come from the age (5 is in two bands; both are used). With no age but an
        ``age_band`` ("under-18" or "18-plus"), the advice for the bands on that side of 18.
        With neither, the adult advice is shown (``age_assumed``) when there is one; otherwise
        every band's advice. Raises ValueError for an unknown need, severity or age band, or
        an impossible age.
        """
        if need not in self.vocab.needs:
            raise ValueError(f"unknown need {need!r}")
        if severity not in self.vocab.severities:
            raise ValueError(f"unknown severity {severity!r}")
        if age is not None:
            check_age(age)
            age_band = None
        elif age_band is not None and age_band not in SIDES_OF_18:
            raise ValueError(f"unknown age band {age_band!r}")
        key = (need, age, severity, age_band)
        advice = self._memo.get(key)
        if advice is None:
            advice = self._advise(need, age, severity, age_band)
            if len(self._memo) < 10_000:
                self._memo[key] = advice
        return advice

    # ------------------------------------------------------------------ internals

    def _advise(
        self, need: str, age: int | None, severity: str, side: str | None = None
    ) -> NiceAdvice:
        age_assumed = False
        if age is None and side is not None:
            adult = side == "18-plus"
            bands = tuple(
                b
                for b in self.vocab.band_slugs
                if (b == self._adult_band) == adult and self._index.get((need, b))
            )
        elif age is None:
            if self._index.get((need, self._adult_band)):
                bands: tuple[str, ...] = (self._adult_band,)
                age_assumed = True
            else:
                bands = tuple(b for b in self.vocab.band_slugs if self._index.get((need, b)))
        else:
            bands = self.vocab.age_bands(age)

        in_band: dict[str, NiceEntry] = {}
        for band in bands:
            for entry in self._index.get((need, band), ()):
                in_band.setdefault(entry.id, entry)
        entries = [e for e in in_band.values() if e.covers_age(age)]

        split = {e.severity for e in entries} - {"any"}
        union = False
        if not split:
            resolved = "any"
            chosen = entries
        elif severity == "unsure":
            resolved = "unsure"
            chosen = entries
            union = len(split) > 1
        else:
            resolved = severity
            chosen = [e for e in entries if e.severity in (severity, "any")]

        used_bands = tuple(b for b in bands if any(b in e.age_bands for e in chosen))
        if age is None and not age_assumed:
            age_band = used_bands[0] if len(used_bands) == 1 else None
        else:
            age_band = (used_bands or bands or (None,))[-1]

        if not chosen:
            return self._no_guidance(need, age, severity, bands, age_band, in_band)

        options = self._merge_options(chosen, union)
        return NiceAdvice(
            need=need,
            age_band=age_band,
            severity=resolved,
            has_guidance=True,
            options=options,
            guidelines=self._advice_guidelines(chosen, options),
            message=self._message(need, used_bands, chosen, options, union, age_assumed),
            age=age,
            age_bands=used_bands,
            age_assumed=age_assumed,
            severity_union=union,
            summaries=tuple(dict.fromkeys(e.summary for e in chosen)),
            other_treatments=tuple(dict.fromkeys(t for e in chosen for t in e.other_treatments)),
            not_offered=tuple(dict.fromkeys(n for e in chosen for n in e.not_offered)),
            not_yet_added=self._not_yet_added(need, used_bands or bands),
            vocab=self.vocab,
        )

    def _not_yet_added(self, need: str, bands: tuple[str, ...]) -> tuple[NotYetAdded, ...]:
        return tuple(
            item
            for item in self.not_yet_added
            if item.need == need and (not bands or set(bands) & set(item.age_bands))
        )

    @staticmethod
    def _merge_options(chosen: list[NiceEntry], union: bool) -> tuple[NiceOption, ...]:
        merged: dict[tuple[str, str | None, str, str], NiceOption] = {}
        for entry in chosen:
            for option in entry.options:
                if union and entry.severity != "any":
                    # NICE's orders for two severities are two different lists: not comparable.
                    option = replace(option, order=None)
                key = (option.modality, option.format, option.label, option.guideline)
                seen = merged.get(key)
                merged[key] = option if seen is None else _combine(seen, option)
        if not union:
            return tuple(sorted(merged.values(), key=lambda o: o.sort_key))
        # Unsure of severity: within a status group, options NICE names for both severities
        # come first (they fit whichever applies), then the rest by label. No order is guessed.
        return tuple(
            sorted(
                merged.values(),
                key=lambda o: (
                    o.sort_key[0],
                    set(SPLIT_SEVERITIES) > set(o.severities),
                    o.sort_key,
                ),
            )
        )

    def _advice_guidelines(
        self, chosen: list[NiceEntry], options: tuple[NiceOption, ...]
    ) -> tuple[Guideline, ...]:
        order = list(dict.fromkeys([o.guideline for o in options] + [e.guideline for e in chosen]))
        out = []
        for gid in order:
            used = [e for e in chosen if e.guideline == gid]
            notes = tuple(dict.fromkeys(e.review_note for e in used if e.review_note))
            out.append(
                replace(
                    self.guidelines[gid],
                    verified=all(o.verified for o in options if o.guideline == gid)
                    and all(e.verified for e in used),
                    review_note=" ".join(notes) or None,
                    verified_on=min(e.verified_on for e in used),
                )
            )
        return tuple(out)

    def _population(self, bands: tuple[str, ...]) -> str:
        phrases = [self.vocab.band(b).phrase for b in bands]
        if not phrases:
            return "anyone"
        if len(phrases) == 1:
            return phrases[0]
        return ", ".join(phrases[:-1]) + " and " + phrases[-1]

    def _need_phrase(self, need: str) -> str:
        name = self.vocab.needs[need].name
        return name[:1].lower() + name[1:]

    def _message(
        self,
        need: str,
        bands: tuple[str, ...],
        chosen: list[NiceEntry],
        options: tuple[NiceOption, ...],
        union: bool,
        age_assumed: bool,
    ) -> str:
        main = {o.label for o in options if o.is_treatment and o.status != "subgroup"}
        groups = {o.label for o in options if o.status == "subgroup"}
        treatments = main | groups
        support = {o.label for o in options if o.status == "symptom-support"}
        population = self._population(bands)
        need_phrase = self._need_phrase(need)
        if main:
            count = _count(len(main), "talking therapy option")
            more = f", and {len(groups)} more for particular groups of people" if groups else ""
            parts = [f"For {population}, NICE names {count} for {need_phrase}{more}."]
        elif groups:
            count = _count(len(groups), "talking therapy option")
            parts = [
                f"For {population}, NICE names {count} for {need_phrase}, each for particular "
                "groups of people."
            ]
        else:
            parts = [
                f"For {population}, NICE does not name a talking therapy that treats "
                f"{need_phrase}. What it names is only to help manage symptoms."
            ]
        parts.extend(dict.fromkeys(e.summary for e in chosen))
        if len(treatments) > 1 and any(o.order is not None for o in options):
            parts.append(
                "These are choices, not one right answer: the order is a guide to what to talk "
                "about first, and choosing one further down is fine."
            )
        elif len(treatments) > 1:
            # No order from NICE here: never imply one.
            parts.append("These are choices, not one right answer: you can choose any of them.")
        if support and treatments:
            parts.append("Some therapies are named only to help manage symptoms, not as a cure.")
        if any(not o.recommended for o in options):
            parts.append("NICE says some therapies should not usually be offered for this.")
        if union:
            parts.append(
                "You were not sure how severe things are, so this shows NICE's options for both "
                "less severe and more severe cases."
            )
        if age_assumed:
            parts.append(
                "We have assumed you are an adult. Give an age to see NICE's advice for children "
                "and young people."
            )
        # Whether our summary is confirmed is said once, by review_notice, not in the message.
        return " ".join(parts)

    def _no_guidance(
        self,
        need: str,
        age: int | None,
        severity: str,
        bands: tuple[str, ...],
        age_band: str | None,
        in_band: Mapping[str, NiceEntry],
    ) -> NiceAdvice:
        guidelines: tuple[Guideline, ...] = ()
        item = None
        for band in reversed(bands or self.vocab.band_slugs):
            item = self._messages.get((need, band))
            if item is not None:
                break
        phrase = self._need_phrase(need)
        if in_band:
            # NICE advice exists for this band, but not for this exact age or severity.
            youngest = min((e.min_age or 0) for e in in_band.values())
            if age is not None and age < youngest:
                message = (
                    f"The NICE advice we hold on {phrase} starts at age {youngest}, "
                    f"{FIT_AND_ACCESS}."
                )
            else:
                message = (
                    f"We do not hold NICE advice on {phrase} for this situation, {FIT_AND_ACCESS}."
                )
        elif item is not None:
            message = item.message
            if item.guideline is not None:
                base = self.guidelines[item.guideline]
                guidelines = (
                    replace(
                        base,
                        verified=False,
                        review_note="We have not yet added and checked this guideline's advice "
                        "for this age group.",
                    ),
                )
        else:
            message = (
                f"We do not hold NICE advice on talking therapy for {phrase} at this age, "
                f"{FIT_AND_ACCESS}."
            )
        return NiceAdvice(
            need=need,
            age_band=age_band,
            severity=severity,
            has_guidance=False,
            options=(),
            guidelines=guidelines,
            message=message,
            age=age,
            age_bands=(),
            not_yet_added=self._not_yet_added(need, bands),
            vocab=self.vocab,
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _combine(a: NiceOption, b: NiceOption) -> NiceOption:
    """One option named by two entries (for example both severities when unsure)."""
    best, other = (a, b) if a.sort_key <= b.sort_key else (b, a)
    orders = [o for o in (a.order, b.order) if o is not None]
    severities = set(a.severities) | set(b.severities)
    return replace(
        best,
        order=min(orders) if orders else None,
        recommendations=tuple(dict.fromkeys(a.recommendations + b.recommendations)),
        # Verified only if every source is: one confirmed half does not confirm the other.
        verified=a.verified and b.verified,
        sources=tuple(dict.fromkeys(a.sources + b.sources)),
        review=" ".join(dict.fromkeys(r for r in (a.review, b.review) if r)) or None,
        severities=tuple(s for s in ENTRY_SEVERITIES if s in severities),
        entry_ids=tuple(dict.fromkeys(best.entry_ids + other.entry_ids)),
    )


def protocol_satisfies(
    declared: Iterable[str], kind: str, protocols: Mapping[str, Protocol] | None = None
) -> bool:
    """Whether a service declaring these protocols delivers a NICE option of ``kind``: the same
    protocol, or one that counts as it (DIT counts as STPP, but not as STPP for social anxiety).
    """
    vocab = get_vocabularies()
    if protocols is not None:
        vocab = replace(vocab, protocols=dict(protocols))
    return kind in vocab.protocol_closure(declared)


def get_protocols() -> dict[str, Protocol]:
    """The specific protocols, loaded and checked once per process with the vocabularies."""
    return get_vocabularies().protocols


@functools.cache
def get_nice() -> NiceKnowledge:
    """The repository's NICE knowledge, loaded and checked once per process."""
    return NiceKnowledge.load()


# ---------------------------------------------------------------------------- parsing


class _Parser:
    def __init__(
        self, vocab: Vocabularies, source: str, protocols: Mapping[str, Protocol] | None = None
    ) -> None:
        self.vocab = vocab
        self.source = source
        self.protocols = vocab.protocols if protocols is None else protocols

    def fail(self, where: str, problem: str) -> NiceDataError:
        return NiceDataError(f"{self.source}: {where}: {problem}")

    def build(self, raw: Any, cls: type[NiceKnowledge]) -> NiceKnowledge:
        if not isinstance(raw, Mapping):
            raise self.fail("top level", "expected a mapping")
        self.keys(raw, _TOP_KEYS, "top level")
        guidelines = self.guidelines(raw.get("guidelines"))
        entries = self.entries(raw.get("entries"), guidelines)
        no_guidance = self.messages(raw.get("no_guidance", []), "no_guidance", guidelines)
        gaps = self.messages(raw.get("coverage_gaps", []), "coverage_gaps", guidelines)
        self.check_coverage(entries, no_guidance, gaps)
        self.check_scope(entries, gaps)
        return cls(
            vocab=self.vocab,
            guidelines=guidelines,
            entries=entries,
            no_guidance=no_guidance,
            coverage_gaps=gaps,
            not_yet_added=self.not_yet_added(raw.get("not_yet_added", []), gaps),
        )

    def not_yet_added(self, raw: Any, coverage_gaps: list[NoGuidance]) -> tuple[NotYetAdded, ...]:
        gaps = {(g.need, band, g.guideline) for g in coverage_gaps for band in g.age_bands}
        if not isinstance(raw, list):
            raise self.fail("not_yet_added", "must be a list")
        out = []
        for index, item in enumerate(raw):
            where = f"not_yet_added[{index}]"
            if not isinstance(item, Mapping):
                raise self.fail(where, "expected a mapping")
            self.keys(item, _NOT_YET_ADDED_KEYS, where)
            need = item.get("need")
            if need not in self.vocab.needs:
                raise self.fail(where, f"unknown need {need!r}")
            gid = item.get("guideline")
            if not isinstance(gid, str) or not _GUIDELINE_ID.match(gid):
                raise self.fail(where, "guideline must look like NG222 or CG113")
            bands = self.bands(item, where, default_all=True)
            if any((need, band, gid) in gaps for band in bands):
                raise self.fail(where, f"{gid} is already a coverage gap for {need!r}")
            out.append(
                NotYetAdded(
                    need=need,
                    age_bands=bands,
                    guideline=gid,
                    title=self.text(item, "title", where),
                    message=self.text(item, "message", where),
                )
            )
        return tuple(out)

    # -- pieces

    def keys(self, item: Mapping[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(set(item) - allowed)
        if unknown:
            raise self.fail(where, f"unknown field(s) {', '.join(map(repr, unknown))}")

    def text(self, item: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
        value = item.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"'{key}' must be non-empty text")
        return " ".join(value.split())

    def texts(self, item: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = item.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(where, f"'{key}' must be a list of text")
        return tuple(" ".join(v.split()) for v in value)

    def bands(self, item: Mapping[str, Any], where: str, *, default_all: bool) -> tuple[str, ...]:
        if "age_bands" not in item and default_all:
            return self.vocab.band_slugs
        value = item.get("age_bands")
        if not isinstance(value, list) or not value:
            raise self.fail(where, "'age_bands' must be a non-empty list")
        for band in value:
            if band not in self.vocab.band_slugs:
                raise self.fail(where, f"unknown age band {band!r}")
        if len(set(value)) != len(value):
            raise self.fail(where, "'age_bands' has duplicates")
        return tuple(value)

    def guidelines(self, raw: Any) -> dict[str, Guideline]:
        if not isinstance(raw, Mapping) or not raw:
            raise self.fail("guidelines", "must be a non-empty mapping of guideline ids")
        out = {}
        for gid, item in raw.items():
            where = f"guideline {gid!r}"
            if not isinstance(gid, str) or not _GUIDELINE_ID.match(gid):
                raise self.fail(where, "id must look like NG222 or CG113")
            if not isinstance(item, Mapping):
                raise self.fail(where, "expected a mapping")
            self.keys(item, _GUIDELINE_KEYS, where)
            year = item.get("year")
            if isinstance(year, bool) or not isinstance(year, int) or not 1999 <= year <= 2100:
                raise self.fail(where, f"bad year {year!r}")
            url = self.text(item, "url", where)
            expected = f"https://www.nice.org.uk/guidance/{gid.lower()}"
            if url != expected:
                raise self.fail(where, f"url must be {expected}, not {url!r}")
            out[gid] = Guideline(
                id=gid,
                title=self.text(item, "title", where),
                year=year,
                url=url,
                currency_note=self.text(item, "currency_note", where, required=False) or None,
            )
        return out

    def entries(self, raw: Any, guidelines: Mapping[str, Guideline]) -> list[NiceEntry]:
        if not isinstance(raw, list) or not raw:
            raise self.fail("entries", "must be a non-empty list")
        seen: set[str] = set()
        out = []
        for index, item in enumerate(raw):
            if not isinstance(item, Mapping):
                raise self.fail(f"entries[{index}]", "expected a mapping")
            eid = item.get("id")
            if not isinstance(eid, str) or not _ENTRY_ID.match(eid):
                raise self.fail(f"entries[{index}]", f"bad or missing id {eid!r}")
            where = f"entry {eid!r}"
            if eid in seen:
                raise self.fail(where, "duplicate entry id")
            seen.add(eid)
            out.append(self.entry(item, where, eid, guidelines))
        return out

    def entry(
        self, item: Mapping[str, Any], where: str, eid: str, guidelines: Mapping[str, Guideline]
    ) -> NiceEntry:
        self.keys(item, _ENTRY_KEYS, where)
        needs = item.get("needs")
        if not isinstance(needs, list) or not needs or len(set(needs)) != len(needs):
            raise self.fail(where, "'needs' must be a non-empty list without duplicates")
        for need in needs:
            if need not in self.vocab.needs:
                raise self.fail(where, f"unknown need {need!r}")
        bands = self.bands(item, where, default_all=False)
        severity = item.get("severity")
        if severity not in ENTRY_SEVERITIES:
            raise self.fail(where, f"severity must be one of {ENTRY_SEVERITIES}, not {severity!r}")
        gid = item.get("guideline")
        if gid not in guidelines:
            raise self.fail(where, f"unknown guideline {gid!r}")
        recommendations = self.texts(item, "recommendations", where)
        if not recommendations:
            raise self.fail(where, "'recommendations' must not be empty")
        min_age, max_age = self.age_limits(item, where, bands)
        sources = self.sources(item.get("sources"), where)
        applies_to = self.text(item, "applies_to", where, required=False) or None

        raw_options = item.get("options")
        if not isinstance(raw_options, list) or not raw_options:
            raise self.fail(where, "'options' must be a non-empty list")
        options = []
        keys = set()
        for number, raw_option in enumerate(raw_options, start=1):
            option = self.option(
                raw_option,
                f"{where}, option {number}",
                guideline=gid,
                recommendations=recommendations,
                sources=sources,
                severity=severity,
                applies_to=applies_to,
                eid=eid,
            )
            key = (option.modality, option.format, option.label)
            if key in keys:
                raise self.fail(f"{where}, option {number}", "duplicate option")
            keys.add(key)
            options.append(option)
        not_offered = self.not_offered(item.get("not_offered", []), where, sources)
        unverified = any(not o.verified for o in options) or any(
            not n.verified for n in not_offered
        )
        review_note = self.text(item, "review_note", where, required=unverified) or None
        if not unverified and review_note:
            raise self.fail(
                where, "an entry whose options are all verified must not have a review_note"
            )

        return NiceEntry(
            id=eid,
            needs=tuple(needs),
            age_bands=bands,
            severity=severity,
            guideline=gid,
            recommendations=recommendations,
            summary=self.text(item, "summary", where),
            options=tuple(options),
            sources=tuple(sources.values()),
            review_note=review_note,
            applies_to=applies_to,
            min_age=min_age,
            max_age=max_age,
            other_treatments=self.texts(item, "other_treatments", where),
            not_offered=not_offered,
        )

    def sources(self, raw: Any, where: str) -> dict[str, Source]:
        if not isinstance(raw, Mapping) or not raw:
            raise self.fail(where, "'sources' must be a non-empty mapping of source keys")
        out = {}
        for key, item in raw.items():
            here = f"{where}, source {key!r}"
            if not isinstance(key, str) or not _ENTRY_ID.match(key):
                raise self.fail(here, "source keys must be lower-case slugs")
            if not isinstance(item, Mapping):
                raise self.fail(here, "expected a mapping")
            self.keys(item, _SOURCE_KEYS, here)
            evidence = item.get("evidence")
            if evidence not in EVIDENCE_LEVELS:
                raise self.fail(
                    here, f"evidence must be one of {EVIDENCE_LEVELS}, not {evidence!r}"
                )
            url = self.text(item, "url", here, required=evidence != "R") or None
            if url is not None and not url.startswith("https://"):
                raise self.fail(here, f"url must start with https://, not {url!r}")
            if evidence == "N" and (url is None or not url.startswith("https://www.nice.org.uk/")):
                raise self.fail(here, "evidence N means read on www.nice.org.uk: give that url")
            out[key] = Source(
                key=key,
                url=url,
                read=self.text(item, "read", here),
                evidence=evidence,
                verified_on=self.date(item, "verified_on", here),
            )
        return out

    def date(self, item: Mapping[str, Any], key: str, where: str) -> dt.date:
        value = item.get(key)
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                value = None
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise self.fail(where, f"'{key}' must be a date (YYYY-MM-DD)")
        return value

    def verification(
        self, raw: Mapping[str, Any], where: str, sources: Mapping[str, Source]
    ) -> tuple[bool, tuple[Source, ...], str | None]:
        """An item's ``verified`` flag, its sources and the reason when it is not verified."""
        verified = raw.get("verified")
        if not isinstance(verified, bool):
            raise self.fail(where, "'verified' must be true or false")
        names = raw.get("source")
        names = [names] if isinstance(names, str) else names
        if not isinstance(names, list) or not names:
            raise self.fail(where, "'source' must name one or more of the entry's sources")
        chosen = []
        for name in names:
            if name not in sources:
                raise self.fail(where, f"unknown source {name!r}")
            chosen.append(sources[name])
        if verified and not any(s.evidence in VERIFYING_EVIDENCE for s in chosen):
            raise self.fail(
                where,
                "cannot be verified on a secondary summary [S] or recollection [R] alone",
            )
        review = self.text(raw, "review", where, required=not verified) or None
        if verified and review:
            raise self.fail(where, "a verified item must not have a 'review' reason")
        return verified, tuple(chosen), review

    def not_offered(
        self, raw: Any, where: str, sources: Mapping[str, Source]
    ) -> tuple[NotOffered, ...]:
        if not isinstance(raw, list):
            raise self.fail(where, "'not_offered' must be a list")
        out = []
        for number, item in enumerate(raw, start=1):
            here = f"{where}, not_offered {number}"
            if not isinstance(item, Mapping):
                raise self.fail(here, "expected a mapping")
            self.keys(item, _NOT_OFFERED_KEYS, here)
            verified, chosen, review = self.verification(item, here, sources)
            out.append(NotOffered(self.text(item, "text", here), verified, chosen, review))
        return tuple(out)

    def age_limits(
        self, item: Mapping[str, Any], where: str, bands: tuple[str, ...]
    ) -> tuple[int | None, int | None]:
        limits: list[int | None] = []
        for key in ("min_age", "max_age"):
            value = item.get(key)
            if value is not None:
                try:
                    check_age(value)
                except ValueError as exc:
                    raise self.fail(where, f"'{key}': {exc}") from None
            limits.append(value)
        min_age, max_age = limits
        if min_age is not None and max_age is not None and min_age > max_age:
            raise self.fail(where, "'min_age' is above 'max_age'")
        for band_slug in bands:
            band = self.vocab.band(band_slug)
            top = MAX_AGE if band.max_age is None else band.max_age
            if (min_age is not None and min_age > top) or (
                max_age is not None and max_age < band.min_age
            ):
                raise self.fail(where, f"age limits leave nobody in band {band_slug!r}")
        return min_age, max_age

    def option(
        self,
        raw: Any,
        where: str,
        *,
        guideline: str,
        recommendations: tuple[str, ...],
        sources: Mapping[str, Source],
        severity: str,
        applies_to: str | None,
        eid: str,
    ) -> NiceOption:
        if not isinstance(raw, Mapping):
            raise self.fail(where, "expected a mapping")
        self.keys(raw, _OPTION_KEYS, where)
        modality = raw.get("modality")
        if modality not in self.vocab.modalities:
            raise self.fail(where, f"unknown modality {modality!r}")
        fmt = raw.get("format")
        if fmt is not None:
            if fmt not in self.vocab.formats:
                raise self.fail(where, f"unknown format {fmt!r}")
            if fmt not in self.vocab.modalities[modality].formats:
                raise self.fail(where, f"modality {modality!r} is not offered in format {fmt!r}")
        status = raw.get("status")
        if status not in STATUSES:
            raise self.fail(where, f"unknown status {status!r}")
        kind = raw.get("kind")
        if kind is not None:
            protocol = self.protocols.get(kind)
            if protocol is None:
                raise self.fail(where, f"unknown kind {kind!r}: not a protocol in protocols.yaml")
            if protocol.modality != modality:
                raise self.fail(
                    where,
                    f"kind {kind!r} is a form of {protocol.modality!r}, not of {modality!r}",
                )
        verified, chosen, review = self.verification(raw, where, sources)
        order = raw.get("order")
        if order is not None and (
            isinstance(order, bool) or not isinstance(order, int) or order < 1
        ):
            raise self.fail(where, f"order must be a whole number from 1, not {order!r}")
        with_medication = raw.get("with_medication", False)
        if not isinstance(with_medication, bool):
            raise self.fail(where, "with_medication must be true or false")
        return NiceOption(
            with_medication=with_medication,
            modality=modality,
            label=self.text(raw, "label", where),
            status=status,
            order=order,
            format=fmt,
            note=self.text(raw, "note", where),
            guideline=guideline,
            recommendations=recommendations,
            verified=verified,
            severities=(severity,),
            applies_to=applies_to,
            entry_ids=(eid,),
            kind=kind,
            sources=chosen,
            review=review,
        )

    def messages(self, raw: Any, key: str, guidelines: Mapping[str, Guideline]) -> list[NoGuidance]:
        if not isinstance(raw, list):
            raise self.fail(key, "must be a list")
        gap = key == "coverage_gaps"
        out = []
        for index, item in enumerate(raw):
            where = f"{key}[{index}]"
            if not isinstance(item, Mapping):
                raise self.fail(where, "expected a mapping")
            need = item.get("need")
            if need not in self.vocab.needs:
                raise self.fail(where, f"unknown need {need!r}")
            where = f"{where} ({need})"
            self.keys(item, _GAP_KEYS if gap else _NO_GUIDANCE_KEYS, where)
            gid = None
            if gap:
                gid = item.get("guideline")
                if gid not in guidelines:
                    raise self.fail(where, f"unknown guideline {gid!r}")
            out.append(
                NoGuidance(
                    need=need,
                    age_bands=self.bands(item, where, default_all=not gap),
                    message=self.text(item, "message", where),
                    guideline=gid,
                )
            )
        return out

    def check_coverage(
        self, entries: list[NiceEntry], no_guidance: list[NoGuidance], gaps: list[NoGuidance]
    ) -> None:
        """A need and age band is covered by entries, no_guidance or a gap: never two of them."""
        with_entries = {(n, b): e.id for e in entries for n in e.needs for b in e.age_bands}
        claimed: dict[tuple[str, str], str] = {}
        for kind, items in (("no_guidance", no_guidance), ("coverage_gaps", gaps)):
            for item in items:
                for band in item.age_bands:
                    key = (item.need, band)
                    if key in with_entries:
                        raise self.fail(
                            f"{kind} ({item.need}, {band})",
                            f"entry {with_entries[key]!r} already covers it",
                        )
                    if key in claimed:
                        raise self.fail(
                            f"{kind} ({item.need}, {band})", f"also listed in {claimed[key]}"
                        )
                    claimed[key] = kind

    def check_scope(self, entries: list[NiceEntry], gaps: list[NoGuidance]) -> None:
        """Each need's nice_scope in vocabularies.yaml names exactly the guidelines used for it."""
        used: dict[str, set[str]] = {need: set() for need in self.vocab.needs}
        for entry in entries:
            for need in entry.needs:
                if entry.guideline not in self.vocab.needs[need].nice_scope:
                    raise self.fail(
                        f"entry {entry.id!r}",
                        f"guideline {entry.guideline} is not in the nice_scope of need {need!r} "
                        "in vocabularies.yaml",
                    )
                used[need].add(entry.guideline)
        for gap in gaps:
            if gap.guideline:
                if gap.guideline not in self.vocab.needs[gap.need].nice_scope:
                    raise self.fail(
                        f"coverage_gaps ({gap.need})",
                        f"guideline {gap.guideline} is not in the nice_scope of need "
                        f"{gap.need!r} in vocabularies.yaml",
                    )
                used[gap.need].add(gap.guideline)
        for need, scope in ((n, self.vocab.needs[n].nice_scope) for n in self.vocab.needs):
            unused = sorted(set(scope) - used[need])
            if unused:
                raise self.fail(
                    f"need {need!r}",
                    f"nice_scope in vocabularies.yaml lists {', '.join(unused)}, "
                    "but no entry uses it",
                )
