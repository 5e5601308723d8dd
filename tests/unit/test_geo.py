"""Tests for the offline geocoder (signpost.geo), against the real Code-Point Open data.

The index is built once per session (about 10 s). Set SIGNPOST_POSTCODE_INDEX to an already
built file to reuse it.
"""

from __future__ import annotations

import gzip
import logging
import math
import os
import pickle
import random
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from signpost.geo import index_build
from signpost.geo.geocoder import (
    SCHEMA_VERSION,
    AmbiguousPlaceError,
    Geocoder,
    IndexUnavailableError,
    LocationError,
    ResolvedLocation,
    place_key,
    place_keys,
)
from signpost.geo.postcodes import (
    PostcodeKind,
    area_of,
    classify,
    compact,
    is_northern_ireland,
    looks_like_postcode_attempt,
    normalise_postcode,
    outcode_of,
    sector_of,
)

# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reuse = os.environ.get("SIGNPOST_POSTCODE_INDEX")
    if reuse and Path(reuse).is_file():
        return Path(reuse)
    path = tmp_path_factory.mktemp("geo") / "postcodes.sqlite"
    index_build.build_index(path)
    return path


@pytest.fixture(scope="session")
def geocoder(index_path: Path) -> Iterator[Geocoder]:
    gc = Geocoder(index_path)
    yield gc
    gc.close()


@pytest.fixture(scope="session")
def raw_db(index_path: Path) -> Iterator[sqlite3.Connection]:
    """Direct read-only access to the index, to check what was built."""
    conn = sqlite3.connect(index_path.resolve().as_uri() + "?mode=ro", uri=True)
    yield conn
    conn.close()


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def distance_to(loc: ResolvedLocation, lat: float, lon: float) -> float:
    return haversine_m(loc.latitude, loc.longitude, lat, lon)


# ---------------------------------------------------------------------------------------------
# postcodes.py: pure functions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LS1 1BA", "LS1 1BA"),
        ("ls11ba", "LS1 1BA"),
        (" LS1  1BA ", "LS1 1BA"),
        ("sw1a1aa", "SW1A 1AA"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("ec1a 1bb", "EC1A 1BB"),
        ("M1 1AE", "M1 1AE"),
        ("b33 8th", "B33 8TH"),
        ("W1A 0AX", "W1A 0AX"),
        ("TR1 2HE.", "TR1 2HE"),
        ("\tbt1 1aa\n", "BT1 1AA"),
        ("LS1 1B", None),
        ("LS1", None),
        ("LS1 1", None),
        ("12345", None),
        ("Leeds", None),
        ("", None),
        (None, None),
        ("QS1 1AA", None),  # Q never starts a postcode
        ("LS1 1CA", None),  # C is never an inward letter
        ("ZZ99 9ZZ", None),  # Z is never the second letter of an area
        ("LS1 1BAA", None),
    ],
)
def test_normalise_postcode(text: str | None, expected: str | None) -> None:
    assert normalise_postcode(text) == expected


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("ls1 1ba", PostcodeKind.FULL, "LS1 1BA"),
        ("LS1 1", PostcodeKind.SECTOR, "LS1 1"),
        ("ls1  1", PostcodeKind.SECTOR, "LS1 1"),
        ("LS1", PostcodeKind.OUTCODE, "LS1"),
        ("LS11", PostcodeKind.OUTCODE, "LS11"),
        ("sw1a", PostcodeKind.OUTCODE, "SW1A"),
        ("EC1A", PostcodeKind.OUTCODE, "EC1A"),
        ("m1", PostcodeKind.OUTCODE, "M1"),
        ("LS", PostcodeKind.AREA, "LS"),
        ("e", PostcodeKind.AREA, "E"),
        ("Leeds", PostcodeKind.NONE, None),
        ("LS1 1B", PostcodeKind.NONE, None),
        ("12345", PostcodeKind.NONE, None),
        ("", PostcodeKind.NONE, None),
        ("   ", PostcodeKind.NONE, None),
    ],
)
def test_classify(text: str, kind: PostcodeKind, value: str | None) -> None:
    c = classify(text)
    assert (c.kind, c.value) == (kind, value)


