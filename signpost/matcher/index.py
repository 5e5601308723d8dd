"""A per-worker, read-only index of the directory for fast matching.

Built once from ServiceRecords. Everything a query touches in bulk lives in numpy arrays
(sites bucketed by latitude and longitude for radius search, bit sets for needs, modalities
and delivery, ages, prices, capacity, verification dates, catchments), so the hard filters run
vectorised and Python objects are only built for the handful of results a page shows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from signpost.matcher import rules as r
from signpost.matcher.query import MatchQuery
from signpost.matcher.records import ServiceRecord, Site
from signpost.matcher.scoring import ScoringRules, default_scoring
from signpost.slugs import NATIONS

IntArray = npt.NDArray[np.signedinteger[Any]]
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
    """Slugs to bits, so a set of slugs is one small integer per service."""

    def __init__(self, name: str, slugs: Iterable[str]) -> None:
        ordered = sorted(set(slugs))
        if len(ordered) > MAX_VOCABULARY:
            raise ValueError(f"too many distinct {name} ({len(ordered)}) for the index")
        self.bits = {slug: 1 << i for i, slug in enumerate(ordered)}
        self._cache: dict[frozenset[str], int] = {}
        # The narrowest signed integer that holds every bit: less memory to stream per query.
        self.dtype = next(
            dtype
            for dtype, width in ((np.int8, 7), (np.int16, 15), (np.int32, 31), (np.int64, 63))
            if len(ordered) <= width
        )

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


@dataclass(frozen=True)
class SiteFilter:
    """The cheapest, most selective hard filters, checked on sites before any distance."""

    need_bit: int | None  # None: any need
    today: int  # date ordinal
    stale_after_days: int
    include_closed: bool
    age_range: tuple[int, int]  # youngest and oldest the person may be


class SiteTable:
    """Sites bucketed into strips of latitude and sorted by longitude within each strip.

    A radius query visits the few strips its circle crosses and, in each, binary-searches the
    longitude range: it touches roughly the circle's bounding box, never a whole country-wide
    band. The box is then filtered on the service's need, freshness and capacity (copied per
    site so no lookups are needed) before a vectorised haversine measures what is left.
    """

    STRIP_DEGREES = 0.1

    def __init__(
        self,
        latitude: FloatArray,
        longitude: FloatArray,
        service: IntArray,
        position: IntArray,
        *,
        needs: IntArray,
        verified: IntArray,
        closed: BoolArray,
        min_age: IntArray,
        max_age: IntArray,
        statutory: BoolArray,
    ) -> None:
        self.base = float(latitude.min()) if len(latitude) else 0.0
        strip = np.floor((latitude - self.base) / self.STRIP_DEGREES).astype(np.int64)
        order = np.lexsort((longitude, strip))
        strip = strip[order]
        self.starts = np.searchsorted(strip, np.arange(int(strip.max()) + 2 if len(strip) else 1))
        self.lat = np.radians(latitude[order])
        self.lon = np.radians(longitude[order])
        self.coslat = np.cos(self.lat)
        self.service = service[order]
        self.position = position[order]
        self.needs = needs[self.service]
        self.verified = verified[self.service]
        self.closed = closed[self.service]
        self.min_age = min_age[self.service]
        self.max_age = max_age[self.service]
        self.statutory = statutory[self.service]
        # Sites of services with more than one site: only those need grouping by service.
        counts = np.bincount(self.service) if len(self.service) else np.zeros(0, np.int64)
        self.multi = counts[self.service] > 1

    def __len__(self) -> int:
        return len(self.service)

    def _box(self, latitude: float, longitude: float, angle: float) -> IntArray:
        """Site numbers in the latitude strips and longitude range the circle can reach."""
        lat0, lon0 = math.radians(latitude), math.radians(longitude)
        degrees = math.degrees(angle)
        first = max(0, math.floor((latitude - degrees - self.base) / self.STRIP_DEGREES))
        last = min(
            len(self.starts) - 2,
            math.floor((latitude + degrees - self.base) / self.STRIP_DEGREES),
        )
        if first > last:
            return _empty_int()
        widest = abs(lat0) + angle
        reach = math.sin(angle / 2) / math.cos(widest) if widest < math.pi / 2 else 2.0
        ranges = []
        if reach >= 1:  # near a pole: every longitude can be in reach
            ranges.append(np.arange(self.starts[first], self.starts[last + 1]))
        else:
            # Exact bound on the longitude difference of any point within the angle.
            dlon = 2 * math.asin(reach) + 1e-12
            for strip in range(first, last + 1):
                lo, hi = int(self.starts[strip]), int(self.starts[strip + 1])
                if lo == hi:
                    continue
                lons = self.lon[lo:hi]
                a = lo + int(np.searchsorted(lons, lon0 - dlon, side="left"))
                b = lo + int(np.searchsorted(lons, lon0 + dlon, side="right"))
                if a < b:
                    ranges.append(np.arange(a, b))
        return np.concatenate(ranges) if ranges else _empty_int()

    def within(
        self,
        latitude: float,
        longitude: float,
        radius_km: float,
        only: SiteFilter | None = None,
    ) -> tuple[IntArray, FloatArray]:
        """Site numbers within ``radius_km`` (and passing ``only``), quantised distances."""
        if not len(self.service) or (only is not None and only.need_bit == 0):
            return _empty_int(), np.empty(0)
        angle = (radius_km + SEARCH_MARGIN_KM) / r.EARTH_RADIUS_KM
        candidates = self._box(latitude, longitude, angle)
        if only is not None and len(candidates):
            keep = ((only.today - self.verified[candidates]) <= only.stale_after_days) | (
                self.statutory[candidates]
            )
            if only.need_bit is not None:
                keep &= (self.needs[candidates] & only.need_bit) != 0
            if not only.include_closed:
                keep &= ~self.closed[candidates]
            youngest, oldest = only.age_range
            keep &= (self.min_age[candidates] <= oldest) & (self.max_age[candidates] >= youngest)
            candidates = candidates[keep]
        lat0, lon0 = math.radians(latitude), math.radians(longitude)
        half_dlat = (self.lat[candidates] - lat0) * 0.5
        half_dlon = (self.lon[candidates] - lon0) * 0.5
        a = (
            np.sin(half_dlat) ** 2
            + math.cos(lat0) * self.coslat[candidates] * np.sin(half_dlon) ** 2
        )
        distance = 2 * r.EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
        distance = quantise_array(distance)
        inside = distance <= radius_km
        return candidates[inside], distance[inside]


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
    """(service rows, nearest site, its distance), one per service, in no particular order.

    Most services have one site and need no grouping; the rest are grouped with one integer
    sort on (service, distance in metres, site position) rather than a slower lexsort.
    """
    multi = table.multi[sites]
    single = ~multi
    rows = [table.service[sites[single]]]
    found = [sites[single]]
    near = [distance[single]]
    if multi.any():
        msites, mdist = sites[multi], distance[multi]
        services = table.service[msites].astype(np.int64)
        positions = table.position[msites].astype(np.int64)
        metres = np.rint(mdist * 1000.0).astype(np.int64)
        if positions.max() < 256 and metres.max() < 2**24:
            order = np.argsort((services << 32) | (metres << 8) | positions)
        else:
            order = np.lexsort((positions, mdist, services))
        services = services[order]
        first = np.ones(len(services), dtype=bool)
        first[1:] = services[1:] != services[:-1]
        rows.append(services[first])
        found.append(msites[order][first])
        near.append(mdist[order][first])
    return np.concatenate(rows), np.concatenate(found), np.concatenate(near)


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
        self.id_rank = np.empty(n, dtype=np.int32 if n < 2**31 else np.int64)
        self.id_rank[sorted(range(n), key=ids.__getitem__)] = np.arange(n)

        # Which index modalities satisfy a NICE option or a named therapy, by (slug, kind, age):
        # filled by the engine; a race only recomputes the same value.
        self.satisfying_cache: dict[tuple[object, ...], int] = {}
        self.modality_vocab = _Vocabulary("modalities", (m for rec in recs for m in rec.modalities))
        self.need_vocab = _Vocabulary("needs", (x for rec in recs for x in rec.needs))
        self.format_vocab = _Vocabulary("formats", (f for rec in recs for f in rec.formats))
        self.modalities: IntArray = np.fromiter(
            (self.modality_vocab.encode(rec.modalities) for rec in recs),
            self.modality_vocab.dtype,
            n,
        )
        self.needs: IntArray = np.fromiter(
            (self.need_vocab.encode(rec.needs) for rec in recs), self.need_vocab.dtype, n
        )
        self.formats: IntArray = np.fromiter(
            (self.format_vocab.encode(rec.formats) for rec in recs), self.format_vocab.dtype, n
        )
        delivery_cache: dict[frozenset[str], int] = {}

        def delivery_bits(rec: ServiceRecord) -> int:
            modes = r.service_delivery(rec)
            bits = delivery_cache.get(modes)
            if bits is None:
                bits = sum(DELIVERY_BITS.get(mode, 0) for mode in modes)
                delivery_cache[modes] = bits
            return bits

        self.delivery = np.fromiter((delivery_bits(rec) for rec in recs), np.int8, n)
        self.self_referral = np.fromiter(
            ("self-referral" in rec.referral_routes for rec in recs), bool, n
        )
        # Clamped into int16: a query's age is 0..130, so the clamp never changes an answer.
        self.min_age = np.fromiter(
            (
                NO_AGE_MIN if rec.minimum_age is None else min(max(rec.minimum_age, -1), NO_AGE_MAX)
                for rec in recs
            ),
            np.int16,
            n,
        )
        self.max_age = np.fromiter(
            (
                NO_AGE_MAX if rec.maximum_age is None else min(max(rec.maximum_age, -1), NO_AGE_MAX)
                for rec in recs
            ),
            np.int16,
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
            np.int32,
            n,
        )
        self.statutory = np.fromiter((r.is_statutory(rec) for rec in recs), bool, n)
        self.national = np.fromiter((rec.catchment_national for rec in recs), bool, n)
        # Nation-limited services by nation, so a search in one nation drops the others'.
        self._outside_nation: dict[str, IntArray] = {
            nation: np.flatnonzero(
                np.fromiter(
                    (bool(rec.nations) and nation not in rec.nations for rec in recs), bool, n
                )
            ).astype(np.int64)
            for nation in NATIONS
        }
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
        self.static_points = np.fromiter(
            (r.static_points(rec, rules) for rec in recs), np.float64, n
        )
        self.specialist = np.fromiter(
            (len(rec.needs) <= rules.specialist_max_needs for rec in recs), bool, n
        )
        self.relational = np.fromiter((r.offers_relational(rec) for rec in recs), bool, n)
        self.front_door = np.fromiter((r.is_front_door(rec) for rec in recs), bool, n)
        # Intensity, protocols and eligibility, as bits like the modalities.
        self.high_modalities: IntArray = np.fromiter(
            (self.modality_vocab.encode(r.high_modalities(rec)) for rec in recs),
            self.modality_vocab.dtype,
            n,
        )
        self.low_only = np.fromiter((r.low_intensity_only(rec) for rec in recs), bool, n)
        protocols = [r.service_protocols(rec) for rec in recs]
        self.protocol_vocab = _Vocabulary("protocols", (p for found in protocols for p in found))
        self.protocols: IntArray = np.fromiter(
            (self.protocol_vocab.encode(found) for found in protocols), self.protocol_vocab.dtype, n
        )
        self.eligibility_vocab = _Vocabulary(
            "eligibility", (e for rec in recs for e in rec.eligibility)
        )
        self.eligibility: IntArray = np.fromiter(
            (self.eligibility_vocab.encode(rec.eligibility) for rec in recs),
            self.eligibility_vocab.dtype,
            n,
        )
        self.any_restricted = bool(self.eligibility.any()) if n else False

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
        service = np.empty(site_count, dtype=np.int32)
        position = np.empty(site_count, dtype=np.int32)
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
        attributes = {
            "needs": self.needs,
            "verified": self.verified,
            "closed": self.closed,
            "min_age": self.min_age,
            "max_age": self.max_age,
            "statutory": self.statutory,
        }
        self.sites = SiteTable(lat, lon, service, position, **attributes)
        # Remote services whose catchment is a radius around their sites: their own small table,
        # searched with the widest such radius, so the main search stays at the person's radius.
        radius_remote = (self.remote & ~self.national & np.isfinite(self.catchment_radius))[service]
        self._radius_sites = SiteTable(
            lat[radius_remote],
            lon[radius_remote],
            service[radius_remote],
            position[radius_remote],
            **attributes,
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

    def site_filter(self, query: MatchQuery) -> SiteFilter:
        return SiteFilter(
            need_bit=None if query.need == r.NOT_SURE else self.need_vocab.mask([query.need]),
            today=query.today.toordinal(),
            stale_after_days=query.stale_after_days,
            include_closed=query.include_closed,
            age_range=query.age_range,
        )

    def static_keep(
        self, query: MatchQuery, rows: IntArray, *, site_filtered: bool = False
    ) -> IntArray:
        """Positions in ``rows`` passing the hard filters that do not depend on location.

        ``site_filtered``: need, freshness, capacity and age were already checked on the sites.
        The most selective filter runs first and each later one only sees the survivors, so
        a big city's worth of services costs a few small gathers rather than many large ones.
        """
        keep = np.arange(len(rows))
        live = rows
        if not site_filtered:
            if query.need != r.NOT_SURE:
                bit = self.need_vocab.mask([query.need])
                keep = keep[(self.needs[rows] & bit) != 0]
                live = rows[keep]
            ok = (
                (query.today.toordinal() - self.verified[live]) <= query.stale_after_days
            ) | self.statutory[live]
            if not query.include_closed:
                ok &= ~self.closed[live]
            youngest, oldest = query.age_range
            ok &= (self.min_age[live] <= oldest) & (self.max_age[live] >= youngest)
            keep, live = keep[ok], live[ok]
        if query.max_cost is not None:
            free = self.free[live]
            ok = free if query.max_cost == 0 else free | (self.price[live] <= query.max_cost)
            keep, live = keep[ok], live[ok]
        if query.self_referral:
            ok = self.self_referral[live]
            keep, live = keep[ok], live[ok]
        if query.language is not None:
            if query.language in r.ENGLISH:
                ok = ~self.has_languages[live] | member(live, self._english)
            else:
                ok = member(live, self._languages.get(query.language, _empty_int()))
            keep, live = keep[ok], live[ok]
        if query.circumstances is not None and self.any_restricted:
            # They answered: a restriction they did not tick does not apply to them.
            ok = (self.eligibility[live] & self._outside(query.circumstances)) == 0
            keep = keep[ok]
        return keep

    def _outside(self, slugs: Iterable[str]) -> int:
        """Bits of every restriction in the index that is not one of ``slugs``."""
        every = sum(self.eligibility_vocab.bits.values())
        return every & ~self.eligibility_vocab.mask(slugs)

    def eligibility_unstated(self, query: MatchQuery, rows: IntArray) -> BoolArray:
        """Restricted services the person has not said (or implied) they qualify for."""
        if query.circumstances is not None or not self.any_restricted:
            return np.zeros(len(rows), dtype=bool)
        outside = self._outside(r.implied_circumstances(query.need))
        return (self.eligibility[rows] & outside) != 0

    def community_rows(self, community: str | None) -> IntArray:
        if community is None:
            return _empty_int()
        return self._communities.get(community, _empty_int())

    def _area_lists(self, query: MatchQuery) -> list[IntArray]:
        codes = (query.outcode, query.area)
        return [self._areas[code] for code in codes if code is not None and code in self._areas]

    def _catchment_ok(self, query: MatchQuery, rows: IntArray, distance: FloatArray) -> BoolArray:
        """Catchment filter for services with a site at ``distance``: only services that
        restrict their catchment are checked, against the person's area and district."""
        ok = ~self.restricted[rows]
        check = np.flatnonzero(~ok)
        if len(check):
            restricted = rows[check]
            covered = distance[check] <= self.catchment_radius[restricted]
            for listed in self._area_lists(query):
                # A big city's area lists many services: flag them rather than binary-search.
                if len(listed) > 4 * len(restricted):
                    covered |= member(restricted, listed)
                else:
                    covered |= self._flags(listed)[restricted]
            ok[check] = covered
        return ok & self._nation_ok(query, rows)

    def _nation_ok(self, query: MatchQuery, rows: IntArray) -> BoolArray:
        outside = self._outside_nation.get(query.nation or "", _empty_int())
        if not len(outside) or not len(rows):
            return np.ones(len(rows), dtype=bool)
        return ~member(rows, outside)

    def _flags(self, rows: IntArray) -> BoolArray:
        flags = np.zeros(len(self.records), dtype=bool)
        flags[rows] = True
        return flags

    def _near(self, query: MatchQuery, radius_km: float) -> tuple[IntArray, IntArray, FloatArray]:
        """Services passing the static filters with a site within the radius, nearest site."""
        sites, distance = self.sites.within(
            query.latitude, query.longitude, radius_km, self.site_filter(query)
        )
        keep = self.static_keep(query, self.sites.service[sites], site_filtered=True)
        return _nearest_per_service(self.sites, sites[keep], distance[keep])

    def _delivery_masks(self, query: MatchQuery) -> tuple[int, int]:
        wanted = sum(DELIVERY_BITS[mode] for mode in query.delivery) if query.delivery else 15
        remote = sum(DELIVERY_BITS[mode] for mode in query.accepted_remote_modes)
        return wanted, remote

    def pool(self, query: MatchQuery) -> Pool:
        """Every service passing all hard filters within the query's radius or remotely."""
        wanted, remote_wanted = self._delivery_masks(query)
        rows, site, distance = self._near(query, query.radius_km)
        delivery = self.delivery[rows]
        ok = ((delivery & wanted) != 0) & self._catchment_ok(query, rows, distance)
        rows, site, distance, delivery = rows[ok], site[ok], distance[ok], delivery[ok]
        near_remote = (delivery & remote_wanted) != 0
        near_in_person = query.accepts_in_person & ((delivery & IN_PERSON_BIT) != 0)

        far = self._remote_rows(query, remote_wanted)
        if len(far) and len(rows):
            far = far[~self._flags(rows)[far]]
        return Pool(
            rows=np.concatenate([rows, far]),
            distance=np.concatenate([distance, np.full(len(far), np.nan)]),
            site=np.concatenate([site, np.full(len(far), -1, dtype=np.int64)]),
            in_reach=np.concatenate([np.ones(len(rows), bool), np.zeros(len(far), bool)]),
            remote_credit=np.concatenate([near_remote, np.ones(len(far), bool)]),
            in_person=np.concatenate([near_in_person, np.zeros(len(far), bool)]),
        )

    def _remote_rows(self, query: MatchQuery, remote_wanted: int) -> IntArray:
        """Remote services whose catchment explicitly covers the person (any distance)."""
        if not remote_wanted:
            return _empty_int()
        parts = [self._national_remote, *self._area_lists(query)]
        if len(self._radius_sites):
            sites, distance = self._radius_sites.within(
                query.latitude, query.longitude, self._max_catchment_radius, self.site_filter(query)
            )
            services = self._radius_sites.service[sites]
            parts.append(services[distance <= self.catchment_radius[services]])
        found = []
        for rows in parts:
            # Filter each part before merging: the national list is long, the survivors few.
            rows = rows[(self.delivery[rows] & remote_wanted) != 0]
            rows = rows[self._nation_ok(query, rows)]
            found.append(rows[self.static_keep(query, rows)])
        return _unique(np.concatenate(found))

    def beyond(self, query: MatchQuery, radius_km: float, exclude: IntArray) -> Pool:
        """Services to visit in person between the query's radius and ``radius_km``."""
        if not query.accepts_in_person:
            return Pool.empty()
        rows, site, distance = self._near(query, radius_km)
        ok = (distance > query.radius_km) & ((self.delivery[rows] & IN_PERSON_BIT) != 0)
        if len(exclude):
            ok &= ~self._flags(exclude)[rows]
        rows, site, distance = rows[ok], site[ok], distance[ok]
        ok = self._catchment_ok(query, rows, distance)
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


def quantise_array(values: FloatArray) -> FloatArray:
    """rules.quantise for arrays, in the same steps so both give the same floats."""
    snapped = np.floor(values * 1e9 + 0.5) / 1e9
    return np.floor(snapped * 1000.0 + 0.5) / 1000.0


def _unique(rows: IntArray) -> IntArray:
    """Sorted distinct rows (a plain sort beats numpy's hashing unique on these sizes)."""
    rows = np.sort(rows)
    if len(rows) < 2:
        return rows
    keep = np.empty(len(rows), dtype=bool)
    keep[0] = True
    np.not_equal(rows[1:], rows[:-1], out=keep[1:])
    return rows[keep]


def member(rows: IntArray, sorted_rows: IntArray) -> BoolArray:
    """rows in sorted_rows, without np.isin's sort of both sides."""
    if not len(sorted_rows) or not len(rows):
        return np.zeros(len(rows), dtype=bool)
    where = np.searchsorted(sorted_rows, rows)
    where[where == len(sorted_rows)] = 0
    found: BoolArray = sorted_rows[where] == rows
    return found
