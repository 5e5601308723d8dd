"""``flask generate-demo``: a large synthetic demo directory for benchmarks.

Services are spread over ~70 Great Britain towns and cities (seed_data/demo_towns.yaml),
weighted by population, each at real postcodes with jittered coordinates. Speed matters
(100,000 services in under two minutes), so rows are built as plain dicts and handed to the
driver in bulk, one transaction per batch of 5,000 services: executemany of plain tuples on
SQLite, COPY on PostgreSQL (two connections side by side). Measured at 100,000 services:
ORM objects would take many minutes; Core ``insert()`` executemany took 63 s on SQLite and
135 s on PostgreSQL, as its per-row parameter processing and PostgreSQL's per-statement
round trips dominated.

Deterministic: the same ``seed`` and ``count`` give the same rows and ids. Ids are UUID5s of
(seed, service number); each batch has its own ``random.Random`` so a re-run can skip the
batches already written (the command is idempotent and resumable).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import random
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, Date, DateTime, Table, func, select

from signpost.extensions import db
from signpost.models import (
    Location,
    Modality,
    Organization,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceTag,
    Wait,
)
from signpost.models.directory import ServiceModality, ServiceNeed
from signpost.vocab import get_vocabularies

__all__ = ["BATCH_SIZE", "SYNTHETIC_NAMESPACE", "generate_synthetic", "service_id"]

TOWNS_PATH = Path(__file__).resolve().parent.parent.parent / "seed_data" / "demo_towns.yaml"
SYNTHETIC_NAMESPACE = uuid.UUID("5e1c7a2e-3b7d-5c55-9f0e-5167e05d0002")
# Fixed, so that ids and content never depend on how a run was split into batches.
BATCH_SIZE = 5_000

Progress = Callable[[int], Any]

# (weight, minimum_age, maximum_age): most services are for adults.
_AGE_PROFILES = (
    (55, 18, None), (10, 16, None), (8, 11, 25), (8, 0, 17), (4, 65, None), (5, 0, None),
    (2, 0, 4), (3, 5, 11), (5, 18, 64),
)  # fmt: skip
_MODALITY_WEIGHTS = {
    "cbt": 20, "counselling": 20, "guided-self-help": 8, "behavioural-activation": 4,
    "psychodynamic": 6, "dit": 2, "ipt": 4, "child-psychotherapy": 2, "family-therapy": 4,
    "couples-therapy": 4, "emdr": 5, "trauma-focused-cbt": 5, "dbt": 3, "mbt": 2, "cat": 3,
    "mindfulness": 5, "arts-therapies": 3, "group-analytic": 1, "parent-infant": 1,
    "parenting-programme": 2, "problem-solving": 2, "applied-relaxation": 2, "act": 4,
}  # fmt: skip
_NEED_WEIGHTS = {
    "depression": 20, "anxiety": 20, "panic": 6, "social-anxiety": 5, "trauma": 8, "ocd": 4,
    "eating-disorder": 3, "personality": 3, "self-harm": 4, "perinatal": 3, "psychosis": 2,
    "bipolar": 2, "abuse-neglect": 5, "relationships": 6, "bereavement": 6,
    "physical-symptoms": 4, "child-emotional": 4, "attachment": 2, "not-sure": 8,
}  # fmt: skip
_SECTORS = (("nhs", 25, (2, 8)), ("charity", 45, (1, 4)), ("low-cost", 30, (1, 3)))
_ORG_WORDS = {
    "nhs": ("NHS Talking Therapies", "NHS Psychological Services", "NHS Wellbeing Service"),
    "charity": ("Counselling Network", "Wellbeing Trust", "Community Counselling", "Youth Talk"),
    "low-cost": ("Therapy Practice", "Training Clinic", "Therapy Rooms", "Counselling Centre"),
}
_LANGUAGES = ("Polish", "Urdu", "Bengali", "Arabic", "Welsh", "BSL", "Punjabi", "Somali")
_COMMUNITIES = (
    "lgbtq", "women", "black-and-minority-ethnic", "students", "veterans", "older-adults",
    "young-people",
)  # fmt: skip
_REMOTE_SHARE = 0.03
_DEFAULT_PHONE_PREFIX = "01632 960"
_SQLITE_CACHE_KIB = 256 * 1024
_POSTGRES_WRITERS = 2
_AREA = re.compile(r"[A-Z]+")


@dataclass(frozen=True)
class _Town:
    name: str
    phone_prefix: str
    districts: tuple[str, ...]
    district_weights: tuple[float, ...]  # cumulative
    postcodes: tuple[tuple[tuple[str, float, float], ...], ...]  # per district
    area: str  # postcode area letters of the first district


@dataclass(frozen=True)
class _Geography:
    towns: tuple[_Town, ...]
    cumulative: tuple[float, ...]  # by population


def _main_area(districts: Iterable[str]) -> str:
    """The postcode area most of a town's districts are in ("LS" for Leeds)."""
    areas = Counter(_AREA.match(d).group() for d in districts)  # type: ignore[union-attr]
    return areas.most_common(1)[0][0]