@pytest.mark.parametrize(
    ("text", "outcode", "sector", "area"),
    [
        ("LS1 1BA", "LS1", "LS1 1", "LS"),
        ("sw1a1aa", "SW1A", "SW1A 1", "SW"),
        ("M1 1AE", "M1", "M1 1", "M"),
        ("LS1 1", "LS1", "LS1 1", "LS"),
        ("EC1A", "EC1A", None, "EC"),
        ("LS", None, None, "LS"),
        ("Leeds", None, None, None),
    ],
)
def test_postcode_parts(
    text: str, outcode: str | None, sector: str | None, area: str | None
) -> None:
    assert outcode_of(text) == outcode
    assert sector_of(text) == sector
    assert area_of(text) == area


@pytest.mark.parametrize(
    ("text", "expected"),
    [("BT1 1AA", True), ("bt71 4pq", True), ("BT1", True), ("B1 1AA", False), ("Belfast", False)],
)
def test_is_northern_ireland(text: str, expected: bool) -> None:
    assert is_northern_ireland(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"), [("LS1 1B", True), ("12345", True), ("Leeds", False), ("", False)]
)
def test_looks_like_postcode_attempt(text: str, expected: bool) -> None:
    assert looks_like_postcode_attempt(text) is expected


def test_compact_is_the_index_key_form() -> None:
    assert compact("ls1 1ba") == "LS11BA"


# ---------------------------------------------------------------------------------------------
# Place-name keys
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Leeds", "leeds"),
        ("  LEEDS  ", "leeds"),
        ("Stoke-on-Trent", "stoke on trent"),
        ("King's Lynn", "kings lynn"),
        ("King\u2019s Lynn", "kings lynn"),
        ("St. Helens", "st helens"),
        ("Ynys Môn", "ynys mon"),
        ("Bo\u2019ness", "boness"),
        ("!!!", ""),
    ],
)
def test_place_key(text: str, expected: str) -> None:
    assert place_key(text) == expected


def test_place_keys_adds_saint_and_upon_variants() -> None:
    assert place_keys("St Ives") == {"st ives", "saint ives"}
    assert place_keys("Saint Albans") == {"saint albans", "st albans"}
    assert "kingston on hull" in place_keys("Kingston upon Hull")


# ---------------------------------------------------------------------------------------------
# index_build.py: what the built index contains
# ---------------------------------------------------------------------------------------------


def _scalar(conn: sqlite3.Connection, sql: str, *params: object) -> Any:
    return conn.execute(sql, params).fetchone()[0]


def test_index_has_all_gb_postcodes_with_coordinates(raw_db: sqlite3.Connection) -> None:
    n = _scalar(raw_db, "SELECT COUNT(*) FROM postcodes")
    assert 1_700_000 < n < 1_800_000
    # Stored compact and upper case.
    assert _scalar(raw_db, "SELECT COUNT(*) FROM postcodes WHERE pc LIKE '% %'") == 0
    assert _scalar(raw_db, "SELECT COUNT(*) FROM postcodes WHERE pc != UPPER(pc)") == 0
    # Quality-90 rows (no coordinates) are skipped rather than stored at (0, 0).
    assert _scalar(raw_db, "SELECT COUNT(*) FROM postcodes WHERE lat < 49 OR lat > 61") == 0
    assert _scalar(raw_db, "SELECT COUNT(*) FROM postcodes WHERE pc = 'AB431AG'") == 0


def test_index_aggregates_and_places(raw_db: sqlite3.Connection) -> None:
    assert 10_000 < _scalar(raw_db, "SELECT COUNT(*) FROM sectors") < 12_000
    assert 2_700 < _scalar(raw_db, "SELECT COUNT(*) FROM outcodes") < 3_100
    assert _scalar(raw_db, "SELECT COUNT(*) FROM areas") == 120
    assert _scalar(raw_db, "SELECT COUNT(*) FROM areas WHERE area = 'BT'") == 0
    # Every postcode is counted once at each level.
    total = _scalar(raw_db, "SELECT COUNT(*) FROM postcodes")
    for table in ("sectors", "outcodes", "areas"):
        assert _scalar(raw_db, f"SELECT SUM(n) FROM {table}") == total
    assert _scalar(raw_db, "SELECT COUNT(DISTINCT name || lat || lon) FROM places") > 5_000
    countries = {r[0] for r in raw_db.execute("SELECT DISTINCT country FROM places")}
    assert countries == {"ENG", "SCT", "WLS", "NI"}
    assert _scalar(raw_db, "SELECT country FROM places WHERE key = 'belfast'") == "NI"
    # Cyprus base areas are listed as GB by GeoNames but are not in the UK.
    assert _scalar(raw_db, "SELECT COUNT(*) FROM places WHERE key = 'akrotiri'") == 0


