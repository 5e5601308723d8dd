"""The product's vocabularies (PRODUCT.md section 2), loaded from seed_data/vocabularies.yaml.

Plain Python: no Flask, no database. The file is checked when it is loaded; anything wrong
raises :class:`VocabularyError` with a message naming the entry.

    >>> vocab = get_vocabularies()
    >>> vocab.modalities["ipt"].name
    'Interpersonal therapy (IPT)'
    >>> vocab.age_bands(5)   # bands overlap at 5, as in NICE usage
    ('0-5', '5-11')
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SEED_DATA = Path(__file__).resolve().parent.parent / "seed_data"
DEFAULT_PATH = SEED_DATA / "vocabularies.yaml"
PROTOCOLS_PATH = SEED_DATA / "protocols.yaml"
INTENSITIES = ("low", "high")

#: The highest age in years the loaders accept; anything above is treated as bad input.
MAX_AGE = 130
#: ``kind`` argument meaning "not known": kind-limited equivalences are not ruled out.
ANY_KIND = "*"

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_BAND_SLUG = re.compile(r"^\d+(?:-\d+|\+)$")

#: The small vocabularies: key in the YAML file, and attribute on :class:`Vocabularies`.
SMALL_VOCABULARIES = (
    "severities",
    "sectors",
    "delivery",
    "formats",
    "referral_routes",
    "capacity",
    "cost_types",
)


class VocabularyError(ValueError):
    """The vocabulary file is broken: a duplicate, unknown or malformed entry."""


@dataclass(frozen=True, slots=True)
class Equivalence:
    """A service offering one modality also satisfies a NICE option for ``modality``.

    Only for people aged ``min_age``..``max_age`` (inclusive; ``None`` means no limit). When
    the age is unknown, an age-limited equivalence does not apply: we cannot show it fits.
    With ``kinds``, only for NICE options of those kinds (DIT counts as psychodynamic only
    where NICE names short-term psychodynamic psychotherapy, kind "stpp").
    """

    modality: str
    min_age: int | None = None
    max_age: int | None = None
    kinds: tuple[str, ...] = ()

    def applies(self, age: int | None, kind: str | None = ANY_KIND) -> bool:
        """Whether it applies at ``age`` to a NICE option of ``kind`` (``None``: the option has
        no kind; ``ANY_KIND``: not known, a slug-level question, which does not rule it out)."""
        if self.kinds and kind != ANY_KIND and kind not in self.kinds:
            return False
        if self.min_age is None and self.max_age is None:
            return True
        if age is None:
            return False
        if self.min_age is not None and age < self.min_age:
            return False
        return self.max_age is None or age <= self.max_age


@dataclass(frozen=True, slots=True)
class Modality:
    slug: str
    name: str
    relational: bool
    summary: str
    what_it_is_like: str
    typical_sessions: str
    formats: tuple[str, ...]
    counts_as: tuple[Equivalence, ...] = ()
    also_known_as: tuple[str, ...] = ()
    # The intensity a service offers it at unless its listing says otherwise: guided self-help
    # is low intensity by definition; therapist-led therapies are high unless declared low.
    intensity: str = "high"


@dataclass(frozen=True, slots=True)
class Protocol:
    """A specific therapy NICE names (seed_data/protocols.yaml). Only a service declaring it
    (or a protocol that ``counts_as`` it) earns credit for a NICE option of that ``kind``."""

    slug: str
    name: str
    modality: str
    intensity: str
    summary: str
    counts_as: tuple[str, ...] = ()
    # The modality is this protocol (offering EMDR is delivering EMDR), so offering the
    # modality declares it; a broad modality (any CBT, any counselling) never does.
    implied_by_modality: bool = False


@dataclass(frozen=True, slots=True)
class Eligibility:
    """A restriction on who a service is for (a hard rule, not a community preference)."""

    slug: str
    name: str  # completes "Only for ...": "people who are pregnant or had a baby in the last year"
    question: str  # the person's own words on the circumstances question
    # Choosing one of these needs says the person is in this group, when they have not answered
    # the circumstances question (someone asking about psychosis may be in a first episode).
    implied_by_needs: tuple[str, ...] = ()
    # What the listing's note names (the college, the GP area); ``name`` has "{detail}" for it.
    detail: str | None = None

    def label(self, note: str | None = None) -> str:
        """The name, with the listing's note (or the hint) in place of "{detail}"."""
        if self.detail is None:
            return f"{self.name} ({note})" if note else self.name
        return self.name.replace("{detail}", note or self.detail)


