"""Offline geocoder: turn what someone typed (postcode or town) into a location.

Reads the SQLite index built by :mod:`signpost.geo.index_build`. Postcodes stay on disk and
are fetched by primary key (~10-20 µs each), so a web worker never holds 1.7M postcodes in
memory. Only the ~2,900 outcode centroids are loaded, for nearest-outcode searches.

Privacy: full postcodes are personal-ish data; this module logs outcodes at most, and callers
should log ``LocationError.code`` rather than ``message`` (which may echo the user's input).
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import sqlite3
import threading
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from signpost.geo.nations import nation_of_country, nation_of_postcode
from signpost.geo.postcodes import (
    PostcodeKind,
    area_of,
    classify,
    compact,
    is_northern_ireland,
    looks_like_postcode_attempt,
    normalise_postcode,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "SCHEMA_VERSION",
    "AmbiguousPlaceError",
    "Geocoder",
    "IndexUnavailableError",
    "LocationError",
    "LocationErrorCode",
    "Precision",
    "ResolvedLocation",
    "place_key",
    "place_keys",
]

log = logging.getLogger(__name__)

# Bump whenever the index layout or key normalisation changes; the geocoder refuses an index
# whose version differs, so a stale file fails loudly instead of answering wrongly.
SCHEMA_VERSION = "1"

Precision = Literal["postcode", "sector", "outcode", "area", "place"]
LocationErrorCode = Literal[
    "empty_location",
    "invalid_postcode",
    "unknown_postcode",
    "northern_ireland",
    "unknown_place",
    "ambiguous_place",
]

# Keep echoed user input short so a pasted essay cannot blow up the page.
_ECHO_MAX = 40
# A full postcode at the end of an address: "1 Park Row, Leeds LS1 5AB".
_TRAILING_POSTCODE_RE = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{1,2}[0-9][A-Za-z0-9]?)\s*([0-9][A-Za-z]{2})[\s.]*$"
)


@dataclass(frozen=True)
class ResolvedLocation:
    name: str  # e.g. "LS1 1BA", "LS1 (partial postcode)", "Truro"
    latitude: float
    longitude: float
    precision: Precision
    outcode: str | None  # for catchment checks; for places, the outcode with nearest centroid
    area: str | None  # postcode area letters ("LS")
    nation: str | None = None  # "england", "wales", "scotland", "northern-ireland"
    near: str | None = None  # for a place: the bigger town it is near, to tell namesakes apart

    @property
    def choice_value(self) -> str:
        """What to search for to get exactly this place back: "St Ives (TR26)"."""
        if self.nation == "northern-ireland":
            return f"{self.name} (NI)"
        return f"{self.name} ({self.outcode})" if self.outcode else self.name


# "St Ives (TR26)": a place name with the outcode that tells it from its namesakes.
_CHOICE_RE = re.compile(r"^(.+?)\s*\(([A-Za-z]{1,2}[0-9][A-Za-z0-9]?|NI)\)$", re.IGNORECASE)
_APOSTROPHES_RE = re.compile(r"['\u2019\u2018`.]")
_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")


def place_key(text: str) -> str:
    """Normalise a place name for matching: "Stoke-on-Trent" -> "stoke on trent".

    Accents are folded ("Ynys Môn" -> "ynys mon"), apostrophes and full stops vanish
    ("King's Lynn" -> "kings lynn", "St. Helens" -> "st helens"), other punctuation is a space.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    folded = _APOSTROPHES_RE.sub("", folded)
    return _NON_ALNUM_RE.sub(" ", folded).strip()


def place_keys(name: str) -> set[str]:
    """The key for *name* plus cheap spelling variants people type ("st ives"/"saint ives")."""
    key = place_key(name)
    if not key:
        return set()
    keys = {key}
    words = key.split(" ")
    for i, word in enumerate(words):
        swap = {"st": "saint", "saint": "st"}.get(word)
        if swap:
            keys.add(" ".join([*words[:i], swap, *words[i + 1 :]]))
    # "Kingston upon Hull" vs "Kingston on Hull": both are common.
    if " upon " in key:
        keys.add(key.replace(" upon ", " on "))
    if " and " in key:
        keys.add(key.replace(" and ", " "))
    return keys


