"""Benchmark the matcher on a synthetic directory spread across Great Britain.

    python -m signpost.matcher.bench --services 100000

Prints match latency (p50/p95/p99) for the fast path and for the naive path it replaced, and
the ratio. Timings are reported, never asserted in tests.
"""

from __future__ import annotations

import argparse
import functools
import math
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import TypeVar

import numpy as np

from signpost.matcher.engine import match
from signpost.matcher.index import DirectoryIndex
from signpost.matcher.naive import naive_match
from signpost.matcher.query import MatchQuery
from signpost.matcher.records import ServiceRecord, Site, Wait

T = TypeVar("T")

TODAY = date(2026, 3, 15)

# (name, latitude, longitude, population in thousands, postcode areas)
CITIES: tuple[tuple[str, float, float, int, tuple[str, ...]], ...] = (
    ("London", 51.5072, -0.1276, 8900, ("E", "EC", "N", "NW", "SE", "SW", "W", "WC")),
    ("Birmingham", 52.4862, -1.8904, 1150, ("B",)),
    ("Manchester", 53.4808, -2.2426, 1100, ("M",)),
    ("Leeds", 53.8008, -1.5491, 800, ("LS",)),
    ("Glasgow", 55.8642, -4.2518, 630, ("G",)),
    ("Liverpool", 53.4084, -2.9916, 500, ("L",)),
    ("Sheffield", 53.3811, -1.4701, 560, ("S",)),
    ("Bristol", 51.4545, -2.5879, 470, ("BS",)),
    ("Edinburgh", 55.9533, -3.1883, 520, ("EH",)),
    ("Leicester", 52.6369, -1.1398, 370, ("LE",)),
    ("Coventry", 52.4068, -1.5197, 350, ("CV",)),
    ("Bradford", 53.7960, -1.7594, 350, ("BD",)),
    ("Cardiff", 51.4816, -3.1791, 360, ("CF",)),
    ("Nottingham", 52.9548, -1.1581, 330, ("NG",)),
    ("Newcastle", 54.9783, -1.6178, 300, ("NE",)),
    ("Sunderland", 54.9069, -1.3838, 170, ("SR",)),
    ("Brighton", 50.8225, -0.1372, 290, ("BN",)),
    ("Hull", 53.7676, -0.3274, 260, ("HU",)),
    ("Plymouth", 50.3755, -4.1427, 260, ("PL",)),
    ("Stoke-on-Trent", 53.0027, -2.1794, 250, ("ST",)),
    ("Wolverhampton", 52.5862, -2.1286, 260, ("WV",)),
    ("Derby", 52.9225, -1.4746, 250, ("DE",)),
    ("Southampton", 50.9097, -1.4044, 250, ("SO",)),
    ("Portsmouth", 50.8198, -1.0880, 210, ("PO",)),
    ("Aberdeen", 57.1497, -2.0943, 200, ("AB",)),
    ("Swansea", 51.6214, -3.9436, 240, ("SA",)),
    ("Norwich", 52.6309, 1.2974, 140, ("NR",)),
    ("Oxford", 51.7520, -1.2577, 160, ("OX",)),
    ("Cambridge", 52.2053, 0.1218, 145, ("CB",)),
    ("York", 53.9600, -1.0873, 210, ("YO",)),
    ("Exeter", 50.7184, -3.5339, 130, ("EX",)),
    ("Dundee", 56.4620, -2.9707, 150, ("DD",)),
    ("Inverness", 57.4778, -4.2247, 50, ("IV",)),
    ("Carlisle", 54.8925, -2.9329, 75, ("CA",)),
    ("Lincoln", 53.2307, -0.5406, 100, ("LN",)),
    ("Ipswich", 52.0567, 1.1482, 140, ("IP",)),
    ("Reading", 51.4543, -0.9781, 175, ("RG",)),
    ("Milton Keynes", 52.0406, -0.7594, 230, ("MK",)),
    ("Preston", 53.7632, -2.7031, 145, ("PR",)),
    ("Middlesbrough", 54.5742, -1.2350, 140, ("TS",)),
    ("Bournemouth", 50.7192, -1.8808, 190, ("BH",)),
    ("Truro", 50.2632, -5.0510, 20, ("TR",)),
    ("Aberystwyth", 52.4153, -4.0829, 20, ("SY",)),
    ("Fort William", 56.8198, -5.1052, 10, ("PH",)),
    ("Kendal", 54.3280, -2.7463, 30, ("LA",)),
)