@dataclass(frozen=True, slots=True)
class Need:
    slug: str
    name: str
    description: str
    nice_scope: tuple[str, ...]  # NICE guideline ids used for this need; () = no guidance


@dataclass(frozen=True, slots=True)
class Term:
    """One entry of a small vocabulary (sector, delivery mode, format, ...)."""

    slug: str
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class AgeBand:
    slug: str
    name: str
    phrase: str  # for sentences: "children aged 5 to 11"
    min_age: int
    max_age: int | None  # None: no upper limit

    def contains(self, age: int) -> bool:
        return age >= self.min_age and (self.max_age is None or age <= self.max_age)


@dataclass(frozen=True)
class Vocabularies:
    modalities: dict[str, Modality]
    needs: dict[str, Need]
    severities: tuple[str, ...]
    sectors: tuple[str, ...]
    delivery: tuple[str, ...]
    formats: tuple[str, ...]
    referral_routes: tuple[str, ...]
    capacity: tuple[str, ...]
    cost_types: tuple[str, ...]
    bands: tuple[AgeBand, ...]
    terms: dict[str, dict[str, Term]]  # small vocabulary name -> slug -> Term
    protocols: dict[str, Protocol] = field(default_factory=dict)
    eligibility: dict[str, Eligibility] = field(default_factory=dict)

    def protocol_closure(self, declared: Iterable[str]) -> frozenset[str]:
        """Every protocol a service delivering ``declared`` satisfies (DIT is also STPP)."""
        found: set[str] = set()
        todo = [slug for slug in declared if slug in self.protocols]
        while todo:
            slug = todo.pop()
            if slug not in found:
                found.add(slug)
                todo.extend(self.protocols[slug].counts_as)
        return frozenset(found)

    def effective_protocols(
        self, declared: Iterable[str], modalities: Iterable[str]
    ) -> frozenset[str]:
        """Declared protocols, plus those a modality is by definition (EMDR, DIT), closed
        over ``counts_as``."""
        offered = set(modalities)
        implied = (
            slug
            for slug, protocol in self.protocols.items()
            if protocol.implied_by_modality and protocol.modality in offered
        )
        return self.protocol_closure([*declared, *implied])

    def low_intensity_modalities(
        self, modalities: Iterable[str], declared_low: Iterable[str]
    ) -> frozenset[str]:
        """The modalities a service offers only at low intensity: those it declares low and
        those that are low by nature (guided self-help)."""
        offered = frozenset(modalities)
        natural = {
            m for m in offered if m in self.modalities and self.modalities[m].intensity == "low"
        }
        return frozenset(natural | (offered & frozenset(declared_low)))

    def age_bands(self, age: int) -> tuple[str, ...]:
        """The NICE age bands an age in years falls into, youngest band first.

        Bands may overlap (5 is in both "0-5" and "5-11"); then all of them are returned.
        """
        check_age(age)
        return tuple(band.slug for band in self.bands if band.contains(age))

    def band(self, slug: str) -> AgeBand:
        for band in self.bands:
            if band.slug == slug:
                return band
        raise KeyError(slug)

    @property
    def band_slugs(self) -> tuple[str, ...]:
        return tuple(band.slug for band in self.bands)

    def name(self, vocabulary: str, slug: str) -> str:
        """Plain-English name of a slug in a vocabulary ("modalities", "sectors", ...)."""
        if vocabulary == "modalities":
            return self.modalities[slug].name
        if vocabulary == "needs":
            return self.needs[slug].name
        if vocabulary == "age_bands":
            return self.band(slug).name
        return self.terms[vocabulary][slug].name

    def counts_as(
        self,
        service_modality: str,
        option_modality: str,
        age: int | None,
        kind: str | None = ANY_KIND,
    ) -> bool:
        """Whether a service offering ``service_modality`` satisfies a NICE option for
        ``option_modality`` for a person of ``age``: the same slug, or a ``counts_as``
        equivalence. ``kind`` is the NICE option's kind (``None``: it has none); leave it as
        ``ANY_KIND`` to ask at slug level ("does DIT count as psychodynamic?")."""
        if service_modality == option_modality:
            return True
        modality = self.modalities.get(service_modality)
        if modality is None:
            return False
        return any(
            eq.modality == option_modality and eq.applies(age, kind) for eq in modality.counts_as
        )

    @property
    def kinds(self) -> frozenset[str]:
        """Every option kind an equivalence refers to (nice.yaml may use only these)."""
        return frozenset(
            kind for m in self.modalities.values() for eq in m.counts_as for kind in eq.kinds
        )


