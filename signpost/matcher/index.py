"""A per-worker, read-only index of the directory for fast matching.

Built once from ServiceRecords. Everything a query touches in bulk lives in numpy arrays
(sites sorted by latitude for radius search, bit sets for needs/modalities/delivery, ages,
prices, capacity, verification dates, catchments), so the hard filters run vectorised and
Python objects are only built for the handful of results a page shows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from signpost.matcher import rules as r
from signpost.matcher.query import MatchQuery
from signpost.matcher.records import ServiceRecord, Site
from signpost.matcher.scoring import ScoringRules, default_scoring

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

DELIVERY_BITS = {"in-person": 1, "video": 2, "phone": 4, "online": 8}
IN_PERSON_BIT = 1
REMOTE_BITS = 2 | 4 | 8
NO_AGE_MIN = -1
NO_AGE_MAX = 10_000
NEVER_VERIFIED = -(10**9)
# Quantised distances can round a site just outside a radius onto it: search a little wider.
SEARCH_MARGIN_KM = 0.001
MAX_VOCABULARY = 63


def _empty_int() -> IntArray:
    return np.empty(0, dtype=np.int64)


class _Vocabulary:
    """Slugs to bits, so a set of slugs is one int64 per service."""

    def __init__(self, name: str, slugs: Iterable[str]) -> None:
        ordered = sorted(set(slugs))
        if len(ordered) > MAX_VOCABULARY:
            raise ValueError(f"too many distinct {name} ({len(ordered)}) for the index")
        self.bits = {slug: 1 << i for i, slug in enumerate(ordered)}
        self._cache: dict[frozenset[str], int] = {}

    def encode(self, slugs: frozenset[str]) -> int:
        bits = self._cache.get(slugs)
        if bits is None:
            bits = 0
            for slug in slugs:
                bits |= self.bits[slug]
            self._cache[slugs] = bits
        return bits

    def mask(self, slugs: Iterable[str]) -> int:
        bits = 0
        for slug in slugs:
            bits |= self.bits.get(slug, 0)
        return bits


class SiteTable:
    """Sites sorted by latitude: a radius query reads one latitude band, filters it on
    longitude, then runs a vectorised haversine on what is left."""

    def __init__(
        self,
        latitude: FloatArray,
        longitude: FloatArray,
        service: IntArray,
        position: IntArray,
    ) -> None:
        order = np.argsort(latitude, kind="stable")
        self.lat = np.radians(latitude[order])
        self.lon = np.radians(longitude[order])
        self.coslat = np.cos(self.lat)
        self.service = service[order]
        self.position = position[order]

    def __len__(self) -> int:
        return len(self.service)

    def within(
        self, latitude: float, longitude: float, radius_km: float
    ) -> tuple[IntArray, FloatArray]:
        """Site numbers within ``radius_km`` and their quantised distances."""
        if not len(self.service):
            return _empty_int(), np.empty(0)
        lat0 = math.radians(latitude)
        lon0 = math.radians(longitude)
        angle = (radius_km + SEARCH_MARGIN_KM) / r.EARTH_RADIUS_KM
        lo = int(np.searchsorted(self.lat, lat0 - angle, side="left"))
        hi = int(np.searchsorted(self.lat, lat0 + angle, side="right"))
        if lo >= hi:
            return _empty_int(), np.empty(0)
        candidates = np.arange(lo, hi)
        widest = abs(lat0) + angle
        if widest < math.pi / 2:
            reach = math.sin(angle / 2) / math.cos(widest)
            if reach < 1:
                # Exact bound on longitude difference for any point within the angle.
                dlon_max = 2 * math.asin(reach) + 1e-12
                candidates = candidates[np.abs(self.lon[lo:hi] - lon0) <= dlon_max]
        half_dlat = (self.lat[candidates] - lat0) * 0.5
        half_dlon = (self.lon[candidates] - lon0) * 0.5
        a = (
            np.sin(half_dlat) ** 2
            + math.cos(lat0) * self.coslat[candidates] * np.sin(half_dlon) ** 2
        )
        distance = 2 * r.EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
        distance = np.floor(distance * 1000.0 + 0.5) / 1000.0
        keep = distance <= radius_km
        return candidates[keep], distance[keep]


@dataclass(frozen=True)
class Pool:
    """Services a query can use, with where they are relative to the person."""

    rows: IntArray
    distance: FloatArray  # NaN: no site within the radius (reached remotely)
    site: IntArray  # site number in the main SiteTable, -1 when remote
    in_reach: BoolArray
    remote_credit: BoolArray  # reachable by a remote mode the person accepts
    in_person: BoolArray  # offers in person and the person accepts in person

    @classmethod
    def empty(cls) -> Pool:
        return cls(
            _empty_int(),
            np.empty(0),
            _empty_int(),
            np.empty(0, bool),
            np.empty(0, bool),
            np.empty(0, bool),
        )

    def __len__(self) -> int:
        return len(self.rows)


def _nearest_per_service(
    table: SiteTable, sites: IntArray, distance: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """(service rows, nearest site, its distance), one per service, services ascending."""
    services = table.service[sites]
    order = np.lexsort((table.position[sites], distance, services))
    services = services[order]
    first = np.ones(len(services), dtype=bool)
    first[1:] = services[1:] != services[:-1]
    return services[first], sites[order][first], distance[order][first]


class DirectoryIndex:
    """Everything the matcher needs about the published directory, as arrays."""

    def __init__(self, records: Iterable[ServiceRecord], scoring: ScoringRules | None = None):
        self.records: tuple[ServiceRecord, ...] = tuple(records)
        self.rules = scoring or default_scoring()
        recs = self.records
        n = len(recs)
        ids = [rec.id for rec in recs]
        if len(set(ids)) != n:
            raise ValueError("service ids must be unique")
        self._row_by_id = {service_id: row for row, service_id in enumerate(ids)}
        # Ties are broken by id; a rank array lets numpy sort on it.
        self.id_rank = np.empty(n, dtype=np.int64)
        self.id_rank[sorted(range(n), key=ids.__getitem__)] = np.arange(n)

        self.modality_vocab = _Vocabulary("modalities", (m for rec in recs for m in rec.modalities))
        self.need_vocab = _Vocabulary("needs", (x for rec in recs for x in rec.needs))
        self.format_vocab = _Vocabulary("formats", (f for rec in recs for f in rec.formats))
        self.modalities = np.fromiter(
            (self.modality_vocab.encode(rec.modalities) for rec in recs), np.int64, n
        )
        self.needs = np.fromiter((self.need_vocab.encode(rec.needs) for rec in recs), np.int64, n)
        self.formats = np.fromiter(
            (self.format_vocab.encode(rec.formats) for rec in recs), np.int64, n
        )
        delivery_cache: dict[frozenset[str], int] = {}

        def delivery_bits(rec: ServiceRecord) -> int:
            modes = r.service_delivery(rec)
            bits = delivery_cache.get(modes)
            if bits is None:
                bits = sum(DELIVERY_BITS.get(mode, 0) for mode in modes)
                delivery_cache[modes] = bits
            return bits

        self.delivery = np.fromiter((delivery_bits(rec) for rec in recs), np.int64, n)
        self.self_referral = np.fromiter(
            ("self-referral" in rec.referral_routes for rec in recs), bool, n
        )
        self.min_age = np.fromiter(
            (NO_AGE_MIN if rec.minimum_age is None else rec.minimum_age for rec in recs),
            np.int64,
            n,
        )
        self.max_age = np.fromiter(
            (NO_AGE_MAX if rec.maximum_age is None else rec.maximum_age for rec in recs),
            np.int64,
            n,
        )
        self.free = np.fromiter((r.is_free(rec) for rec in recs), bool, n)
        prices = (r.effective_price(rec) for rec in recs)
        self.price = np.fromiter((math.nan if p is None else p for p in prices), np.float64, n)
        self.closed = np.fromiter((rec.capacity == "closed" for rec in recs), bool, n)
        self.verified = np.fromiter(
            (
                NEVER_VERIFIED if rec.last_verified is None else rec.last_verified.toordinal()
                for rec in recs
            ),
            np.int64,
            n,
        )
        self.national = np.fromiter((rec.catchment_national for rec in recs), bool, n)
        self.restricted = np.fromiter((r.catchment_restricted(rec) for rec in recs), bool, n)
        self.catchment_radius = np.fromiter(
            (
                math.nan if rec.catchment_radius_km is None else rec.catchment_radius_km
                for rec in recs
            ),
            np.float64,
            n,
        )
        self.remote = (self.delivery & REMOTE_BITS) != 0

        # Static score parts: computed with the same scalar rules the naive path uses.
        rules = self.rules
        self.wait_points = np.fromiter((r.wait_points(rec, rules) for rec in recs), np.float64, n)
        self.cost_points = np.fromiter((r.cost_points(rec, rules) for rec in recs), np.float64, n)
        self.capacity_points = np.fromiter(
            (r.capacity_points(rec, rules) for rec in recs), np.float64, n
        )
        self.specialist_points = np.fromiter(
            (r.specialist_points(rec, rules) for rec in recs), np.float64, n
        )
        self.relational = np.fromiter((r.offers_relational(rec) for rec in recs), bool, n)

        areas: defaultdict[str, list[int]] = defaultdict(list)
        languages: defaultdict[str, list[int]] = defaultdict(list)
        communities: defaultdict[str, list[int]] = defaultdict(list)
        for row, rec in enumerate(recs):
            for community in rec.communities:
                communities[community.strip().lower()].append(row)
            for code in rec.catchment_areas:
                areas[code.strip().upper().replace(" ", "")].append(row)
            for language in rec.languages:
                languages[language.strip().lower()].append(row)
        self._areas = {code: np.unique(np.array(rows, np.int64)) for code, rows in areas.items()}
        self._languages = {
            lang: np.unique(np.array(rows, np.int64)) for lang, rows in languages.items()
        }
        self._communities = {
            name: np.unique(np.array(rows, np.int64)) for name, rows in communities.items()
        }
        self.has_languages = np.fromiter((bool(rec.languages) for rec in recs), bool, n)
        english = [self._languages[lang] for lang in sorted(r.ENGLISH) if lang in self._languages]
        self._english = np.unique(np.concatenate(english)) if english else _empty_int()

        site_count = sum(len(rec.sites) for rec in recs)
        lat = np.empty(site_count)
        lon = np.empty(site_count)
        service = np.empty(site_count, dtype=np.int64)
        position = np.empty(site_count, dtype=np.int64)
        i = 0
        for row, rec in enumerate(recs):
            for pos, site in enumerate(rec.sites):
                lat[i] = site.latitude
                lon[i] = site.longitude
                service[i] = row
                position[i] = pos
                i += 1
        usable = np.isfinite(lat) & np.isfinite(lon)
        lat, lon, service, position = lat[usable], lon[usable], service[usable], position[usable]
        self.sites = SiteTable(lat, lon, service, position)
        # Remote services whose catchment is a radius around their sites: their own small table,
        # searched with the widest such radius, so the main search stays at the person's radius.
        radius_remote = (self.remote & ~self.national & np.isfinite(self.catchment_radius))[service]
        self._radius_sites = SiteTable(
            lat[radius_remote], lon[radius_remote], service[radius_remote], position[radius_remote]
        )
        radii = self.catchment_radius[service[radius_remote]]
        self._max_catchment_radius = float(radii.max()) if len(radii) else 0.0
        self._national_remote = np.flatnonzero(self.remote & self.national).astype(np.int64)

    # -- public helpers -------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.records)

    def row_of(self, service_id: str) -> int | None:
        return self._row_by_id.get(service_id)

    def site_for(self, site_number: int) -> Site | None:
        if site_number < 0:
            return None
        record = self.records[int(self.sites.service[site_number])]
        return record.sites[int(self.sites.position[site_number])]

    def candidates(
        self, query: MatchQuery
    ) -> Iterator[tuple[ServiceRecord, float | None, Site | None]]:
        """Services the person can use: a site within the radius, or remote delivery whose
        catchment covers them. Every hard filter is already applied."""
        pool = self.pool(query)
        for row, distance, site in zip(pool.rows, pool.distance, pool.site, strict=True):
            yield (
                self.records[int(row)],
                None if math.isnan(distance) else float(distance),
                self.site_for(int(site)),
            )

    # -- vectorised stages (used by the engine) -------------------------------------------

    def static_ok(self, query: MatchQuery, rows: IntArray) -> BoolArray:
        """The hard filters that do not depend on location, for the given service rows."""
        ok = np.ones(len(rows), dtype=bool) if query.include_closed else ~self.closed[rows]
        if query.need != r.NOT_SURE:
            ok &= (self.needs[rows] & self.need_vocab.mask([query.need])) != 0
        if query.age is not None:
            ok &= (self.min_age[rows] <= query.age) & (self.max_age[rows] >= query.age)
        if query.max_cost is not None:
            free = self.free[rows]
            ok &= free if query.max_cost == 0 else free | (self.price[rows] <= query.max_cost)
        if query.self_referral:
            ok &= self.self_referral[rows]
        if query.language is not None:
            if query.language in r.ENGLISH:
                ok &= ~self.has_languages[rows] | member(rows, self._english)
            else:
                ok &= member(rows, self._languages.get(query.language, _empty_int()))
        ok &= (query.today.toordinal() - self.verified[rows]) <= query.stale_after_days
        return ok

    def community_rows(self, community: str | None) -> IntArray:
        if community is None:
            return _empty_int()
        return self._communities.get(community, _empty_int())

    def area_rows(self, query: MatchQuery) -> IntArray:
        found = [self._areas[code] for code in (query.outcode, query.area) if code in self._areas]
        if not found:
            return _empty_int()
        return found[0] if len(found) == 1 else np.union1d(found[0], found[1])

    def _near(self, query: MatchQuery, radius_km: float) -> tuple[IntArray, IntArray, FloatArray]:
        """Services passing the static filters with a site within the radius, nearest site."""
        sites, distance = self.sites.within(query.latitude, query.longitude, radius_km)
        keep = self.static_ok(query, self.sites.service[sites])
        return _nearest_per_service(self.sites, sites[keep], distance[keep])

    def _delivery_masks(self, query: MatchQuery) -> tuple[int, int]:
        wanted = sum(DELIVERY_BITS[mode] for mode in query.delivery) if query.delivery else 15
        remote = sum(DELIVERY_BITS[mode] for mode in query.accepted_remote_modes)
        return wanted, remote

    def pool(self, query: MatchQuery) -> Pool:
        """Every service passing all hard filters within the query's radius or remotely."""
        wanted, remote_wanted = self._delivery_masks(query)
        area_rows = self.area_rows(query)

        rows, site, distance = self._near(query, query.radius_km)
        covered = (
            self.national[rows]
            | member(rows, area_rows)
            | (distance <= self.catchment_radius[rows])
        )
        ok = (~self.restricted[rows] | covered) & ((self.delivery[rows] & wanted) != 0)
        rows, site, distance = rows[ok], site[ok], distance[ok]
        near_remote = (self.delivery[rows] & remote_wanted) != 0
        near_in_person = query.accepts_in_person & ((self.delivery[rows] & IN_PERSON_BIT) != 0)

        far = self._remote_rows(query, remote_wanted, area_rows)
        far = far[~member(far, rows)]
        return Pool(
            rows=np.concatenate([rows, far]),
            distance=np.concatenate([distance, np.full(len(far), np.nan)]),
            site=np.concatenate([site, np.full(len(far), -1, dtype=np.int64)]),
            in_reach=np.concatenate([np.ones(len(rows), bool), np.zeros(len(far), bool)]),
            remote_credit=np.concatenate([near_remote, np.ones(len(far), bool)]),
            in_person=np.concatenate([near_in_person, np.zeros(len(far), bool)]),
        )

    def _remote_rows(self, query: MatchQuery, remote_wanted: int, area_rows: IntArray) -> IntArray:
        """Remote services whose catchment explicitly covers the person (any distance)."""
        if not remote_wanted:
            return _empty_int()
        parts = [self._national_remote, area_rows[self.remote[area_rows]]]
        if len(self._radius_sites):
            sites, distance = self._radius_sites.within(
                query.latitude, query.longitude, self._max_catchment_radius
            )
            services = self._radius_sites.service[sites]
            inside = distance <= self.catchment_radius[services]
            parts.append(np.unique(services[inside]))
        rows = np.unique(np.concatenate(parts))
        rows = rows[(self.delivery[rows] & remote_wanted) != 0]
        return rows[self.static_ok(query, rows)]

    def beyond(self, query: MatchQuery, radius_km: float, exclude: IntArray) -> Pool:
        """Services to visit in person between the query's radius and ``radius_km``."""
        if not query.accepts_in_person:
            return Pool.empty()
        rows, site, distance = self._near(query, radius_km)
        area_rows = self.area_rows(query)
        covered = (
            self.national[rows]
            | member(rows, area_rows)
            | (distance <= self.catchment_radius[rows])
        )
        ok = (
            (distance > query.radius_km)
            & ((self.delivery[rows] & IN_PERSON_BIT) != 0)
            & (~self.restricted[rows] | covered)
            & ~member(rows, exclude)
        )
        rows, site, distance = rows[ok], site[ok], distance[ok]
        size = len(rows)
        return Pool(
            rows=rows,
            distance=distance,
            site=site,
            in_reach=np.zeros(size, bool),
            remote_credit=np.zeros(size, bool),
            in_person=np.ones(size, bool),
        )


def member(rows: IntArray, sorted_rows: IntArray) -> BoolArray:
    """rows in sorted_rows, without np.isin's sort of both sides."""
    if not len(sorted_rows) or not len(rows):
        return np.zeros(len(rows), dtype=bool)
    where = np.searchsorted(sorted_rows, rows)
    where[where == len(sorted_rows)] = 0
    return sorted_rows[where] == rows


def records_by_row(index: DirectoryIndex, rows: Sequence[int]) -> list[ServiceRecord]:
    return [index.records[int(row)] for row in rows]
