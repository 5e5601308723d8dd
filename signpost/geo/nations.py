"""Which UK nation a postcode or place is in.

Postcode areas mostly sit inside one nation. A few straddle a border; for those, the
districts on the minority side are listed (Royal Mail's district list: Berwick TD15 is in
England, Mid and West Wales districts of Shrewsbury's SY area and Deeside's CH5-CH8 are in
Wales). A district that itself straddles the border takes its larger side.
"""

from __future__ import annotations

import re

from signpost.geo.postcodes import area_of

__all__ = ["COUNTRY_NATIONS", "nation_of_country", "nation_of_postcode"]

# GeoNames admin1 codes used by the places table.
COUNTRY_NATIONS = {
    "ENG": "england",
    "WLS": "wales",
    "SCT": "scotland",
    "NI": "northern-ireland",
}
_SCOTLAND = frozenset(
    ["AB", "DD", "DG", "EH", "FK", "G", "HS", "IV", "KA", "KW", "KY", "ML", "PA", "PH", "TD", "ZE"]
)  # fmt: skip
_WALES = frozenset(["CF", "LD", "LL", "NP", "SA"])
_DISTRICT_RE = re.compile(r"^([A-Z]{1,2})([0-9]+)")
# Districts on the other side of the border from the rest of their area.
_WALES_DISTRICTS = {("SY", n) for n in range(15, 26)} | {("CH", n) for n in range(5, 9)}
_ENGLAND_DISTRICTS = {("TD", 15)}


def nation_of_country(code: str | None) -> str | None:
    return COUNTRY_NATIONS.get(code or "")


def nation_of_postcode(text: str | None) -> str | None:
    """Nation of a full postcode, sector, outcode or area; None if it is not one."""
    area = area_of(text)
    if area is None:
        return None
    if area == "BT":
        return "northern-ireland"
    m = _DISTRICT_RE.match((text or "").strip().upper())
    district = (area, int(m.group(2))) if m and m.group(1) == area else None
    if district in _WALES_DISTRICTS:
        return "wales"
    if district in _ENGLAND_DISTRICTS:
        return "england"
    if area in _SCOTLAND:
        return "scotland"
    if area in _WALES:
        return "wales"
    return "england"