@functools.cache
def _geography(path: Path = TOWNS_PATH) -> _Geography:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    towns = []
    for t in raw["towns"]:
        districts = t["districts"]
        towns.append(
            _Town(
                name=t["name"],
                phone_prefix=t.get("phone_prefix") or _DEFAULT_PHONE_PREFIX,
                districts=tuple(d["district"] for d in districts),
                district_weights=tuple(itertools.accumulate(d["weight"] for d in districts)),
                postcodes=tuple(
                    tuple((pc, float(lat), float(lon)) for pc, lat, lon in d["postcodes"])
                    for d in districts
                ),
                area=_main_area(d["district"] for d in districts),
            )
        )
    cumulative = tuple(itertools.accumulate(float(t["population"]) for t in raw["towns"]))
    return _Geography(tuple(towns), cumulative)


_NAMESPACE_BYTES = SYNTHETIC_NAMESPACE.bytes
# The RFC 4122 variant bits (10xx) applied to the 17th hex digit.
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def _uuid5(name: str) -> str:
    """``str(uuid.uuid5(SYNTHETIC_NAMESPACE, name))``, about 4x faster (no UUID object)."""
    h = hashlib.sha1(_NAMESPACE_BYTES + name.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


def service_id(seed: int, number: int) -> str:
    """The id of synthetic service ``number`` (0-based) generated with ``seed``."""
    return _uuid5(f"{seed}:service:{number}")


def _uid(seed: int, *parts: object) -> str:
    return _uuid5(f"{seed}:" + ":".join(map(str, parts)))


def _pick(rng: random.Random, cumulative: Sequence[float]) -> int:
    return bisect.bisect_right(cumulative, rng.random() * cumulative[-1])


def _weighted_sample(
    rng: random.Random, keys: Sequence[str], cumulative: Sequence[float], k: int
) -> list[str]:
    chosen: dict[str, None] = {}
    while len(chosen) < k:
        chosen.setdefault(keys[_pick(rng, cumulative)])
    return sorted(chosen)


@dataclass
class _Rows:
    organizations: list[dict[str, Any]]
    services: list[dict[str, Any]]
    locations: list[dict[str, Any]]
    service_at_locations: list[dict[str, Any]]
    service_areas: list[dict[str, Any]]
    service_modalities: list[dict[str, Any]]
    service_needs: list[dict[str, Any]]
    service_tags: list[dict[str, Any]]
    waits: list[dict[str, Any]]

    def tables(self) -> list[tuple[Table, list[dict[str, Any]]]]:
        # Parents before children, for the foreign keys.
        return [
            (Organization.__table__, self.organizations),  # type: ignore[list-item]
            (Service.__table__, self.services),  # type: ignore[list-item]
            (Location.__table__, self.locations),  # type: ignore[list-item]
            (ServiceAtLocation.__table__, self.service_at_locations),  # type: ignore[list-item]
            (ServiceArea.__table__, self.service_areas),  # type: ignore[list-item]
            (ServiceModality.__table__, self.service_modalities),  # type: ignore[list-item]
            (ServiceNeed.__table__, self.service_needs),  # type: ignore[list-item]
            (ServiceTag.__table__, self.service_tags),  # type: ignore[list-item]
            (Wait.__table__, self.waits),  # type: ignore[list-item]
        ]

    @property
    def total(self) -> int:
        return sum(len(rows) for _, rows in self.tables())


class _BatchBuilder:
    """Builds the rows of one batch of services, deterministically from (seed, batch)."""

    def __init__(self, seed: int, today: date, now: datetime) -> None:
        vocab = get_vocabularies()
        self.seed = seed
        self.today = today
        self.now = now
        self.geo = _geography()
        self.modality_names = {slug: m.name for slug, m in vocab.modalities.items()}
        self.modality_formats = {slug: m.formats for slug, m in vocab.modalities.items()}
        self.need_names = {slug: n.name for slug, n in vocab.needs.items()}
        self.modality_keys = tuple(m for m in _MODALITY_WEIGHTS if m in vocab.modalities)
        self.modality_cum = tuple(
            itertools.accumulate(_MODALITY_WEIGHTS[m] for m in self.modality_keys)
        )
        self.need_keys = tuple(n for n in _NEED_WEIGHTS if n in vocab.needs)
        self.need_cum = tuple(itertools.accumulate(_NEED_WEIGHTS[n] for n in self.need_keys))
        self.age_cum = tuple(itertools.accumulate(p[0] for p in _AGE_PROFILES))
        self.sector_cum = tuple(itertools.accumulate(s[1] for s in _SECTORS))

    def build(self, batch: int, start: int, stop: int, skip: set[str]) -> _Rows:
        rng = random.Random(f"signpost-synthetic:{self.seed}:{batch}")
        rows = _Rows([], [], [], [], [], [], [], [], [])
        org: dict[str, Any] | None = None
        org_left = 0
        town = self.geo.towns[0]
        for number in range(start, stop):
            # Organisations never span batches, so every batch stands alone.
            if org_left == 0 or org is None:
                sector, _, (low, high) = _SECTORS[_pick(rng, self.sector_cum)]
                town = self.geo.towns[_pick(rng, self.geo.cumulative)]
                org_left = rng.randint(low, high)
                org = self._organisation(rng, number, sector, town)
                if org["id"] not in skip:
                    rows.organizations.append(org)
            org_left -= 1
            self._service(rng, rows, number, org, town, skip)
        return rows

    def _organisation(
        self, rng: random.Random, number: int, sector: str, town: _Town
    ) -> dict[str, Any]:
        name = f"Demo {town.name} {rng.choice(_ORG_WORDS[sector])} {number} (synthetic)"
        return {
            "id": _uid(self.seed, "organisation", number),
            "name": name,
            "sector": sector,
            "charity_number": f"DEMO-S{number:07d}" if sector == "charity" else None,
            "website": f"https://org-{self.seed}-{number}.example.org",
            "email": f"org-{self.seed}-{number}@example.org",
            "phone": f"{town.phone_prefix}{rng.randint(0, 999):03d}",
            "description": f"A synthetic demo organisation in {town.name}, for benchmarks.",
            "demo": True,
            "moderation": "approved",
            "created_at": self.now,
            "updated_at": self.now,
        }

    def _service(
        self,
        rng: random.Random,
        rows: _Rows,
        number: int,
        org: dict[str, Any],
        town: _Town,
        skip: set[str],
    ) -> None:
        sid = service_id(self.seed, number)
        # Draw every random choice even for a skipped service, so later ones do not change.
        sector = org["sector"]
        remote = rng.random() < _REMOTE_SHARE
        modalities = _weighted_sample(rng, self.modality_keys, self.modality_cum, rng.randint(1, 4))
        needs = _weighted_sample(rng, self.need_keys, self.need_cum, rng.randint(2, 5))
        _, min_age, max_age = _AGE_PROFILES[_pick(rng, self.age_cum)]
        formats = sorted({f for m in modalities for f in self.modality_formats[m][:2]})
        if remote:
            delivery = sorted(rng.sample(("video", "phone", "online"), rng.randint(1, 3)))
        else:
            delivery = ["in-person", *sorted(
                d for d in ("video", "phone", "online") if rng.random() < 0.35
            )]  # fmt: skip
        referral = [r for r, p in (("self-referral", 0.7), ("gp-referral", 0.5),
                                   ("professional-referral", 0.3)) if rng.random() < p]  # fmt: skip
        if max_age is not None and max_age <= 25 and rng.random() < 0.6:
            referral.append("school-referral")
        if not referral:
            referral = ["self-referral"]
        cost_type, cost_min, cost_max = self._cost(rng, sector)
        capacity = rng.choices(("accepting", "waitlist", "closed"), (60, 32, 8))[0]
        roll = rng.random()
        if roll < 0.03:
            days = rng.randint(380, 600)  # hidden from search
        elif roll < 0.10:
            days = rng.randint(215, 330)  # flagged as possibly out of date
        else:
            days = rng.randint(1, 170)
        verified = self.today - timedelta(days=days)
        languages = "English"
        if rng.random() < 0.1:
            languages = f"English, {rng.choice(_LANGUAGES)}"
        communities = rng.choice(_COMMUNITIES) if rng.random() < 0.1 else ""
        n_locations = 0 if remote else (2 if rng.random() < 0.2 else 1)
        sites = [self._site(rng, town) for _ in range(n_locations)]
        radius = float(rng.randint(5, 40)) if sector != "nhs" and not remote else None
        has_wait = rng.random() < 0.85
        assessment = rng.randint(0, 8)
        treatment = assessment + rng.randint(0, 30)
        modality_wait = modalities[-1] if len(modalities) > 1 and rng.random() < 0.15 else None
        modality_weeks = treatment + rng.randint(2, 20)
        phone = f"{town.phone_prefix}{rng.randint(0, 999):03d}"
        street_numbers = [rng.randint(1, 200) for _ in sites]
        typical = f"{rng.randint(4, 12)} to {rng.randint(13, 24)} sessions"
        trainees = sector == "low-cost" and rng.random() < 0.4
        whole_area = rng.random() < 0.4
        n_districts = rng.randint(3, 8)
        if sid in skip:
            return

        modality_text = " and ".join(self.modality_names[m] for m in modalities[:2])
        place = "online and by phone" if remote else f"in {town.name}"
        how = []
        if "self-referral" in referral:
            how.append(f"Refer yourself online at https://svc-{self.seed}-{number}.example.org "
                       f"or call {phone}.")  # fmt: skip
        if "gp-referral" in referral:
            how.append("Ask your GP to refer you.")
        if "professional-referral" in referral:
            how.append("A health or social care professional can refer you.")
        if "school-referral" in referral:
            how.append("Your school or college can refer you.")
        rows.services.append(
            {
                "id": sid,
                "organization_id": org["id"],
                "name": f"{self.modality_names[modalities[0]]} {place} {number} (synthetic)",
                "description": (
                    f"Synthetic demo listing offering {modality_text} {place}, for "
                    f"{self.need_names[needs[0]].lower()} and more. Generated for benchmarks."
                ),
                "status": "active",
                "website": f"https://svc-{self.seed}-{number}.example.org",
                "email": f"svc-{self.seed}-{number}@example.org",
                "phone": phone,
                "how_to_refer": " ".join(how),
                "minimum_age": min_age,
                "maximum_age": max_age,
                "cost_type": cost_type,
                "cost_min_gbp": cost_min,
                "cost_max_gbp": cost_max,
                "cost_description": None,
                "capacity": capacity,
                "typical_sessions": typical,
                "registration_bodies": None,
                "trainees_deliver": trainees,
                "languages": languages,
                "communities": communities,
                "catchment_national": remote,
                "catchment_radius_km": radius,
                "last_verified_on": verified,
                "last_verified_by_id": None,
                "demo": True,
                "created_at": self.now,
                "updated_at": self.now,
                "version": 1,
            }
        )
        for k, (postcode, lat, lon) in enumerate(sites):
            lid = _uid(self.seed, "location", number, k)
            rows.locations.append(
                {
                    "id": lid,
                    "organization_id": org["id"],
                    "name": f"{town.name} site {k + 1}",
                    "address_1": f"{street_numbers[k]} Example Street",
                    "city": town.name,
                    "postcode": postcode,
                    "latitude": lat,
                    "longitude": lon,
                    "accessibility": None,
                }
            )
            rows.service_at_locations.append(
                {"id": _uid(self.seed, "sal", number, k), "service_id": sid, "location_id": lid}
            )
        if remote:
            areas = [("national", "")]
        elif sector == "nhs":
            # NHS footprints: the town's whole postcode area, or its nearest districts.
            areas = (
                [("postcode-area", town.area)]
                if whole_area
                else [("postcode-district", d) for d in town.districts[:n_districts]]
            )
        else:
            areas = [("radius", f"{radius:g}")]
        for k, (kind, value) in enumerate(areas):
            rows.service_areas.append(
                {
                    "id": _uid(self.seed, "area", number, k),
                    "service_id": sid,
                    "kind": kind,
                    "value": value,
                    "description": None,
                }
            )
        rows.service_modalities.extend({"service_id": sid, "modality": m} for m in modalities)
        rows.service_needs.extend({"service_id": sid, "need": n} for n in needs)
        for kind, values in (("format", formats), ("delivery", delivery), ("referral", referral)):
            rows.service_tags.extend(
                {"service_id": sid, "kind": kind, "value": v} for v in sorted(set(values))
            )
        if has_wait:
            source = "Synthetic (demo)"
            rows.waits.append(self._wait(sid, None, assessment, treatment, verified, source))
            if modality_wait:
                rows.waits.append(
                    self._wait(sid, modality_wait, assessment, modality_weeks, verified, source)
                )

    @staticmethod
    def _wait(
        sid: str, modality: str | None, assessment: int, treatment: int, as_of: date, source: str
    ) -> dict[str, Any]:
        return {
            "service_id": sid,
            "modality": modality,
            "assessment_weeks": assessment,
            "treatment_weeks": treatment,
            "as_of": as_of,
            "source": source,
        }

    @staticmethod
    def _cost(rng: random.Random, sector: str) -> tuple[str, float | None, float | None]:
        if sector == "nhs":
            return "free", None, None
        if sector == "charity":
            return ("free", None, None) if rng.random() < 0.6 else ("donation", None, None)
        if rng.random() < 0.6:
            low = float(rng.randint(5, 30))
            return "sliding-scale", low, low + rng.randint(10, 50)
        price = float(rng.randint(15, 60))
        return "fixed", price, price

    @staticmethod
    def _site(rng: random.Random, town: _Town) -> tuple[str, float, float]:
        district = _pick(rng, town.district_weights)
        postcode, lat, lon = rng.choice(town.postcodes[district])
        # Jitter (about 300 m) so services at one postcode do not share a point exactly.
        return postcode, lat + rng.uniform(-0.003, 0.003), lon + rng.uniform(-0.0045, 0.0045)


def _existing(conn: Connection, start: int, stop: int, seed: int) -> tuple[set[str], bool]:
    """Ids already written for services start..stop and their organisations, and whether
    every service of the batch is already there."""
    first, last = service_id(seed, start), service_id(seed, stop - 1)
    probe = select(Service.id).where(Service.id.in_([first, last]))
    if not conn.execute(probe).first():
        return set(), False  # the usual case: a fresh batch, no big IN query
    ids = [service_id(seed, n) for n in range(start, stop)]
    found = set(conn.scalars(select(Service.id).where(Service.id.in_(ids))))
    complete = len(found) == len(ids)
    org_ids = [_uid(seed, "organisation", n) for n in range(start, stop)]
    found |= set(conn.scalars(select(Organization.id).where(Organization.id.in_(org_ids))))
    return found, complete


def _write(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` through the driver: COPY on PostgreSQL, executemany elsewhere.

    Core ``insert()`` spends more time processing parameters than the database spends
    writing; handing the driver plain tuples is ~3x faster on SQLite and COPY ~10x faster
    than executemany on PostgreSQL.
    """
    columns = [c for c in table.columns if c.name in rows[0]]
    names = [c.name for c in columns]
    getter = itemgetter(*names)
    raw = conn.connection.dbapi_connection
    assert raw is not None
    if conn.dialect.name == "postgresql":
        # psycopg adapts dates, booleans and NULLs itself.
        sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(getter(row))
        return
    # Other databases store dates in their own format (SQLite: ISO text): use the column
    # type's converter, as SQLAlchemy would, but only where one is needed.
    converters = [
        (i, c.type.dialect_impl(conn.dialect).bind_processor(conn.dialect))
        for i, c in enumerate(columns)
        if isinstance(c.type, Date | DateTime)
    ]
    values: list[Any] = [getter(row) for row in rows]
    if converters:
        converted = []
        for value in values:
            items = list(value)
            for i, convert in converters:
                if convert is not None:
                    items[i] = convert(items[i])
            converted.append(items)
        values = converted
    marks = ", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * len(names))
    cursor = raw.cursor()
    try:
        cursor.executemany(
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})", values
        )
    finally:
        cursor.close()


def _ensure_vocabularies() -> None:
    # generate-demo may run straight after `db upgrade`: the link tables need the slugs.
    if not db.session.scalar(select(func.count()).select_from(Modality)):
        from signpost.seeding import ensure_directory_version, seed_vocabularies

        seed_vocabularies(db.session)
        ensure_directory_version(db.session)
        db.session.commit()


def _write_batch(
    conn: Connection, builder: _BatchBuilder, batch: int, start: int, stop: int
) -> tuple[int, int]:
    """Write one batch in one transaction; return (services, rows) written."""
    with conn.begin():
        if conn.dialect.name == "postgresql":
            # Safe: a batch lost in a crash is simply written again on a re-run.
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO off")
        skip, complete = _existing(conn, start, stop, builder.seed)
        if complete:
            return 0, 0
        rows = builder.build(batch, start, stop, skip)
        for table, values in rows.tables():
            if values:
                _write(conn, table, values)
    return len(rows.services), rows.total


def generate_synthetic(
    count: int, seed: int = 1, progress: Progress | None = None
) -> dict[str, int]:
    """Write ``count`` synthetic demo services; return how many services and rows were new.

    Needs an application context. Batches already present (same seed) are skipped, so the
    command can be re-run or resumed after an interruption.
    """
    if not 1 <= count <= 1_000_000:
        raise ValueError("count must be between 1 and 1,000,000")
    _ensure_vocabularies()
    db.session.remove()  # no session transaction may hold SQLite's lock while we write
    builder = _BatchBuilder(seed, date.today(), datetime.now(UTC))
    batches = [
        (batch, start, min(start + BATCH_SIZE, count))
        for batch, start in enumerate(range(0, count, BATCH_SIZE))
    ]
    engine = db.engine
    totals = [0, 0]

    def done(written: tuple[int, int], size: int) -> None:
        totals[0] += written[0]
        totals[1] += written[1]
        if progress is not None:
            progress(size)

    if engine.dialect.name == "postgresql" and len(batches) > 1:
        # The server's per-row work (foreign-key and key checks) dominates and runs on one
        # core per connection: batches are independent, so write them side by side.
        # Progress is reported from this thread only (click's bar is not thread-safe).
        def run(batch: int, start: int, stop: int) -> tuple[int, int]:
            with engine.connect() as conn:
                return _write_batch(conn, builder, batch, start, stop)

        with ThreadPoolExecutor(max_workers=_POSTGRES_WRITERS) as pool:
            futures = {pool.submit(run, *b): b[2] - b[1] for b in batches}
            for future in as_completed(futures):
                done(future.result(), futures[future])
    else:
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                # Random UUID keys touch pages all over each index: SQLite's default 2 MB
                # page cache thrashes past ~20,000 services. This connection only.
                conn.exec_driver_sql(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}")
                conn.commit()
            try:
                for batch, start, stop in batches:
                    done(_write_batch(conn, builder, batch, start, stop), stop - start)
            finally:
                if sqlite:
                    conn.rollback()
                    conn.exec_driver_sql("PRAGMA cache_size=-2000")
                    conn.commit()

    from signpost.directory.versioning import bump

    if totals[0]:
        bump(db.session)  # every worker's search index reloads
        db.session.commit()
    return {"services": totals[0], "rows": totals[1]}