def test_index_keys_match_the_postcode_patterns(raw_db: sqlite3.Connection) -> None:
    # Every real outcode and sector must be recognised by classify(), or users typing them
    # would be told they made a mistake.
    outcodes = [r[0] for r in raw_db.execute("SELECT outcode FROM outcodes")]
    assert [o for o in outcodes if classify(o).kind is not PostcodeKind.OUTCODE] == []
    sectors = [r[0] for r in raw_db.execute("SELECT sector FROM sectors")]
    assert [s for s in sectors if classify(s).kind is not PostcodeKind.SECTOR] == []


def test_index_meta(raw_db: sqlite3.Connection) -> None:
    meta = dict(raw_db.execute("SELECT key, value FROM meta").fetchall())
    assert meta["schema_version"] == SCHEMA_VERSION
    assert "Code-Point Open" in meta["postcode_source"]
    assert "GeoNames" in meta["place_source"]
    assert meta["built_at"][:2] == "20"
    assert int(meta["count_postcodes"]) == _scalar(raw_db, "SELECT COUNT(*) FROM postcodes")


def test_non_geographic_outcodes_are_flagged(raw_db: sqlite3.Connection) -> None:
    flags = dict(raw_db.execute("SELECT outcode, geographic FROM outcodes").fetchall())
    # PO-box / large-user outcodes...
    assert flags["CF95"] == 0
    assert flags["BN50"] == 0
    assert flags["EC1P"] == 0
    # ...but real districts, including tiny remote ones, are kept.
    assert flags["CF10"] == 1
    assert flags["LS1"] == 1
    assert flags["ZE1"] == 1
    assert flags["PA62"] == 1


def test_index_agrees_with_source_csv(raw_db: sqlite3.Connection) -> None:
    """A sample of raw Code-Point rows, converted independently, matches the index."""
    import pyproj

    transformer = pyproj.Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    path = index_build.codepoint_csv_dir() / "tr.csv.gz"
    with gzip.open(path, "rt", encoding="ascii") as fh:
        rows = [line.split(",") for line in fh.read().splitlines()]
    rows = [r for r in rows if r[1] != "90"]
    for pc, _q, easting, northing in random.Random(7).sample(rows, 50):
        lon, lat = transformer.transform(float(easting), float(northing))
        got = raw_db.execute(
            "SELECT lat, lon FROM postcodes WHERE pc = ?", (pc.replace(" ", ""),)
        ).fetchone()
        assert got is not None, pc
        assert haversine_m(lat, lon, got[0], got[1]) < 1.0


def _tiny_area_files() -> list[Path]:
    # Shetland and the Western Isles: two small real areas, for quick builds.
    csv_dir = index_build.codepoint_csv_dir()
    return [csv_dir / "hs.csv.gz", csv_dir / "ze.csv.gz"]


def _tiny_places() -> tuple[list[tuple[str, str, float, float, int, str]], str]:
    return [("lerwick", "Lerwick", 60.15, -1.14, 7000, "SCT")], "test"


def test_build_reports_progress_and_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_build, "area_files", _tiny_area_files)
    monkeypatch.setattr(index_build, "_place_rows", _tiny_places)
    calls: list[int] = []
    target = tmp_path / "mini.sqlite"
    counts = index_build.build_index(target, progress=calls.append)
    assert calls == [1, 2]
    assert counts["areas"] == 2
    assert counts["places"] == 1
    assert counts["postcodes"] > 1_000
    # Only the finished file is left behind: no temporary files.
    assert [p.name for p in tmp_path.iterdir()] == ["mini.sqlite"]
    gc = Geocoder(target)
    try:
        assert gc.resolve("Lerwick").outcode == "ZE1"
        assert gc.resolve("HS1").precision == "outcode"
    finally:
        gc.close()