def check_age(age: object) -> int:
    """Return ``age`` if it is a whole number of years in 0..MAX_AGE, else raise ValueError."""
    if isinstance(age, bool) or not isinstance(age, int):
        raise ValueError(f"age must be a whole number of years, not {age!r}")
    if not 0 <= age <= MAX_AGE:
        raise ValueError(f"age must be between 0 and {MAX_AGE}, not {age}")
    return age


# ---------------------------------------------------------------------------- loading


def _read(path: Path, what: str) -> Mapping[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise VocabularyError(f"{path}: cannot read {what}: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise VocabularyError(f"{path}: expected a mapping at the top level")
    return raw


def load_vocabularies(path: Path | None = None, protocols_path: Path | None = None) -> Vocabularies:
    """Load and check the vocabularies and protocols files (default: seed_data's copies)."""
    path = DEFAULT_PATH if path is None else Path(path)
    protocols_path = PROTOCOLS_PATH if protocols_path is None else Path(protocols_path)
    vocab = _build(_read(path, "vocabularies"), path.name)
    protocols = _protocols(_read(protocols_path, "protocols"), vocab, protocols_path.name)
    return dataclasses.replace(vocab, protocols=protocols)


@functools.cache
def get_vocabularies() -> Vocabularies:
    """The repository's vocabularies, loaded once per process."""
    return load_vocabularies()


def _build(raw: Mapping[str, Any], source: str) -> Vocabularies:
    terms: dict[str, dict[str, Term]] = {}
    for key in SMALL_VOCABULARIES:
        terms[key] = _terms(raw, key, source)
    formats = tuple(terms["formats"])

    modalities: dict[str, Modality] = {}
    for where, item in _items(raw, "modalities", source):
        slug = _slug(item, where)
        if slug in modalities:
            raise VocabularyError(f"{where}: duplicate modality slug {slug!r}")
        relational = item.get("relational")
        if not isinstance(relational, bool):
            raise VocabularyError(f"{where} ({slug}): 'relational' must be true or false")
        modality_formats = _str_list(item, "formats", f"{where} ({slug})", required=True)
        for fmt in modality_formats:
            if fmt not in formats:
                raise VocabularyError(f"{where} ({slug}): unknown format {fmt!r}")
        modalities[slug] = Modality(
            slug=slug,
            name=_text(item, "name", f"{where} ({slug})"),
            relational=relational,
            summary=_text(item, "summary", f"{where} ({slug})"),
            what_it_is_like=_text(item, "what_it_is_like", f"{where} ({slug})"),
            typical_sessions=_text(item, "typical_sessions", f"{where} ({slug})"),
            formats=modality_formats,
            counts_as=_equivalences(item, f"{where} ({slug})"),
            also_known_as=_str_list(item, "also_known_as", f"{where} ({slug})"),
            intensity=_intensity(item, f"{where} ({slug})"),
        )
    for slug, modality in modalities.items():
        for eq in modality.counts_as:
            if eq.modality not in modalities:
                raise VocabularyError(
                    f"modality {slug!r}: counts_as names unknown modality {eq.modality!r}"
                )
            if eq.modality == slug:
                raise VocabularyError(f"modality {slug!r}: counts_as names itself")

    needs: dict[str, Need] = {}
    for where, item in _items(raw, "needs", source):
        slug = _slug(item, where)
        if slug in needs:
            raise VocabularyError(f"{where}: duplicate need slug {slug!r}")
        needs[slug] = Need(
            slug=slug,
            name=_text(item, "name", f"{where} ({slug})"),
            description=_text(item, "description", f"{where} ({slug})"),
            nice_scope=_str_list(item, "nice_scope", f"{where} ({slug})"),
        )

    eligibility: dict[str, Eligibility] = {}
    for where, item in _items(raw, "eligibility", source):
        slug = _slug(item, where)
        if slug in eligibility:
            raise VocabularyError(f"{where}: duplicate eligibility slug {slug!r}")
        implied = _str_list(item, "implied_by_needs", f"{where} ({slug})")
        for need in implied:
            if need not in needs:
                raise VocabularyError(f"{where} ({slug}): unknown need {need!r}")
        name = _text(item, "name", f"{where} ({slug})")
        detail = _text(item, "detail", f"{where} ({slug})") if "detail" in item else None
        if (detail is None) == ("{detail}" in name):
            raise VocabularyError(
                f"{where} ({slug}): 'detail' and '{{detail}}' in the name go together"
            )
        eligibility[slug] = Eligibility(
            slug=slug,
            name=name,
            question=_text(item, "question", f"{where} ({slug})"),
            implied_by_needs=implied,
            detail=detail,
        )

    return Vocabularies(
        eligibility=eligibility,
        modalities=modalities,
        needs=needs,
        severities=tuple(terms["severities"]),
        sectors=tuple(terms["sectors"]),
        delivery=tuple(terms["delivery"]),
        formats=formats,
        referral_routes=tuple(terms["referral_routes"]),
        capacity=tuple(terms["capacity"]),
        cost_types=tuple(terms["cost_types"]),
        bands=_bands(raw, source),
        terms=terms,
    )


def _items(raw: Mapping[str, Any], key: str, source: str) -> list[tuple[str, Mapping[str, Any]]]:
    items = raw.get(key)
    if not isinstance(items, list) or not items:
        raise VocabularyError(f"{source}: '{key}' must be a non-empty list")
    out = []
    for index, item in enumerate(items):
        where = f"{key}[{index}]"
        if not isinstance(item, Mapping):
            raise VocabularyError(f"{where}: expected a mapping, got {item!r}")
        out.append((where, item))
    return out


def _slug(item: Mapping[str, Any], where: str) -> str:
    slug = item.get("slug")
    if not isinstance(slug, str) or not _SLUG.match(slug):
        raise VocabularyError(f"{where}: bad or missing slug {slug!r}")
    return slug


def _text(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise VocabularyError(f"{where}: '{key}' must be non-empty text")
    return " ".join(value.split())


def _str_list(
    item: Mapping[str, Any], key: str, where: str, *, required: bool = False
) -> tuple[str, ...]:
    value = item.get(key, [])
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise VocabularyError(f"{where}: '{key}' must be a list of text")
    if required and not value:
        raise VocabularyError(f"{where}: '{key}' must not be empty")
    if len(set(value)) != len(value):
        raise VocabularyError(f"{where}: '{key}' has duplicates")
    return tuple(value)


def _equivalences(item: Mapping[str, Any], where: str) -> tuple[Equivalence, ...]:
    value = item.get("counts_as", [])
    if not isinstance(value, list):
        raise VocabularyError(f"{where}: 'counts_as' must be a list")
    out = []
    for entry in value:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("modality"), str):
            raise VocabularyError(f"{where}: each counts_as needs a 'modality'")
        ages = []
        for key in ("min_age", "max_age"):
            age = entry.get(key)
            if age is not None and (isinstance(age, bool) or not isinstance(age, int) or age < 0):
                raise VocabularyError(f"{where}: counts_as {key} must be a whole number")
            ages.append(age)
        if ages[0] is not None and ages[1] is not None and ages[0] > ages[1]:
            raise VocabularyError(f"{where}: counts_as min_age is above max_age")
        kinds = entry.get("kinds", [])
        if not isinstance(kinds, list) or not all(
            isinstance(k, str) and _SLUG.match(k) for k in kinds
        ):
            raise VocabularyError(f"{where}: counts_as kinds must be a list of slugs")
        out.append(Equivalence(entry["modality"], ages[0], ages[1], tuple(kinds)))
    return tuple(out)


def _terms(raw: Mapping[str, Any], key: str, source: str) -> dict[str, Term]:
    terms: dict[str, Term] = {}
    for where, item in _items(raw, key, source):
        slug = _slug(item, where)
        if slug in terms:
            raise VocabularyError(f"{where}: duplicate {key} slug {slug!r}")
        description = item.get("description", "")
        terms[slug] = Term(
            slug=slug,
            name=_text(item, "name", f"{where} ({slug})"),
            description=" ".join(str(description).split()),
        )
    return terms


def _bands(raw: Mapping[str, Any], source: str) -> tuple[AgeBand, ...]:
    bands: list[AgeBand] = []
    for where, item in _items(raw, "age_bands", source):
        slug = item.get("slug")
        if not isinstance(slug, str) or not _BAND_SLUG.match(slug):
            raise VocabularyError(f"{where}: bad or missing age band slug {slug!r}")
        if any(band.slug == slug for band in bands):
            raise VocabularyError(f"{where}: duplicate age band {slug!r}")
        min_age, max_age = item.get("min_age"), item.get("max_age")
        if isinstance(min_age, bool) or not isinstance(min_age, int) or min_age < 0:
            raise VocabularyError(f"{where} ({slug}): 'min_age' must be a whole number")
        if max_age is not None and (
            isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < min_age
        ):
            raise VocabularyError(f"{where} ({slug}): 'max_age' must be a number >= min_age")
        bands.append(
            AgeBand(
                slug=slug,
                name=_text(item, "name", f"{where} ({slug})"),
                phrase=_text(item, "phrase", f"{where} ({slug})"),
                min_age=min_age,
                max_age=max_age,
            )
        )
    bands.sort(key=lambda band: band.min_age)
    # Every age must fall into at least one band: no gaps, and the last band is open-ended.
    reach = -1
    for band in bands:
        if band.min_age > reach + 1:
            raise VocabularyError(f"age band {band.slug!r}: gap before age {band.min_age}")
        reach = max(reach, MAX_AGE if band.max_age is None else band.max_age)
    if reach < MAX_AGE:
        raise VocabularyError(f"age bands stop at {reach}: the last band must have no max_age")
    return tuple(bands)


def _intensity(item: Mapping[str, Any], where: str, default: str | None = "high") -> str:
    value = item.get("intensity", default)
    if value not in INTENSITIES:
        raise VocabularyError(f"{where}: 'intensity' must be one of {', '.join(INTENSITIES)}")
    return str(value)


def _protocols(raw: Mapping[str, Any], vocab: Vocabularies, source: str) -> dict[str, Protocol]:
    protocols: dict[str, Protocol] = {}
    for where, item in _items(raw, "protocols", source):
        slug = _slug(item, where)
        here = f"{where} ({slug})"
        if slug in protocols:
            raise VocabularyError(f"{where}: duplicate protocol slug {slug!r}")
        modality = item.get("modality")
        if modality not in vocab.modalities:
            raise VocabularyError(f"{here}: unknown modality {modality!r}")
        implied = item.get("implied_by_modality", False)
        if not isinstance(implied, bool):
            raise VocabularyError(f"{here}: 'implied_by_modality' must be true or false")
        protocols[slug] = Protocol(
            slug=slug,
            name=_text(item, "name", here),
            modality=str(modality),
            intensity=_intensity(item, here, default=None),
            summary=_text(item, "summary", here),
            counts_as=_str_list(item, "counts_as", here),
            implied_by_modality=implied,
        )
    for slug, protocol in protocols.items():
        for other in protocol.counts_as:
            if other not in protocols or other == slug:
                raise VocabularyError(f"protocol {slug!r}: counts_as names {other!r}")
    return protocols
