"""Four nations: where a person is, which crisis lines fit them, and places that share a name."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from signpost.crisis import NATIONS, all_lines, crisis_lines, nation, other_nation_lines
from signpost.geo import index_build
from signpost.geo.geocoder import AmbiguousPlaceError, Geocoder, ni_post_town
from signpost.geo.nations import nation_of_postcode

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def geocoder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Geocoder]:
    reuse = os.environ.get("SIGNPOST_POSTCODE_INDEX")
    if reuse and Path(reuse).is_file():
        path = Path(reuse)
    else:
        path = tmp_path_factory.mktemp("geo") / "postcodes.sqlite"
        index_build.build_index(path)
    gc = Geocoder(path)
    yield gc
    gc.close()


@pytest.mark.parametrize(
    ("postcode", "expected"),
    [
        ("LS6 3HN", "england"),
        ("EH1 1YZ", "scotland"),
        ("G1", "scotland"),
        ("CF10 1AA", "wales"),
        ("LL57", "wales"),
        ("SY23 1DE", "wales"),  # Aberystwyth: Welsh district of the Shrewsbury area
        ("SY1 1AA", "england"),  # Shrewsbury
        ("CH7 1AA", "wales"),  # Mold
        ("CH1 1AA", "england"),  # Chester
        ("TD15 1AA", "england"),  # Berwick-upon-Tweed
        ("TD1 1AA", "scotland"),  # Galashiels
        ("BT7 1NN", "northern-ireland"),
        ("not a postcode", None),
    ],
)
def test_nation_of_postcode(postcode: str, expected: str | None) -> None:
    assert nation_of_postcode(postcode) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LS6 3HN", "england"),
        ("Edinburgh", "scotland"),
        ("Cardiff", "wales"),
        ("Belfast", "northern-ireland"),
        ("Enniskillen", "northern-ireland"),
        ("EH1", "scotland"),
    ],
)
def test_resolved_location_knows_its_nation(geocoder: Geocoder, text: str, expected: str) -> None:
    assert geocoder.resolve(text).nation == expected


@pytest.mark.parametrize(
    ("text", "town", "outcode"),
    [("BT1 1AA", "Belfast", "BT1"), ("bt74 6aa", "Enniskillen", "BT74"), ("BT48", "Derry", "BT48")],
)
def test_northern_ireland_postcodes_resolve_to_their_post_town(
    geocoder: Geocoder, text: str, town: str, outcode: str
) -> None:
    loc = geocoder.resolve(text)
    town_loc = geocoder.resolve(town)
    assert (loc.nation, loc.outcode, loc.area) == ("northern-ireland", outcode, "BT")
    assert (loc.latitude, loc.longitude) == (town_loc.latitude, town_loc.longitude)
    assert town in loc.name and loc.precision == "outcode"  # "distances from the centre of"


def test_every_ni_district_town_is_in_the_gazetteer(geocoder: Geocoder) -> None:
    raw = yaml.safe_load((ROOT / "seed_data" / "ni_postcode_districts.yaml").read_text())
    assert raw["source"].startswith("https://")
    for numbers in raw["districts"].values():
        for number in numbers:
            assert geocoder.resolve(f"BT{number}").nation == "northern-ireland"
    assert ni_post_town("BT50") is None


@pytest.mark.parametrize(
    ("typed", "areas"),
    [("St Ives", {"TR", "PE"}), ("Newport", {"NP", "PO"}), ("Bangor", {"BT", "LL"})],
)
def test_a_shared_place_name_asks_which_one(
    geocoder: Geocoder, typed: str, areas: set[str]
) -> None:
    with pytest.raises(AmbiguousPlaceError) as info:
        geocoder.resolve(typed)
    candidates = info.value.candidates
    assert areas <= {c.area for c in candidates}
    assert info.value.code == "ambiguous_place"
    for candidate in candidates:
        # The choice comes back as exactly that place, never the biggest namesake.
        again = geocoder.resolve(candidate.choice_value)
        assert (again.latitude, again.longitude) == (candidate.latitude, candidate.longitude)


def test_st_ives_cornwall_is_told_apart_from_cambridgeshire(geocoder: Geocoder) -> None:
    with pytest.raises(AmbiguousPlaceError) as info:
        geocoder.resolve("St Ives")
    cornwall = next(c for c in info.value.candidates if c.area == "TR")
    assert cornwall.near == "Penzance" and cornwall.outcode == "TR26"
    assert geocoder.resolve("St Ives (TR26)").area == "TR"


def test_a_unique_or_dominant_name_does_not_ask(geocoder: Geocoder) -> None:
    assert geocoder.resolve("Leeds").area == "LS"
    assert geocoder.resolve("London").nation == "england"  # City of London is 0.1% its size


# -- crisis lines ------------------------------------------------------------------------------


def contacts(nation_slug: str | None, age: int | None) -> set[str]:
    return {line.contact for line in crisis_lines(nation_slug, age)}


EVERYWHERE = {"999", "116 123", "85258"}


@pytest.mark.parametrize(
    ("nation_slug", "own", "not_shown"),
    [
        ("england", {"111, option 2"}, {"0808 808 8000", "0800 83 85 87"}),
        ("wales", {"111, option 2"}, {"0808 808 8000", "0800 83 85 87"}),
        ("scotland", {"111", "0800 83 85 87"}, {"111, option 2", "0808 808 8000"}),
        ("northern-ireland", {"0808 808 8000"}, {"111", "111, option 2", "0800 83 85 87"}),
    ],
)
def test_crisis_lines_per_nation(nation_slug: str, own: set[str], not_shown: set[str]) -> None:
    shown = contacts(nation_slug, 40)
    assert EVERYWHERE | own <= shown
    assert not shown & not_shown
    # The other nations' lines are still there to offer someone helping a person elsewhere.
    assert not_shown <= {line.contact for line in other_nation_lines(nation_slug)}


def test_wales_says_nhs_111_wales() -> None:
    names = {line.name for line in crisis_lines("wales", 40)}
    assert "NHS 111 Wales" in names and "NHS 111" not in names


@pytest.mark.parametrize(
    ("age", "childline", "papyrus"),
    [(12, True, True), (18, True, True), (19, False, True), (34, False, True), (35, False, False)],
)
def test_young_peoples_lines_by_age(age: int, childline: bool, papyrus: bool) -> None:
    shown = contacts("england", age)
    assert ("0800 1111" in shown) is childline
    assert ("0800 068 4141" in shown) is papyrus


def test_unknown_nation_and_age_show_every_line() -> None:
    assert contacts(None, None) == {line.contact for line in all_lines()}
    assert other_nation_lines(None) == ()


def test_breathing_space_is_for_16_and_over() -> None:
    assert "0800 83 85 87" not in contacts("scotland", 15)
    assert "0800 83 85 87" in contacts("scotland", 16)


def test_every_line_has_a_source_and_a_dialable_link() -> None:
    for line in all_lines():
        assert line.source.startswith("https://"), line.key
        digits = "".join(ch for ch in line.contact.split(",")[0] if ch.isdigit())
        assert line.href in (f"tel:{digits}", f"sms:{digits}?&body=SHOUT"), line.key


def test_shout_link_works_on_android_and_ios() -> None:
    shout = next(line for line in all_lines() if line.key == "shout")
    assert shout.href == "sms:85258?&body=SHOUT"


def test_nations_say_where_nice_applies() -> None:
    assert {n for n in NATIONS if (found := nation(n)) and found.right_to_choose} == {"england"}
    scotland = nation("scotland")
    assert scotland is not None and "SIGN" in scotland.nice
    ni = nation("northern-ireland")
    assert ni is not None and "endorses" in ni.nice
