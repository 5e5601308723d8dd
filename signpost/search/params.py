"""Parse and check what a person asked for, from a query string.

Pages and the API share this, so a bad value gets the same plain-English message in an
NHS error summary and in the API's error shape. Nothing here touches the database.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from signpost import slugs
from signpost.vocab import get_vocabularies

MAX_AGE = 120
RADIUS_RANGE_KM = (1.0, 200.0)
DEFAULT_RADIUS_KM = 25.0
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Languages a person can ask for besides English (the form's choices).
LANGUAGES = (
    "Arabic", "Bengali", "BSL", "Cantonese", "Gujarati", "Polish", "Portuguese", "Punjabi",
    "Romanian", "Somali", "Turkish", "Urdu", "Welsh",
)  # fmt: skip
# Instead of an exact age, which side of 18 (the matcher's AGE_BANDS).
AGE_BAND_NAMES = {"under-18": "under 18", "18-plus": "18 and over"}
AGE_REQUIRED = "Enter your age, or say if you are under 18 or 18 and over"
TRUE = {"1", "true", "yes", "on", "y"}
FALSE = {"0", "false", "no", "off", "n", ""}


class QueryArgs(Protocol):
    """What we need of werkzeug's MultiDict (also satisfied by a test double)."""

    def get(self, key: str, default: str | None = None) -> str | None: ...
    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str


NONE_APPLY = "none"  # the answer "none of these apply to me"


@dataclass(frozen=True)
class SearchParams:
    location: str
    need: str
    age: int | None = None
    severity: str = "unsure"
    age_band: str | None = None  # "under-18" or "18-plus", only when age is not given
    modalities: tuple[str, ...] = ()
    relational: bool = False
    delivery: tuple[str, ...] = ()
    max_cost: float | None = None
    self_referral: bool = False
    language: str | None = None
    community: str | None = None
    radius_km: float = DEFAULT_RADIUS_KM
    limit: int = DEFAULT_LIMIT
    services: tuple[str, ...] = field(default=())  # GP handout: the ticked services
    # Eligibility slugs the person said apply; None: not answered; (): "none of these".
    circumstances: tuple[str, ...] | None = None
    page: int = 1  # results pages of ``limit`` each, so every result can be reached
    offers: int | None = None  # show only services offering this NICE option (1-based)

    @property
    def match_limit(self) -> int:
        """How many ranked results to ask the matcher for to show this page (all it ranks
        when only services offering one NICE option are wanted: they are picked after)."""
        return MAX_LIMIT if self.offers else min(self.page * self.limit, MAX_LIMIT)

    def to_query(self) -> list[tuple[str, str]]:
        """The canonical query string pairs, for shareable links and the QR code."""
        pairs = [("location", self.location), ("need", self.need)]
        if self.age is not None:
            pairs.append(("age", str(self.age)))
        elif self.age_band is not None:
            pairs.append(("age_band", self.age_band))
        if self.severity != "unsure":
            pairs.append(("severity", self.severity))
        pairs += [("modality", m) for m in self.modalities]
        if self.relational:
            pairs.append(("relational", "true"))
        pairs += [("delivery", d) for d in self.delivery]
        if self.max_cost is not None:
            pairs.append(("max_cost", f"{self.max_cost:g}"))
        if self.self_referral:
            pairs.append(("self_referral", "true"))
        if self.language:
            pairs.append(("language", self.language))
        if self.community:
            pairs.append(("community", self.community))
        if self.radius_km != DEFAULT_RADIUS_KM:
            pairs.append(("radius_km", f"{self.radius_km:g}"))
        if self.limit != DEFAULT_LIMIT:
            pairs.append(("limit", str(self.limit)))
        if self.circumstances is not None:
            pairs += [("circumstance", c) for c in self.circumstances or (NONE_APPLY,)]
        if self.offers:
            pairs.append(("offers", str(self.offers)))
        if self.page != 1:
            pairs.append(("page", str(self.page)))
        return pairs

    @property
    def age_text(self) -> str:
        """ "age 15", "under 18": for headings, the handout and the record."""
        if self.age is not None:
            return f"age {self.age}"
        return AGE_BAND_NAMES.get(self.age_band or "", "age not given")

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {
            "location": self.location,
            "need": self.need,
            "severity": self.severity,
            "modality": list(self.modalities),
            "relational": self.relational,
            "delivery": list(self.delivery),
            "self_referral": self.self_referral,
            "radius_km": self.radius_km,
            "limit": self.limit,
        }
        for key, value in (
            ("age", self.age),
            ("age_band", self.age_band),
            ("max_cost", self.max_cost),
            ("language", self.language),
            ("community", self.community),
        ):
            if value is not None:
                body[key] = value
        if self.circumstances is not None:
            body["circumstance"] = list(self.circumstances)
        return body


