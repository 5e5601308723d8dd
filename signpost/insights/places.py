"""Postcode districts and areas from the offline postcode index, each urban or rural."""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from signpost.insights.method import Method

EARTH_RADIUS_KM = 6371.009


@dataclass(frozen=True, slots=True)
class Place:
    """A postcode district: its centre, its size in postcodes (a stand-in for how many people
    live there) and whether it counts as urban."""

    code: str  # "LS6"
    area: str  # "LS"
    latitude: float
    longitude: float
    postcodes: int
    urban: bool


@dataclass(frozen=True, slots=True)
class Area:
    code: str
    latitude: float
    longitude: float
    postcodes: int


def area_code(outcode: str) -> str:
    letters = ""
    for ch in outcode:
        if not ch.isalpha():
            break
        letters += ch
    return letters


def distances_km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Great-circle distances from one point to many (haversine)."""
    p1, p2 = math.radians(lat), np.radians(lats)
    dlat = p2 - p1
    dlon = np.radians(lons) - math.radians(lon)
    a = np.sin(dlat / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def load_places(index_path: Path | str, method: Method) -> tuple[list[Place], list[Area]]:
    """Every geographic postcode district (PO-box districts are not places people live)
    and every postcode area, sorted by code."""
    conn = sqlite3.connect(f"file:{index_path}?mode=ro", uri=True)
    try:
        districts = conn.execute(
            "SELECT outcode, lat, lon, n FROM outcodes WHERE geographic = 1 ORDER BY outcode"
        ).fetchall()
        areas = conn.execute("SELECT area, lat, lon, n FROM areas ORDER BY area").fetchall()
        towns = conn.execute(
            "SELECT lat, lon FROM places WHERE population >= ?", (method.urban_population,)
        ).fetchall()
    finally:
        conn.close()
    town_lat = np.array([t[0] for t in towns], dtype=np.float64)
    town_lon = np.array([t[1] for t in towns], dtype=np.float64)
    places = []
    for code, lat, lon, count in districts:
        urban = bool(
            len(town_lat)
            and distances_km(lat, lon, town_lat, town_lon).min() <= method.urban_within_km
        )
        places.append(Place(code, area_code(code), float(lat), float(lon), int(count), urban))
    return places, [Area(code, float(lat), float(lon), int(n)) for code, lat, lon, n in areas]
