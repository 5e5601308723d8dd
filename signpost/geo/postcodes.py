"""Pure functions for recognising and normalising UK postcodes.

Nothing here touches the index: these helpers decide *what kind* of thing the user typed
(a full postcode, a sector such as "LS1 1", an outcode such as "LS1", a bare area such as
"LS", or something else) and put it into the canonical upper-case, single-space form.

The patterns are the standard Royal Mail / GOV.UK ones. They are stricter than "letters then
digits" (e.g. Q, V and X never start a postcode, and the inward letters never include
C, I, K, M, O or V), which lets us tell users early that "ZZ99 9ZZ" cannot be a postcode.
Every one of the ~1.74M postcodes in Code-Point Open matches them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "Classified",
    "PostcodeKind",
    "area_of",
    "classify",
    "compact",
    "is_northern_ireland",
    "looks_like_postcode_attempt",
    "normalise_postcode",
    "outcode_of",
    "sector_of",
]

# Outward code ("LS1", "SW1A", "EC1A", "M1", "B33"): the four standard shapes.
_OUTWARD = (
    r"(?:[A-PR-UWYZ][0-9][0-9]?"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
)
_INWARD_LETTERS = r"[ABD-HJLNP-UW-Z]"

_FULL_RE = re.compile(rf"^({_OUTWARD})([0-9]{_INWARD_LETTERS}{{2}})$")
_SECTOR_RE = re.compile(rf"^({_OUTWARD}) ([0-9])$")
_OUTCODE_RE = re.compile(rf"^{_OUTWARD}$")
_AREA_RE = re.compile(r"^[A-PR-UWYZ][A-HK-Y]?$")
_AREA_PREFIX_RE = re.compile(r"^[A-Z]{1,2}")
_WS_RE = re.compile(r"\s+")
# Trailing/leading punctuation people paste in with a postcode ("LS1 1BA." or "(LS1 1BA)").
_EDGE_PUNCT = " \t\r\n.,;:()[]\"'"


class PostcodeKind(StrEnum):
    FULL = "full"  # "LS1 1BA"
    SECTOR = "sector"  # "LS1 1"
    OUTCODE = "outcode"  # "LS1", "SW1A"
    AREA = "area"  # "LS"
    NONE = "none"  # not postcode-shaped at all


@dataclass(frozen=True)
class Classified:
    kind: PostcodeKind
    value: str | None  # canonical form ("LS1 1BA", "LS1 1", "LS1", "LS"); None for NONE


def _clean(text: str | None) -> str:
    if not text:
        return ""
    return _WS_RE.sub(" ", text.strip(_EDGE_PUNCT)).upper()


def normalise_postcode(text: str | None) -> str | None:
    """Return a full postcode in canonical form ("LS1 1BA"), or None if it is not one.

    Spacing and case are forgiven ("ls11ba", " LS1  1BA "), since the inward code is always
    the last three characters.
    """
    squashed = _clean(text).replace(" ", "")
    m = _FULL_RE.match(squashed)
    if m is None:
        return None
    return f"{m.group(1)} {m.group(2)}"


def classify(text: str | None) -> Classified:
    """Work out whether *text* is a full postcode, sector, outcode, area, or none of these.

    A sector needs its space ("LS1 1"), because "LS11" is itself a real outcode.
    """
    full = normalise_postcode(text)
    if full is not None:
        return Classified(PostcodeKind.FULL, full)
    cleaned = _clean(text)
    m = _SECTOR_RE.match(cleaned)
    if m is not None:
        return Classified(PostcodeKind.SECTOR, f"{m.group(1)} {m.group(2)}")
    squashed = cleaned.replace(" ", "")
    if _OUTCODE_RE.match(squashed):
        return Classified(PostcodeKind.OUTCODE, squashed)
    if _AREA_RE.match(cleaned):
        return Classified(PostcodeKind.AREA, cleaned)
    return Classified(PostcodeKind.NONE, None)


def looks_like_postcode_attempt(text: str | None) -> bool:
    """True if *text* is not a place name but probably a mistyped postcode (it has a digit)."""
    return any(ch.isdigit() for ch in (text or ""))


def compact(pc: str) -> str:
    """Index key form of a postcode: upper case, no spaces ("LS11BA")."""
    return pc.replace(" ", "").upper()


def outcode_of(text: str | None) -> str | None:
    """Outcode of a full postcode, sector or outcode ("LS1 1BA" -> "LS1")."""
    c = classify(text)
    if c.kind is PostcodeKind.FULL or c.kind is PostcodeKind.SECTOR:
        return c.value.split(" ")[0] if c.value else None
    if c.kind is PostcodeKind.OUTCODE:
        return c.value
    return None


def sector_of(text: str | None) -> str | None:
    """Sector of a full postcode or sector ("LS1 1BA" -> "LS1 1")."""
    c = classify(text)
    if c.value is None:
        return None
    if c.kind is PostcodeKind.FULL:
        return c.value[:-2]
    if c.kind is PostcodeKind.SECTOR:
        return c.value
    return None


def area_of(text: str | None) -> str | None:
    """Postcode area letters of a full postcode, sector, outcode or area ("LS1 1BA" -> "LS")."""
    c = classify(text)
    if c.value is None:
        return None
    m = _AREA_PREFIX_RE.match(c.value)
    return m.group(0) if m else None


def is_northern_ireland(text: str | None) -> bool:
    """True for Northern Ireland postcodes (area BT), which Code-Point Open does not cover."""
    return area_of(text) == "BT"