class LocationError(ValueError):
    """The text could not be turned into a location. ``message`` is safe to show to users."""

    def __init__(self, code: LocationErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: LocationErrorCode = code
        self.message = message

    def __reduce__(self) -> tuple[type[LocationError], tuple[LocationErrorCode, str]]:
        # Keep the error picklable (e.g. across process pools) despite the custom __init__.
        return (type(self), (self.code, self.message))


class AmbiguousPlaceError(LocationError):
    """Several places share the name: the person picks one, we never guess."""

    def __init__(self, text: str, candidates: list[ResolvedLocation]) -> None:
        super().__init__(
            "ambiguous_place",
            f"There is more than one place called {_echo(text)}. Choose one, "
            "or enter a postcode instead.",
        )
        self.text = _echo(text)
        self.candidates = candidates

    def __reduce__(self) -> tuple[type[AmbiguousPlaceError], tuple[str, list[ResolvedLocation]]]:  # type: ignore[override]
        return (type(self), (self.text, self.candidates))


class IndexUnavailableError(RuntimeError):
    """The index file is missing or was built by an incompatible version: rebuild it."""


def _echo(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _ECHO_MAX else text[: _ECHO_MAX - 1] + "…"


def _empty() -> LocationError:
    return LocationError("empty_location", "Enter a postcode or the name of a town or city.")


def _invalid(text: str) -> LocationError:
    return LocationError(
        "invalid_postcode",
        f"{_echo(text)} is not a valid postcode. Enter a full postcode, like LS1 1BA, "
        "or the name of a town.",
    )


def _unknown_postcode(shown: str) -> LocationError:
    return LocationError(
        "unknown_postcode",
        f"We could not find the postcode {shown}. Check it and try again, or enter a town.",
    )


def _northern_ireland() -> LocationError:
    # Code-Point Open (our postcode source) covers Great Britain only; NI districts are
    # placed at their post town, and a district we cannot place asks for the town.
    return LocationError(
        "northern_ireland",
        "We could not find that Northern Ireland postcode. Enter your town or city instead, "
        "for example Belfast or Enniskillen.",
    )


_NI_DISTRICTS = Path(__file__).resolve().parents[2] / "seed_data" / "ni_postcode_districts.yaml"


@functools.cache
def _ni_towns() -> dict[str, str]:
    import yaml

    raw = yaml.safe_load(_NI_DISTRICTS.read_text(encoding="utf-8"))
    return {f"BT{number}": town for town, numbers in raw["districts"].items() for number in numbers}


def ni_post_town(outcode: str) -> str | None:
    """Post town of a Northern Ireland postcode district ("BT7" -> "Belfast")."""
    return _ni_towns().get(outcode.upper())


def _unknown_place(text: str) -> LocationError:
    return LocationError(
        "unknown_place",
        f"We could not find a place called {_echo(text)}. Check the spelling, "
        "or enter a postcode instead.",
    )


class _ThreadState(threading.local):
    conn: sqlite3.Connection | None = None
    pid: int = 0


class Geocoder:
    """Look up postcodes and place names in a prebuilt index. Safe to share between threads."""

    def __init__(self, index_path: Path | str) -> None:
        self.index_path = Path(index_path)
        self._local = _ThreadState()
        self._outcodes_lock = threading.Lock()
        self._outcode_names: list[str] | None = None
        self._outcode_coords: npt.NDArray[np.float64] | None = None

    # -- connections ---------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        state = self._local
        # A connection inherited across fork (gunicorn --preload) must not be reused.
        if state.conn is None or state.pid != os.getpid():
            state.conn = self._open()
            state.pid = os.getpid()
        return state.conn

    def _open(self) -> sqlite3.Connection:
        if not self.index_path.is_file():
            raise IndexUnavailableError(
                f"Geocoding index not found at {self.index_path}. Build it with "
                f"'python -m signpost.geo.index_build {self.index_path}'."
            )
        uri = self.index_path.resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise IndexUnavailableError(f"{self.index_path} is not a geocoding index.") from exc
        if row is None or row[0] != SCHEMA_VERSION:
            conn.close()
            raise IndexUnavailableError(
                f"Geocoding index {self.index_path} has schema {row[0] if row else None!r}, "
                f"expected {SCHEMA_VERSION!r}. Rebuild it."
            )
        return conn

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        if self._local.conn is not None:
            self._local.conn.close()
            self._local.conn = None

    def meta(self) -> dict[str, str]:
        """Build metadata (sources, build date, counts), e.g. for an attribution page."""
        return dict(self._conn().execute("SELECT key, value FROM meta").fetchall())

    # -- lookups ---------------------------------------------------------------------------

    def lookup_postcode(self, pc: str) -> tuple[float, float] | None:
        """(latitude, longitude) of a full postcode, or None if malformed or not found."""
        full = normalise_postcode(pc)
        if full is None:
            return None
        row = (
            self._conn()
            .execute("SELECT lat, lon FROM postcodes WHERE pc = ?", (compact(full),))
            .fetchone()
        )
        return (row[0], row[1]) if row else None

    def _centroid(self, table: str, column: str, value: str) -> tuple[float, float] | None:
        # table/column come from our own constants, never from user input.
        row = (
            self._conn()
            .execute(f"SELECT lat, lon FROM {table} WHERE {column} = ?", (value,))
            .fetchone()
        )
        return (row[0], row[1]) if row else None

    def _district_centroid(self, outcode: str) -> tuple[float, float] | None:
        """Centroid of a split London district typed without its letter ("EC1", "W1")."""
        row = (
            self._conn()
            .execute(
                "SELECT SUM(lat * n) / SUM(n), SUM(lon * n) / SUM(n) FROM outcodes "
                "WHERE outcode GLOB ?",
                (outcode + "[A-Z]",),
            )
            .fetchone()
        )
        return (round(row[0], 6), round(row[1], 6)) if row and row[0] is not None else None

    def _load_outcodes(self) -> tuple[list[str], npt.NDArray[np.float64]]:
        import numpy as np

        with self._outcodes_lock:
            if self._outcode_names is None or self._outcode_coords is None:
                # Non-geographic outcodes (PO boxes, large users) are not places to be near.
                rows = (
                    self._conn()
                    .execute("SELECT outcode, lat, lon FROM outcodes WHERE geographic = 1")
                    .fetchall()
                )
                self._outcode_names = [r[0] for r in rows]
                self._outcode_coords = np.array(
                    [(r[1], r[2]) for r in rows], dtype=np.float64
                ).reshape(-1, 2)
            return self._outcode_names, self._outcode_coords

    def nearest_outcode(self, lat: float, lon: float) -> str | None:
        """Outcode whose postcode centroid is nearest to (lat, lon)."""
        import numpy as np

        names, coords = self._load_outcodes()
        if not names:
            return None
        # Equirectangular distance: exact enough to rank points a few km apart.
        dlat = coords[:, 0] - lat
        dlon = (coords[:, 1] - lon) * np.cos(np.radians(lat))
        return names[int(np.argmin(dlat * dlat + dlon * dlon))]

    def _place_rows(self, key: str) -> list[tuple[str, float, float, int, str]]:
        return (
            self._conn()
            .execute(
                "SELECT name, lat, lon, population, country FROM places WHERE key = ? "
                "ORDER BY population DESC, name",
                (key,),
            )
            .fetchall()
        )

    def _place(self, name: str, lat: float, lon: float, country: str) -> ResolvedLocation:
        if country == "NI":
            # The nearest GB outcode would be across the sea; every NI postcode is area BT.
            outcode, area = None, "BT"
        else:
            outcode = self.nearest_outcode(lat, lon)
            area = area_of(outcode) if outcode else None
        return ResolvedLocation(
            name, lat, lon, "place", outcode, area, nation=nation_of_country(country)
        )

    def _nearby_town(self, lat: float, lon: float, population: int) -> str | None:
        """The nearest clearly bigger town within about 40 km, to tell namesakes apart."""
        rows = (
            self._conn()
            .execute(
                "SELECT name, lat, lon FROM places WHERE population >= ? "
                "AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?",
                (max(population * 2, 15000), lat - 0.4, lat + 0.4, lon - 0.6, lon + 0.6),
            )
            .fetchall()
        )
        if not rows:
            return None
        scale = math.cos(math.radians(lat))
        return min(rows, key=lambda r: (r[1] - lat) ** 2 + ((r[2] - lon) * scale) ** 2)[0]

    def place_candidates(self, text: str) -> list[ResolvedLocation]:
        """Every distinct place a name could mean, biggest first.

        Hamlets far smaller than the best match (under 1% of its population) are left
        out: nobody typing "London" means a farm of the same name.
        """
        rows = self._place_rows(place_key(text))
        if not rows:
            return []
        top = max(rows[0][3], 1)
        seen: set[tuple[str, float, float]] = set()
        found = []
        for name, lat, lon, population, country in rows:
            spot = (name, round(lat, 2), round(lon, 2))
            if spot in seen or (found and population < top * 0.01):
                continue
            seen.add(spot)
            place = self._place(name, lat, lon, country)
            found.append((place, population))
        if len(found) < 2:
            return [place for place, _ in found]
        return [
            replace(place, near=self._nearby_town(place.latitude, place.longitude, pop))
            for place, pop in found[:8]
        ]

    def _find_place(self, text: str) -> ResolvedLocation | None:
        """The place a name means, or None. Raises AmbiguousPlaceError when it could be
        several real towns (the second at least 2% the size of the first)."""
        chosen = _CHOICE_RE.match(text.strip())
        if chosen is not None:
            # "St Ives (TR26)": a choice made on the "Which St Ives?" page.
            name, outcode = chosen.group(1), chosen.group(2).upper()
            for place in self.place_candidates(name):
                if place.choice_value.upper() == f"{place.name} ({outcode})".upper():
                    return place
        rows = self._place_rows(place_key(text))
        if not rows:
            return None
        candidates = self.place_candidates(text)
        if len(candidates) > 1:
            sizes = sorted(
                {(r[0], round(r[1], 2), round(r[2], 2)): r[3] for r in rows}.values(), reverse=True
            )
            if sizes[1] >= max(sizes[0], 1) * 0.02:
                raise AmbiguousPlaceError(text, candidates)
        name, lat, lon, _, country = rows[0]
        return self._place(name, lat, lon, country)

    def suggest_places(self, prefix: str, limit: int = 5) -> list[str]:
        """Place names starting with *prefix*, most populous first (for autocomplete)."""
        key = place_key(prefix)
        if not key or limit <= 0:
            return []
        rows = (
            self._conn()
            .execute(
                "SELECT name FROM places WHERE key >= ? AND key < ? "
                "GROUP BY name ORDER BY MAX(population) DESC, name LIMIT ?",
                (key, key + "\uffff", limit * 4),
            )
            .fetchall()
        )
        # Matches via an alternate name ("New Sarum" -> Salisbury) would look like a bug in a
        # suggestion list, so only keep names that themselves start with what was typed.
        names = [r[0] for r in rows if any(k.startswith(key) for k in place_keys(r[0]))]
        return names[:limit]

    # -- the main entry point ----------------------------------------------------------------

    def resolve(self, text: str) -> ResolvedLocation:
        """Resolve a postcode (full, sector, outcode or area) or a place name.

        Raises LocationError with a user-facing message when that is not possible.
        """
        text = (text or "").strip()
        if not text:
            raise _empty()

        found = self._resolve_postcode_like(text)
        if found is not None:
            return found

        place = self._find_place(text)
        if place is not None:
            return place

        # An address ending in a postcode ("1 Park Row, Leeds LS1 5AB"): the postcode is more
        # precise than any town in front of it.
        m = _TRAILING_POSTCODE_RE.search(text)
        if m is not None:
            full = normalise_postcode(m.group(1) + m.group(2))
            if full is not None:
                found = self._resolve_postcode_like(full)
                if found is not None:
                    return found

        if "," in text:
            # "Leeds, West Yorkshire": the county is noise; try the part before the comma.
            place = self._find_place(text.split(",", 1)[0])
            if place is not None:
                return place

        if looks_like_postcode_attempt(text):
            raise _invalid(text)
        raise _unknown_place(text)

    def _resolve_postcode_like(self, text: str) -> ResolvedLocation | None:
        """Resolve a full postcode, sector or outcode; None if the text is not one of those.

        A bare area ("LS") also resolves when it is a real area, since no UK town has a
        one- or two-letter name; otherwise it falls through to place names.
        """
        c = classify(text)
        if c.kind is PostcodeKind.NONE or c.value is None:
            return None
        value = c.value
        if is_northern_ireland(value) and c.kind is not PostcodeKind.AREA:
            # Checked before lookup: NI is missing from the data, not a typo.
            return self._northern_ireland_postcode(value)

        if c.kind is PostcodeKind.FULL:
            outcode = value.split(" ")[0]
            log.debug("geocode postcode in outcode %s", outcode)
            coords = self.lookup_postcode(value)
            if coords is None:
                raise _unknown_postcode(value)
            return ResolvedLocation(
                value, *coords, "postcode", outcode, area_of(outcode), nation_of_postcode(value)
            )

        if c.kind is PostcodeKind.SECTOR:
            coords = self._centroid("sectors", "sector", value)
            if coords is None:
                raise _unknown_postcode(value)
            outcode = value.split(" ")[0]
            return ResolvedLocation(
                f"{value} (partial postcode)",
                *coords,
                "sector",
                outcode,
                area_of(outcode),
                nation_of_postcode(value),
            )

        if c.kind is PostcodeKind.OUTCODE:
            coords = self._centroid("outcodes", "outcode", value)
            if coords is None:
                coords = self._district_centroid(value)
            if coords is None:
                raise _unknown_postcode(value)
            return ResolvedLocation(
                f"{value} (partial postcode)",
                *coords,
                "outcode",
                value,
                area_of(value),
                nation_of_postcode(value),
            )

        # PostcodeKind.AREA
        coords = self._centroid("areas", "area", value)
        if coords is None:
            return None
        return ResolvedLocation(
            f"{value} (partial postcode)", *coords, "area", None, value, nation_of_postcode(value)
        )

    def _northern_ireland_postcode(self, value: str) -> ResolvedLocation:
        """A BT postcode, placed at the centre of its post town (see ni_postcode_districts)."""
        outcode = value.split(" ")[0]
        town = ni_post_town(outcode)
        rows = self._place_rows(place_key(town)) if town else []
        row = next((r for r in rows if r[4] == "NI"), None)
        if row is None:
            raise _northern_ireland()
        name, lat, lon, _, _ = row
        return ResolvedLocation(
            f"{outcode} ({name} area)", lat, lon, "outcode", outcode, "BT", "northern-ireland"
        )