MODALITIES = (
    ("cbt", 30), ("counselling", 28), ("guided-self-help", 12), ("behavioural-activation", 6),
    ("psychodynamic", 8), ("dit", 3), ("ipt", 5), ("child-psychotherapy", 3),
    ("family-therapy", 5), ("couples-therapy", 5), ("emdr", 5), ("trauma-focused-cbt", 4),
    ("dbt", 2), ("mbt", 2), ("cat", 2), ("mindfulness", 5), ("arts-therapies", 3),
    ("group-analytic", 1), ("parent-infant", 1), ("parenting-programme", 2),
    ("problem-solving", 2), ("applied-relaxation", 2), ("act", 3),
)  # fmt: skip
NEEDS = (
    ("depression", 30), ("anxiety", 28), ("panic", 10), ("social-anxiety", 8), ("trauma", 12),
    ("ocd", 5), ("eating-disorder", 4), ("personality", 4), ("self-harm", 5), ("perinatal", 3),
    ("psychosis", 2), ("bipolar", 2), ("abuse-neglect", 6), ("relationships", 8),
    ("bereavement", 10), ("physical-symptoms", 4), ("child-emotional", 6), ("attachment", 2),
)  # fmt: skip
LANGUAGES = ("polish", "urdu", "punjabi", "bengali", "arabic", "welsh", "somali", "bsl")
COMMUNITIES = ("lgbtq", "women", "black-and-minority-ethnic", "students", "veterans")


def _weighted(rng: random.Random, table: Sequence[tuple[T, int]]) -> T:
    return rng.choices([item for item, _ in table], weights=[w for _, w in table])[0]


def _pick_some(
    rng: random.Random, table: Sequence[tuple[str, int]], low: int, high: int
) -> list[str]:
    count = rng.randint(low, high)
    chosen: set[str] = set()
    while len(chosen) < count:
        chosen.add(_weighted(rng, table))
    return sorted(chosen)


class _Interner:
    """Equal frozensets share one object, which keeps a million records lean."""

    def __init__(self) -> None:
        self._seen: dict[frozenset[str], frozenset[str]] = {}

    def __call__(self, values: Sequence[str]) -> frozenset[str]:
        key = frozenset(values)
        return self._seen.setdefault(key, key)


def _place(rng: random.Random, weights: Sequence[int]) -> tuple[int, float, float]:
    """A city and a point around it: people and services cluster where the people are."""
    city = rng.choices(range(len(CITIES)), weights=weights)[0]
    _, lat, lon, population, _ = CITIES[city]
    spread_km = 3 + 2.5 * math.sqrt(population / 100)
    if rng.random() < 0.08:  # small towns and rural areas around each city
        spread_km *= 4
    north = rng.gauss(0, spread_km)
    east = rng.gauss(0, spread_km)
    return (
        city,
        lat + north / 111.2,
        lon + east / (111.2 * math.cos(math.radians(lat))),
    )