class SearchInputError(ValueError):
    def __init__(self, errors: Sequence[FieldError]):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = tuple(errors)
        # Set when a place name could mean several places: the ones to choose from.
        self.places: tuple[object, ...] = ()


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def _bool(args: QueryArgs, name: str, errors: list[FieldError]) -> bool:
    raw = _clean(args.get(name)).lower()
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    errors.append(
        FieldError(name, f"invalid_{name}", f"Choose yes or no for {name.replace('_', ' ')}")
    )
    return False


def whole_number(raw: str | None, *, max_digits: int = 9) -> int | None:
    """A whole number written in ASCII digits, or None.

    ``str.isdigit`` is true for "²" and "١٢" too, and ``int`` refuses the first and reads the
    second: only 0-9 (and a bounded length, as ``int`` also refuses very long numbers) are
    a number here, so every page and the API agree on what one is.
    """
    if raw is None or not (0 < len(raw) <= max_digits) or not raw.isascii() or not raw.isdigit():
        return None
    return int(raw)


_DECIMAL = re.compile(r"[0-9]{1,9}(\.[0-9]{1,9})?|\.[0-9]{1,9}", re.ASCII)


def _number(raw: str) -> float | None:
    # "1e3", "inf", "nan" and non-ASCII digits are not what a person types as a distance.
    if not _DECIMAL.fullmatch(raw):
        return None
    value = float(raw)
    return value if math.isfinite(value) else None