def test_failed_build_leaves_existing_index_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom() -> None:
        raise RuntimeError("GeoNames unavailable")

    monkeypatch.setattr(index_build, "area_files", _tiny_area_files)
    monkeypatch.setattr(index_build, "_place_rows", boom)
    target = tmp_path / "postcodes.sqlite"
    target.write_bytes(b"previous index")
    with pytest.raises(RuntimeError, match="GeoNames unavailable"):
        index_build.build_index(target)
    assert target.read_bytes() == b"previous index"
    assert [p.name for p in tmp_path.iterdir()] == ["postcodes.sqlite"]


def test_cli_builds_an_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(index_build, "area_files", _tiny_area_files)
    monkeypatch.setattr(index_build, "_place_rows", _tiny_places)
    target = tmp_path / "out" / "geo.sqlite"
    assert index_build.main([str(target)]) == 0
    assert target.is_file()
    assert "postcodes=" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# geocoder.py: full postcodes
# ---------------------------------------------------------------------------------------------

# Published positions (Wikipedia) of well-known buildings with their own postcodes.
BUCKINGHAM_PALACE = (51.50101, -0.14156)  # SW1A 1AA
DOWNING_STREET = (51.5033, -0.1275)  # SW1A 2AA
SCOTTISH_PARLIAMENT = (55.9522, -3.1750)  # EH99 1SP
LEEDS_STATION = (53.79520, -1.54760)
TRURO = (50.26526, -5.05436)


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("SW1A 1AA", "SW1A 1AA", BUCKINGHAM_PALACE),
        ("sw1a1aa", "SW1A 1AA", BUCKINGHAM_PALACE),
        ("SW1A 2AA", "SW1A 2AA", DOWNING_STREET),
        ("EH99 1SP", "EH99 1SP", SCOTTISH_PARLIAMENT),
    ],
)
def test_full_postcode_matches_published_position(
    geocoder: Geocoder, text: str, name: str, expected: tuple[float, float]
) -> None:
    loc = geocoder.resolve(text)
    assert loc.name == name
    assert loc.precision == "postcode"
    assert distance_to(loc, *expected) < 100


def test_full_postcode_leeds(geocoder: Geocoder) -> None:
    loc = geocoder.resolve("LS1 1BA")
    assert (loc.name, loc.precision, loc.outcode, loc.area) == ("LS1 1BA", "postcode", "LS1", "LS")
    # Just west of Leeds station, in the city centre.
    assert distance_to(loc, *LEEDS_STATION) < 1_000


def test_random_postcodes_round_trip(geocoder: Geocoder, raw_db: sqlite3.Connection) -> None:
    keys = [r[0] for r in raw_db.execute("SELECT pc FROM postcodes WHERE pc LIKE 'M%'")]
    for key in random.Random(1).sample(keys, 200):
        loc = geocoder.resolve(key.lower())
        assert loc.precision == "postcode"
        assert compact(loc.name) == key
        assert loc.outcode == loc.name.split(" ")[0]
        assert (loc.latitude, loc.longitude) == geocoder.lookup_postcode(key)


def test_lookup_postcode(geocoder: Geocoder) -> None:
    coords = geocoder.lookup_postcode("sw1a 1aa")
    assert coords is not None
    assert haversine_m(*coords, *BUCKINGHAM_PALACE) < 100
    assert geocoder.lookup_postcode("SW1A 9ZZ") is None  # well formed, does not exist
    assert geocoder.lookup_postcode("not a postcode") is None


def test_address_ending_in_postcode_uses_the_postcode(geocoder: Geocoder) -> None:
    loc = geocoder.resolve("Buckingham Palace, London SW1A 1AA")
    assert (loc.name, loc.precision) == ("SW1A 1AA", "postcode")


# ---------------------------------------------------------------------------------------------
# geocoder.py: partial postcodes
# ---------------------------------------------------------------------------------------------


def test_sector_centroid(geocoder: Geocoder) -> None:
    loc = geocoder.resolve("ls1 1")
    assert (loc.name, loc.precision, loc.outcode, loc.area) == (
        "LS1 1 (partial postcode)",
        "sector",
        "LS1",
        "LS",
    )
    assert distance_to(loc, *LEEDS_STATION) < 1_500


def test_outcode_centroid(geocoder: Geocoder) -> None:
    loc = geocoder.resolve("TR1")
    assert (loc.name, loc.precision, loc.outcode, loc.area) == (
        "TR1 (partial postcode)",
        "outcode",
        "TR1",
        "TR",
    )
    assert distance_to(loc, *TRURO) < 3_000