def synthetic_records(n: int, seed: int = 1, today: date = TODAY) -> list[ServiceRecord]:
    """A deterministic, plausible directory of ``n`` services across Great Britain."""
    rng = random.Random(seed)
    weights = [city[3] for city in CITIES]
    intern = _Interner()
    records = []
    for i in range(n):
        city, lat, lon = _place(rng, weights)
        city_name, _, _, _, areas = CITIES[city]
        sector = _weighted(rng, (("nhs", 30), ("charity", 45), ("low-cost", 25)))
        modalities = _pick_some(rng, MODALITIES, 1, 4)
        needs = _pick_some(rng, NEEDS, 1, 6)
        formats = ["individual"]
        if rng.random() < 0.3:
            formats.append("group")
        if "couples-therapy" in modalities:
            formats.append("couple")
        if "family-therapy" in modalities:
            formats.append("family")

        if rng.random() < 0.03:
            delivery = ["online"]
        else:
            delivery = ["in-person"]
            if rng.random() < 0.4:
                delivery.append("video")
            if rng.random() < 0.3:
                delivery.append("phone")

        band = rng.random()
        if band < 0.7:
            min_age, max_age = 18, None
        elif band < 0.85:
            min_age, max_age = rng.choice(((5, 17), (0, 18), (11, 25)))
            needs = sorted({*needs, "child-emotional"})
        else:
            min_age, max_age = None, None

        routes = []
        if rng.random() < 0.6:
            routes.append("self-referral")
        if sector == "nhs" or rng.random() < 0.5:
            routes.append("gp-referral")
        if rng.random() < 0.2:
            routes.append("professional-referral")
        if min_age is not None and min_age < 18 and rng.random() < 0.5:
            routes.append("school-referral")

        cost_min: float | None = None
        cost_max: float | None = None
        if sector == "nhs":
            cost = "free"
        elif sector == "charity":
            cost = _weighted(rng, (("free", 50), ("donation", 30), ("sliding-scale", 20)))
        else:
            cost = _weighted(rng, (("sliding-scale", 70), ("fixed", 30)))
        if cost == "sliding-scale":
            cost_min = float(rng.randrange(5, 45, 5))
            cost_max = cost_min + rng.randrange(10, 50, 5)
        elif cost == "fixed":
            cost_min = cost_max = float(rng.randrange(20, 90, 5))

        remote = any(mode != "in-person" for mode in delivery)
        national = False
        catchment_areas: tuple[str, ...] = ()
        catchment_radius: float | None = None
        if sector == "nhs":
            catchment_areas = areas
        elif remote and rng.random() < 0.15:
            national = True
        elif rng.random() < 0.5:
            catchment_radius = float(rng.randrange(10, 60, 5))

        # Half the online-only courses have no premises at all.
        site_count = 0 if delivery == ["online"] and rng.random() < 0.5 else 1
        roll = rng.random()
        if site_count and roll > 0.95:
            site_count = 3
        elif site_count and roll > 0.8:
            site_count = 2
        if not site_count:
            national, catchment_areas, catchment_radius = True, (), None
        sites = []
        for extra in range(site_count):
            if extra:
                _, lat, lon = _place(rng, [1 if c == city else 0 for c in range(len(CITIES))])
            sites.append(Site(f"loc-{i}-{extra}", lat, lon, None, city_name))

        age_days = rng.randint(0, 520)
        last_verified = None if rng.random() < 0.02 else today - timedelta(days=age_days)
        waits: tuple[Wait, ...] = ()
        if rng.random() < 0.8:
            treatment = rng.randint(0, 40)
            waits = (Wait(rng.randint(0, treatment), treatment, last_verified, "provider"),)
        languages = ("english", rng.choice(LANGUAGES)) if rng.random() < 0.1 else ()
        communities = (rng.choice(COMMUNITIES),) if rng.random() < 0.05 else ()
        records.append(
            ServiceRecord(
                id=f"svc-{i:07d}",
                name=f"{city_name} {sector} service {i}",
                organization_id=f"org-{i // 3:07d}",
                organization_name=f"{city_name} organisation {i // 3}",
                sector=sector,
                modalities=intern(modalities),
                needs=intern(needs),
                formats=intern(formats),
                delivery=intern(delivery),
                referral_routes=intern(routes),
                minimum_age=min_age,
                maximum_age=max_age,
                cost_type=cost,
                cost_min_gbp=cost_min,
                cost_max_gbp=cost_max,
                capacity=_weighted(rng, (("accepting", 65), ("waitlist", 28), ("closed", 7))),
                last_verified=last_verified,
                demo=True,
                sites=tuple(sites),
                catchment_national=national,
                catchment_areas=intern(catchment_areas),
                catchment_radius_km=catchment_radius,
                languages=intern(languages),
                communities=intern(communities),
                waits=waits,
            )
        )
    return records