def parse_search(
    args: QueryArgs,
    *,
    modalities: Mapping[str, object],
    needs: Mapping[str, object],
    languages: Sequence[str] = (),
) -> SearchParams:
    """Check every field and return the parameters, or raise SearchInputError listing
    every problem (not just the first), in form order."""
    errors: list[FieldError] = []

    location = _clean(args.get("location"))[:100]
    if not location:
        errors.append(
            FieldError(
                "location", "missing_location", "Enter a postcode, part of a postcode or a town"
            )
        )

    need = _clean(args.get("need")).lower()
    if not need:
        errors.append(FieldError("need", "missing_need", "Select what you would like help with"))
    elif need not in needs:
        errors.append(
            FieldError("need", "unknown_need", "Select what you would like help with from the list")
        )

    age: int | None = None
    raw_age = _clean(args.get("age"))
    if raw_age:
        parsed_age = whole_number(raw_age)
        if parsed_age is None:
            errors.append(FieldError("age", "invalid_age", "Age must be a whole number, like 34"))
        elif not 0 <= parsed_age <= MAX_AGE:
            errors.append(
                FieldError("age", "age_out_of_range", f"Age must be between 0 and {MAX_AGE}")
            )
        else:
            age = parsed_age
    age_band = _clean(args.get("age_band")).lower() or None
    if age_band is not None and age_band not in AGE_BAND_NAMES:
        errors.append(FieldError("age_band", "invalid_age_band", "Select under 18 or 18 and over"))
        age_band = None
    elif age is not None:
        age_band = None  # an exact age says more than a band
    if not raw_age and age_band is None and not any(e.field == "age_band" for e in errors):
        # Never assume an adult: adult-only and children's services must not mix.
        errors.append(FieldError("age", "age_required", AGE_REQUIRED))

    severity = _clean(args.get("severity")).lower() or "unsure"
    if severity not in slugs.SEVERITIES:
        errors.append(
            FieldError("severity", "invalid_severity", "Select how much it is affecting daily life")
        )
        severity = "unsure"

    chosen_modalities = tuple(
        sorted({_clean(m).lower() for m in args.getlist("modality") if _clean(m)})
    )
    unknown = [m for m in chosen_modalities if m not in modalities]
    if unknown:
        errors.append(FieldError("modality", "unknown_modality", "Select a therapy from the list"))

    delivery = tuple(sorted({_clean(d).lower() for d in args.getlist("delivery") if _clean(d)}))
    if any(d not in slugs.DELIVERY for d in delivery):
        errors.append(
            FieldError("delivery", "unknown_delivery", "Select in person, video, phone or online")
        )

    max_cost: float | None = None
    raw_cost = _clean(args.get("max_cost")).lstrip("£")
    if raw_cost and raw_cost != "any":
        value = _number(raw_cost)
        if value is None or value < 0 or value > 1000:
            errors.append(
                FieldError(
                    "max_cost",
                    "invalid_max_cost",
                    "Enter the most you could pay a session in pounds, like 20, or 0 for free only",
                )
            )
        else:
            max_cost = value

    radius_km = DEFAULT_RADIUS_KM
    raw_radius = _clean(args.get("radius_km"))
    if raw_radius:
        value = _number(raw_radius)
        if value is None or not RADIUS_RANGE_KM[0] <= value <= RADIUS_RANGE_KM[1]:
            low, high = RADIUS_RANGE_KM
            errors.append(
                FieldError(
                    "radius_km",
                    "invalid_radius",
                    f"Distance must be between {low:g} and {high:g} km",
                )
            )
        else:
            radius_km = value

    limit = DEFAULT_LIMIT
    raw_limit = _clean(args.get("limit"))
    if raw_limit:
        parsed_limit = whole_number(raw_limit)
        if parsed_limit is None or not 1 <= parsed_limit <= MAX_LIMIT:
            errors.append(
                FieldError(
                    "limit", "invalid_limit", f"Limit must be a whole number from 1 to {MAX_LIMIT}"
                )
            )
        else:
            limit = parsed_limit

    page = 1
    raw_page = _clean(args.get("page"))
    if raw_page:
        if not raw_page.isdigit() or not 1 <= int(raw_page) <= MAX_LIMIT:
            errors.append(
                FieldError("page", "invalid_page", f"Page must be a whole number up to {MAX_LIMIT}")
            )
        else:
            page = int(raw_page)

    offers = None
    raw_offers = _clean(args.get("offers"))
    if raw_offers:
        if not raw_offers.isdigit() or not 1 <= int(raw_offers) <= 50:
            errors.append(FieldError("offers", "invalid_offers", "Choose a therapy from the list"))
        else:
            offers = int(raw_offers)

    relational = _bool(args, "relational", errors)
    self_referral = _bool(args, "self_referral", errors)
    language = _clean(args.get("language"))[:40] or None
    if language and languages and language.lower() not in {x.lower() for x in languages}:
        errors.append(FieldError("language", "unknown_language", "Select a language from the list"))
    community = _clean(args.get("community")).lower()[:40] or None
    services = tuple(dict.fromkeys(_clean(s) for s in args.getlist("service") if _clean(s)))[:5]
    circumstances = _circumstances(args, errors)

    if errors:
        raise SearchInputError(errors)
    return SearchParams(
        location=location,
        need=need,
        age=age,
        severity=severity,
        age_band=age_band,
        modalities=chosen_modalities,
        relational=relational,
        delivery=delivery,
        max_cost=max_cost,
        self_referral=self_referral,
        language=language,
        community=community,
        radius_km=radius_km,
        limit=limit,
        services=services,
        circumstances=circumstances,
        page=page,
        offers=offers,
    )


def _circumstances(args: QueryArgs, errors: list[FieldError]) -> tuple[str, ...] | None:
    """Repeatable ``circumstance``: eligibility slugs, or "none" for none of them. Absent
    means the person did not answer, which is not the same as "none"."""
    given = {_clean(c).lower() for c in args.getlist("circumstance") if _clean(c)}
    if not given:
        return None
    known = get_vocabularies().eligibility
    unknown = given - set(known) - {NONE_APPLY}
    if unknown:
        errors.append(
            FieldError(
                "circumstance", "unknown_circumstance", "Select from the list of circumstances"
            )
        )
        return None
    return tuple(sorted(given - {NONE_APPLY}))


def parse_args(args: QueryArgs) -> SearchParams:
    """``parse_search`` against the product's own vocabularies: what every view calls."""
    vocab = get_vocabularies()
    return parse_search(args, modalities=vocab.modalities, needs=vocab.needs, languages=LANGUAGES)