def test_london_outcode_with_letter(geocoder: Geocoder) -> None:
    loc = geocoder.resolve("sw1a")
    assert (loc.precision, loc.outcode) == ("outcode", "SW1A")
    assert distance_to(loc, *BUCKINGHAM_PALACE) < 2_000


def test_split_london_district_without_letter(geocoder: Geocoder) -> None:
    # "EC1" is not itself an outcode (EC1A, EC1M... are), but people type it.
    loc = geocoder.resolve("EC1")
    assert (loc.precision, loc.outcode, loc.area) == ("outcode", "EC1", "EC")
    ec1a = geocoder.resolve("EC1A")
    assert distance_to(loc, ec1a.latitude, ec1a.longitude) < 2_000


def test_area_centroid(geocoder: Geocoder) -> None:
    loc = geocoder.resolve("LS")
    assert (loc.precision, loc.outcode, loc.area) == ("area", None, "LS")
    assert distance_to(loc, *LEEDS_STATION) < 15_000


# ---------------------------------------------------------------------------------------------
# geocoder.py: place names
# ---------------------------------------------------------------------------------------------


def test_place_truro(geocoder: Geocoder) -> None:
    loc = geocoder.resolve("Truro")
    assert (loc.name, loc.precision, loc.outcode, loc.area) == ("Truro", "place", "TR1", "TR")
    assert distance_to(loc, *TRURO) < 1_000


@pytest.mark.parametrize("text", ["leeds", "LEEDS", "  Leeds ", "Leeds, West Yorkshire"])
def test_place_leeds_variants(geocoder: Geocoder, text: str) -> None:
    loc = geocoder.resolve(text)
    assert (loc.name, loc.precision, loc.area) == ("Leeds", "place", "LS")
    assert loc.outcode is not None and loc.outcode.startswith("LS")
    assert distance_to(loc, *LEEDS_STATION) < 2_000


def test_place_brighton(geocoder: Geocoder) -> None:
    loc = geocoder.resolve("Brighton")
    assert (loc.name, loc.precision, loc.area) == ("Brighton", "place", "BN")
    # Not BN50/BN88 etc., which are PO-box outcodes in the town centre.
    assert loc.outcode in {"BN1", "BN2", "BN3"}


def test_place_outcode_is_never_non_geographic(
    geocoder: Geocoder, raw_db: sqlite3.Connection
) -> None:
    for town in ("Cardiff", "Brighton", "Manchester", "Liverpool", "Sheffield", "Bristol"):
        outcode = geocoder.resolve(town).outcode
        assert _scalar(raw_db, "SELECT geographic FROM outcodes WHERE outcode = ?", outcode) == 1


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hull", "Kingston upon Hull"),
        ("stoke", "Stoke-on-Trent"),
        ("kings lynn", "King's Lynn"),
        ("Stoke on Trent", "Stoke-on-Trent"),
        ("saint helens", "St Helens"),
    ],
)
def test_place_aliases(geocoder: Geocoder, text: str, name: str) -> None:
    assert geocoder.resolve(text).name == name


def test_ambiguous_place_is_never_guessed(geocoder: Geocoder) -> None:
    # Richmond upon Thames and Richmond, North Yorkshire: the person chooses.
    with pytest.raises(AmbiguousPlaceError) as info:
        geocoder.resolve("Richmond")
    assert {c.area for c in info.value.candidates} == {"TW", "DL"}


def test_misspelling_alias_does_not_hide_real_village(geocoder: Geocoder) -> None:
    # GeoNames lists "Briston" as a variant of Bristol; Briston is also a Norfolk village.
    loc = geocoder.resolve("Briston")
    assert loc.name == "Briston"
    assert loc.area == "NR"


def test_northern_ireland_town_resolves_without_gb_outcode(geocoder: Geocoder) -> None:
    loc = geocoder.resolve("Belfast")
    assert (loc.name, loc.precision, loc.outcode, loc.area) == ("Belfast", "place", None, "BT")


def test_nearest_outcode(geocoder: Geocoder) -> None:
    assert geocoder.nearest_outcode(*TRURO) == "TR1"
    assert geocoder.nearest_outcode(60.155, -1.145) == "ZE1"  # Lerwick