def synthetic_queries(count: int, seed: int = 2, today: date = TODAY) -> list[MatchQuery]:
    """People searching, weighted by population like the services, with some preferences."""
    rng = random.Random(seed)
    weights = [city[3] for city in CITIES]
    queries = []
    for _ in range(count):
        city, lat, lon = _place(rng, weights)
        area = CITIES[city][4][0]
        age = rng.choice((9, 15, 19, 25, 34, 47, 62, 78))
        need = _weighted(rng, (*NEEDS, ("not-sure", 5)))
        preferences = rng.random() < 0.35
        queries.append(
            MatchQuery(
                latitude=lat,
                longitude=lon,
                outcode=f"{area}{rng.randint(1, 20)}",
                area=area,
                need=need,
                today=today,
                age=age,
                severity=rng.choice(("unsure", "less-severe", "more-severe")),
                modalities=(_weighted(rng, MODALITIES),) if preferences else (),
                relational=preferences and rng.random() < 0.3,
                delivery=rng.choice(((), (), ("in-person",), ("video", "phone"))),
                max_cost=rng.choice((None, None, 0.0, 30.0)),
                self_referral=rng.random() < 0.2,
                radius_km=rng.choice((10.0, 25.0, 25.0, 50.0)),
            )
        )
    return queries


def _percentiles(samples: Sequence[float]) -> tuple[float, float, float]:
    if len(samples) < 2:
        return (samples[0],) * 3 if samples else (math.nan,) * 3
    cuts = statistics.quantiles(sorted(samples), n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def _time(call: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds: CPU time shows the cost on a busy machine."""
    wall, cpu = time.perf_counter(), time.thread_time()
    call()
    return (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000


def _report(label: str, samples: list[tuple[float, float]]) -> tuple[float, float]:
    wall = _percentiles([w for w, _ in samples])
    cpu = _percentiles([c for _, c in samples])
    print(
        f"{label}, {len(samples)} queries: wall p50 {wall[0]:.2f} ms, p95 {wall[1]:.2f} ms, "
        f"p99 {wall[2]:.2f} ms | cpu p50 {cpu[0]:.2f} ms, p95 {cpu[1]:.2f} ms, "
        f"p99 {cpu[2]:.2f} ms"
    )
    return wall[0], wall[1]


def index_bytes(index: DirectoryIndex) -> int:
    """Bytes held in the index's numpy arrays (the records themselves are the caller's)."""
    total = 0
    for holder in (index, index.sites, index._radius_sites):
        for value in vars(holder).values():
            if isinstance(value, np.ndarray):
                total += value.nbytes
            elif isinstance(value, dict):
                total += sum(v.nbytes for v in value.values() if isinstance(v, np.ndarray))
    return total


def main(argv: Sequence[str] | None = None) -> int:
    from signpost.nice import get_nice

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--naive-queries", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    records = synthetic_records(args.services, args.seed)
    print(f"generated {len(records):,} services in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    index = DirectoryIndex(records)
    print(
        f"built the index in {time.perf_counter() - started:.2f} s; "
        f"its arrays hold {index_bytes(index) / 2**20:.0f} MB; "
        f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )

    nice = get_nice()
    queries = synthetic_queries(args.queries, args.seed + 1)
    advice = [nice.advise(q.need, q.age, q.severity) for q in queries]
    for query, item in zip(queries[:20], advice, strict=False):  # warm up
        match(query, index, item)
    fast = [
        _time(functools.partial(match, query, index, item))
        for query, item in zip(queries, advice, strict=True)
    ]
    p50, p95 = _report("fast path", fast)

    if args.naive_queries > 0:
        count = min(args.naive_queries, len(queries))
        naive = [
            _time(functools.partial(naive_match, query, records, item))
            for query, item in zip(queries[:count], advice[:count], strict=True)
        ]
        n50, n95 = _report("naive path", naive)
        print(f"ratio (naive / fast, wall): p50 {n50 / p50:.0f}x, p95 {n95 / p95:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