def test_suggest_places(geocoder: Geocoder) -> None:
    assert geocoder.suggest_places("brigh")[0] == "Brighton"
    names = geocoder.suggest_places("new", limit=3)
    assert len(names) == 3
    assert all(n.lower().startswith("new") for n in names)
    assert geocoder.suggest_places("") == []
    assert geocoder.suggest_places("xqzw") == []


# ---------------------------------------------------------------------------------------------
# geocoder.py: errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty_location"),
        ("   ", "empty_location"),
        ("BT99 1AA", "northern_ireland"),  # not a Royal Mail district
        ("BT50", "northern_ireland"),
        ("LS1 1B", "invalid_postcode"),
        ("12345", "invalid_postcode"),
        ("ZZ99 9ZZ", "invalid_postcode"),  # NHS pseudo-postcode: not a real postcode shape
        ("SW1A 9ZZ", "unknown_postcode"),
        ("AB43 1AG", "unknown_postcode"),  # real, but Code-Point Open has no coordinates
        ("TR1 5", "unknown_postcode"),
        ("LS97", "unknown_postcode"),
        ("Narnia", "unknown_place"),
        ("Leeds West Yorkshire", "unknown_place"),
    ],
)
def test_resolve_errors(geocoder: Geocoder, text: str, code: str) -> None:
    with pytest.raises(LocationError) as info:
        geocoder.resolve(text)
    assert info.value.code == code
    assert info.value.message
    assert str(info.value) == info.value.message


def test_error_messages_are_plain_english(geocoder: Geocoder) -> None:
    messages = {}
    for text in ("BT99 1AA", "LS99 9ZZ", "Narnia", "LS1 1B", ""):
        with pytest.raises(LocationError) as info:
            geocoder.resolve(text)
        messages[info.value.code] = info.value.message
    assert messages["unknown_postcode"] == (
        "We could not find the postcode LS99 9ZZ. Check it and try again, or enter a town."
    )
    assert "Northern Ireland" in messages["northern_ireland"]
    assert "town" in messages["northern_ireland"]
    assert "Narnia" in messages["unknown_place"]
    for message in messages.values():
        for jargon in ("outcode", "Code-Point", "index", "geocod", "sector"):
            assert jargon not in message


def test_long_input_is_not_echoed_in_full(geocoder: Geocoder) -> None:
    with pytest.raises(LocationError) as info:
        geocoder.resolve("x" * 500)
    assert len(info.value.message) < 200


def test_location_error_pickles() -> None:
    err = LocationError("unknown_place", "We could not find a place called Narnia.")
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.code, copy.message) == (err.code, err.message)


def test_full_postcodes_are_not_logged(
    geocoder: Geocoder, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="signpost.geo"):
        geocoder.resolve("LS1 1BA")
        with pytest.raises(LocationError):
            geocoder.resolve("SW1A 9ZZ")
    assert "1BA" not in caplog.text
    assert "9ZZ" not in caplog.text


# ---------------------------------------------------------------------------------------------
# geocoder.py: connections
# ---------------------------------------------------------------------------------------------


def test_connection_is_read_only(geocoder: Geocoder) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        geocoder._conn().execute("DELETE FROM meta")


def test_each_thread_gets_its_own_connection(geocoder: Geocoder) -> None:
    texts = ["LS1 1BA", "Truro", "TR1", "SW1A 1AA", "Brighton", "LS1 1"] * 5
    expected = [geocoder.resolve(t) for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(geocoder.resolve, texts))
        conns = set(pool.map(lambda _: id(geocoder._conn()), range(16)))
    assert got == expected
    assert id(geocoder._conn()) not in conns


def test_missing_index_fails_on_first_use_not_construction(tmp_path: Path) -> None:
    gc = Geocoder(tmp_path / "nope.sqlite")
    with pytest.raises(IndexUnavailableError, match="index_build"):
        gc.resolve("LS1 1BA")


def test_stale_index_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', '0')")
    conn.commit()
    conn.close()
    with pytest.raises(IndexUnavailableError, match="Rebuild"):
        Geocoder(path).resolve("Leeds")


def test_meta_exposes_attribution(geocoder: Geocoder) -> None:
    meta = geocoder.meta()
    assert "Ordnance Survey" in meta["postcode_source"]
