"""The curated demo directory: fictional services across ten English areas and nationally.

Two steps, so the content can be tested without a database:

* :func:`build_directory` turns the templates in ``seed_data/demo_directory.yaml`` and the
  places in ``seed_data/demo_places.yaml`` into plain specs. It is deterministic: a
  ``random.Random`` seeded per template instance picks the variations, ids are UUID5s of
  names, and dates are kept as "days before seeding".
* :func:`install_directory` writes the organisations that are not in the database yet.

Everything is flagged ``demo``, uses example.org addresses and Ofcom's drama phone ranges.
"""

from __future__ import annotations

import functools
import random
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from signpost import slugs
from signpost.models import (
    Location,
    Organization,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Wait,
)
from signpost.vocab import get_vocabularies

__all__ = [
    "DEMO_NAMESPACE",
    "Area",
    "OrganisationSpec",
    "Patch",
    "Place",
    "ServiceSpec",
    "SiteSpec",
    "WaitSpec",
    "build_directory",
    "demo_id",
    "install_directory",
    "iter_services",
    "load_places",
    "slugify",
]

SEED_DATA = Path(__file__).resolve().parent.parent.parent / "seed_data"
PLACES_PATH = SEED_DATA / "demo_places.yaml"
TEMPLATES_PATH = SEED_DATA / "demo_directory.yaml"

# Fixed namespace: the same names give the same ids on every machine, so links to demo
# services (in docs, tests, bookmarks) survive a re-seed.
DEMO_NAMESPACE = uuid.UUID("5e1c7a2e-3b7d-5c55-9f0e-5167e05d0001")
NATIONAL = "national"

# Ofcom drama ranges (1000 numbers each) used for remote services.
NATIONAL_ORG_PREFIX = "01632 960"
MOBILE_PREFIX = "07700 900"

# Share of listings by how long ago they were last checked: most recent, some flagged as
# possibly out of date (7-11 months), a few hidden from search (over a year).
_FLAGGED_SHARE = 0.07
_HIDDEN_SHARE = 0.03
_FRESH_DAYS = (2, 150)
_FLAGGED_DAYS = (215, 330)
_HIDDEN_DAYS = (380, 520)

_STREETS = (
    "High Street", "Station Road", "Church Street", "Market Place", "Victoria Road",
    "Park Road", "Mill Lane", "Queen Street", "North Road", "Chapel Street", "Albert Road",
    "New Street",
)  # fmt: skip
_BUILDINGS = (
    "Wellbeing Centre", "Community House", "Health Centre", "Resource Centre", "Hub",
    "Clinic",
)  # fmt: skip
_ACCESSIBILITY = (
    "Step-free entrance, lift to all floors and an accessible toilet.",
    "Ground-floor rooms, hearing loop at reception and accessible toilet.",
    "First-floor rooms with no lift: ask us about a ground-floor room.",
    "Step-free access; quiet waiting room available on request.",
    None,
)


# ------------------------------------------------------------------------------- places


@dataclass(frozen=True)
class Place:
    postcode: str
    latitude: float
    longitude: float
    district: str
    locality: str


@dataclass(frozen=True)
class Patch:
    """An NHS footprint: where one set of NHS services takes referrals from."""

    name: str
    postcode_areas: tuple[str, ...]
    postcode_districts: tuple[str, ...]
    # Per locality, every real postcode listed for it (several per postcode district).
    places: tuple[tuple[Place, ...], ...]

    @property
    def localities(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for options in self.places:
            seen.setdefault(options[0].locality)
        return tuple(seen)


@dataclass(frozen=True)
class Area:
    key: str
    name: str
    kind: str  # city | rural
    phone_prefix: str
    patches: tuple[Patch, ...]


def load_places(path: Path = PLACES_PATH) -> tuple[Area, ...]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    areas = []
    for item in raw["areas"]:
        patches = []
        for p in item["patches"]:
            places = tuple(
                tuple(
                    Place(pc, float(lat), float(lon), pl["district"], pl["locality"])
                    for pc, lat, lon in pl["postcodes"]
                )
                for pl in p["places"]
            )
            patches.append(
                Patch(
                    p["name"],
                    tuple(p["postcode_areas"]),
                    tuple(p["postcode_districts"]),
                    places,
                )
            )
        areas.append(
            Area(item["key"], item["name"], item["kind"], item["phone_prefix"], tuple(patches))
        )
    return tuple(areas)


# -------------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class SiteSpec:
    id: str
    name: str
    address_1: str
    city: str
    postcode: str
    latitude: float
    longitude: float
    accessibility: str | None


@dataclass(frozen=True)
class WaitSpec:
    modality: str | None
    assessment_weeks: int
    treatment_weeks: int
    days_ago: int
    source: str


@dataclass(frozen=True)
class ServiceSpec:
    id: str
    area: str  # area key, or "national"
    name: str
    description: str
    modalities: tuple[str, ...]
    needs: tuple[str, ...]
    formats: tuple[str, ...]
    delivery: tuple[str, ...]
    referral_routes: tuple[str, ...]
    how_to_refer: str
    minimum_age: int | None
    maximum_age: int | None
    cost_type: str
    cost_min_gbp: float | None
    cost_max_gbp: float | None
    cost_description: str
    capacity: str
    typical_sessions: str | None
    registration_bodies: str | None
    trainees_deliver: bool
    languages: tuple[str, ...]
    communities: tuple[str, ...]
    protocols: tuple[str, ...]
    low_intensity: tuple[str, ...]
    eligibility: tuple[str, ...]
    eligibility_note: str | None
    catchment_national: bool
    catchment_radius_km: float | None
    catchment_areas: tuple[tuple[str, str], ...]  # (kind, value)
    catchment_description: str
    site_ids: tuple[str, ...]
    waits: tuple[WaitSpec, ...]
    verified_days_ago: int
    website: str
    email: str
    phone: str


@dataclass(frozen=True)
class OrganisationSpec:
    id: str
    key: str  # template key
    area: str
    name: str
    sector: str
    charity_number: str | None
    website: str
    email: str
    phone: str
    description: str
    sites: tuple[SiteSpec, ...]
    services: tuple[ServiceSpec, ...] = field(default=())


def demo_id(*parts: object) -> str:
    return str(uuid.uuid5(DEMO_NAMESPACE, ":".join(str(p) for p in parts)))


_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = 60) -> str:
    """ "Example Leeds Counselling Collective (demo)" -> "example-leeds-counselling-collective"."""
    text = text.lower().replace("(demo)", "").replace("'", "").replace("+", "plus")
    slug = _NON_ALNUM.sub("-", text).strip("-")
    if len(slug) > max_length:  # DNS labels stop at 63 characters
        slug = slug[:max_length].rsplit("-", 1)[0]
    return slug


# ------------------------------------------------------------------------------ builder


class _Phones:
    """Hands out drama-range numbers in order, so every listing has its own number."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def take(self, prefix: str) -> str:
        n = self._next.get(prefix, 100)
        if n > 999:
            raise ValueError(f"drama range {prefix}xxx exhausted")
        self._next[prefix] = n + 1
        return f"{prefix}{n:03d}"


@dataclass(frozen=True)
class _Instance:
    area: Area | None  # None: national
    place_name: str
    patch: Patch | None
    places: tuple[tuple[Place, ...], ...]


def _applies(template: Mapping[str, Any], area_key: str) -> bool:
    only = template.get("only_in")
    return (not only or area_key in only) and area_key not in template.get("skip_in", ())


def _instances(template: Mapping[str, Any], area: Area, town_cursor: list[int]) -> list[_Instance]:
    where = template["where"]
    if where == "patch" or area.kind == "city":
        # NHS footprints, and local groups in cities: one per patch (London has three).
        return [_Instance(area, patch.name, patch, patch.places) for patch in area.patches]
    # Rural: local groups sit in market towns, rotating so each town gets different groups.
    patch = area.patches[0]
    towns = patch.localities
    count = min(int(template.get("rural_towns", 1)), len(towns))
    out = []
    for _ in range(count):
        town = towns[town_cursor[0] % len(towns)]
        town_cursor[0] += 1
        places = tuple(options for options in patch.places if options[0].locality == town)
        out.append(_Instance(area, town, patch, places))
    return out


def _fill(text: str, place: str) -> str:
    return " ".join(text.replace("{place}", place).split())


def _cost(spec: Mapping[str, Any], sector: str) -> tuple[str, float | None, float | None, str]:
    kind = spec["type"]
    if kind == "free":
        return kind, None, None, "Free on the NHS." if sector == "nhs" else "Free."
    if kind == "donation":
        suggested = spec.get("suggested")
        text = "Free. Donations are welcome if you can afford one"
        text += f", for example £{suggested} a session." if suggested else "."
        return kind, None, None, text
    if kind == "fixed":
        amount = float(spec["amount"])
        return kind, amount, amount, f"£{amount:g} a session."
    low, high = float(spec["min"]), float(spec["max"])
    return kind, low, high, f"£{low:g} to £{high:g} a session, depending on your income."


def _how_to_refer(routes: Iterable[str], website: str, phone: str) -> str:
    sentences = {
        "self-referral": f"Refer yourself online at {website}/refer or call {phone}.",
        "gp-referral": "Ask your GP to refer you.",
        "professional-referral": (
            "A health or social care professional, such as your GP, health visitor, social "
            "worker or care coordinator, can refer you."
        ),
        "school-referral": (
            "Your school or college can refer you: ask your teacher or pastoral lead."
        ),
    }
    return " ".join(sentences[route] for route in routes)


def _verified_days_ago(rng: random.Random) -> int:
    roll = rng.random()
    if roll < _HIDDEN_SHARE:
        return rng.randint(*_HIDDEN_DAYS)
    if roll < _HIDDEN_SHARE + _FLAGGED_SHARE:
        return rng.randint(*_FLAGGED_DAYS)
    return rng.randint(*_FRESH_DAYS)


def _sites(
    org_name: str, instance: _Instance, count: int, rng: random.Random
) -> tuple[SiteSpec, ...]:
    if not instance.places or count == 0:
        return ()
    chosen = rng.sample(instance.places, min(count, len(instance.places)))
    short = org_name.replace(" (demo)", "")
    sites = []
    for options in chosen:
        place = rng.choice(options)
        building = rng.choice(_BUILDINGS)
        sites.append(
            SiteSpec(
                id=demo_id("location", org_name, place.postcode),
                name=f"{short}, {place.locality} {building}",
                address_1=f"{rng.randint(1, 180)} {rng.choice(_STREETS)}",
                city=place.locality,
                postcode=place.postcode,
                latitude=place.latitude,
                longitude=place.longitude,
                accessibility=rng.choice(_ACCESSIBILITY),
            )
        )
    return tuple(sites)


def _catchment(
    spec: Any, instance: _Instance, rng: random.Random
) -> tuple[bool, float | None, tuple[tuple[str, str], ...], str]:
    if spec == NATIONAL:
        gb = (("national", "england"), ("national", "wales"), ("national", "scotland"))
        return True, None, gb, "Anywhere in Great Britain, by phone or online"
    if spec == "patch":
        patch = instance.patch
        assert patch is not None, "a patch catchment needs a patch"
        areas = tuple(("postcode-area", a) for a in patch.postcode_areas) + tuple(
            ("postcode-district", d) for d in patch.postcode_districts
        )
        return False, None, areas, f"People living in {patch.name}"
    low, high = spec["radius"]
    km = float(rng.randint(low, high))
    return False, km, (("radius", f"{km:g}"),), f"Within {km:g} km of {instance.place_name}"


def _service(
    tpl: Mapping[str, Any],
    org: Mapping[str, Any],
    org_name: str,
    instance: _Instance,
    sites: tuple[SiteSpec, ...],
    index: int,
    phones: _Phones,
    phone_prefix: str,
) -> ServiceSpec:
    name = _fill(tpl["name"], instance.place_name)
    area_key = instance.area.key if instance.area else NATIONAL
    rng = random.Random(f"signpost-demo:{area_key}:{org_name}:{name}")
    sector = org["sector"]
    cost_type, cost_min, cost_max, cost_text = _cost(tpl["cost"], sector)
    website = f"https://{slugify(name if len(org['services']) > 1 else org_name)}.example.org"
    phone = phones.take(phone_prefix)
    routes = tuple(r for r in ("self-referral", "gp-referral", "professional-referral",
                               "school-referral") if r in tpl["referral"])  # fmt: skip
    national, radius, areas, area_text = _catchment(tpl["catchment"], instance, rng)
    site_count = 0 if national else int(tpl.get("sites", 1))
    site_ids = tuple(sites[(index + k) % len(sites)].id for k in range(min(site_count, len(sites))))

    verified = _verified_days_ago(rng)
    waits: list[WaitSpec] = []
    source = "Monthly waiting-time figures (demo)" if sector == "nhs" else "Provider (demo)"
    if "waits" in tpl:
        assessment = rng.randint(*tpl["waits"]["assessment"])
        treatment = max(assessment, rng.randint(*tpl["waits"]["treatment"]))
        waits.append(WaitSpec(None, assessment, treatment, verified, source))
        for modality, (low, high) in tpl.get("modality_waits", {}).items():
            weeks = max(assessment, rng.randint(low, high))
            waits.append(WaitSpec(modality, assessment, weeks, verified, source))

    languages = tpl.get("languages_by_area", {}).get(area_key) or tpl.get("languages", ["English"])
    communities = tpl.get("communities_by_area", {}).get(area_key) or tpl.get("communities", [])
    min_age, max_age = tpl["ages"]
    return ServiceSpec(
        id=demo_id("service", org_name, name),
        area=area_key,
        name=name,
        description=_fill(tpl["description"], instance.place_name),
        modalities=tuple(tpl["modalities"]),
        needs=tuple(tpl["needs"]),
        formats=tuple(tpl["formats"]),
        delivery=tuple(tpl["delivery"]),
        referral_routes=routes,
        how_to_refer=_how_to_refer(routes, website, phone),
        minimum_age=min_age,
        maximum_age=max_age,
        cost_type=cost_type,
        cost_min_gbp=cost_min,
        cost_max_gbp=cost_max,
        cost_description=cost_text,
        capacity=rng.choice(tpl["capacity"]),
        typical_sessions=tpl.get("typical_sessions"),
        registration_bodies=tpl.get("registration_bodies"),
        trainees_deliver=bool(tpl.get("trainees", False)),
        languages=tuple(languages),
        communities=tuple(communities),
        protocols=tuple(tpl.get("protocols", ())),
        low_intensity=tuple(tpl.get("low_intensity", ())),
        eligibility=tuple(tpl.get("eligibility", ())),
        eligibility_note=(
            _fill(tpl["eligibility_note"], instance.place_name)
            if tpl.get("eligibility_note")
            else None
        ),
        catchment_national=national,
        catchment_radius_km=radius,
        catchment_areas=areas,
        catchment_description=area_text,
        site_ids=site_ids,
        waits=tuple(waits),
        verified_days_ago=verified,
        website=website,
        email=f"{slugify(org_name, 40)}@example.org",
        phone=phone,
    )


def _organisation(
    org: Mapping[str, Any], instance: _Instance, phones: _Phones, charity_counter: list[int]
) -> OrganisationSpec | None:
    area_key = instance.area.key if instance.area else NATIONAL
    rng = random.Random(f"signpost-demo:{area_key}:{org['key']}:{instance.place_name}")
    name = _fill(rng.choice(org["names"]), instance.place_name)
    templates = [t for t in org["services"] if _applies(t, area_key)]
    if not templates:
        return None
    remote = org["where"] == NATIONAL
    org_prefix = NATIONAL_ORG_PREFIX if remote else instance.area.phone_prefix  # type: ignore[union-attr]
    service_prefix = MOBILE_PREFIX if remote else org_prefix
    needed = max(int(t.get("sites", 1)) for t in templates) if not remote else 0
    sites = _sites(name, instance, needed, rng)
    charity_number = None
    if org["sector"] == "charity":
        charity_counter[0] += 1
        charity_number = f"DEMO-{charity_counter[0]:05d}"  # never a real registered number
    services = tuple(
        _service(t, org, name, instance, sites, i, phones, service_prefix)
        for i, t in enumerate(templates)
    )
    used = {sid for s in services for sid in s.site_ids}
    return OrganisationSpec(
        id=demo_id("organisation", name),
        key=org["key"],
        area=area_key,
        name=name,
        sector=org["sector"],
        charity_number=charity_number,
        website=f"https://{slugify(name)}.example.org",
        email=f"{slugify(name, 40)}@example.org",
        phone=phones.take(org_prefix),
        description=_fill(org["description"], instance.place_name),
        sites=tuple(s for s in sites if s.id in used),
        services=services,
    )


@functools.cache
def build_directory(
    places_path: Path = PLACES_PATH, templates_path: Path = TEMPLATES_PATH
) -> tuple[OrganisationSpec, ...]:
    """The whole curated directory as specs (no database). Same files, same result."""
    areas = load_places(places_path)
    templates = yaml.safe_load(templates_path.read_text(encoding="utf-8"))["organisations"]
    phones = _Phones()
    charity_counter = [0]
    orgs: list[OrganisationSpec] = []
    for area in areas:
        town_cursor = [0]
        for template in templates:
            if template["where"] == NATIONAL or not _applies(template, area.key):
                continue
            for instance in _instances(template, area, town_cursor):
                built = _organisation(template, instance, phones, charity_counter)
                if built is not None:
                    orgs.append(built)
    national = _Instance(None, "Great Britain", None, ())
    for template in templates:
        if template["where"] == NATIONAL:
            built = _organisation(template, national, phones, charity_counter)
            if built is not None:
                orgs.append(built)
    _check_unique(orgs)
    _check_vocabularies(orgs)
    return tuple(orgs)


def _check_vocabularies(orgs: list[OrganisationSpec]) -> None:
    """Fail with the service's name if a template uses a slug outside the vocabularies."""
    vocab = get_vocabularies()
    allowed = {
        "modalities": set(vocab.modalities),
        "needs": set(vocab.needs),
        "formats": set(slugs.FORMATS),
        "delivery": set(slugs.DELIVERY),
        "referral_routes": set(slugs.REFERRAL_ROUTES),
    }
    for org in orgs:
        if org.sector not in slugs.SECTORS:
            raise ValueError(f"demo directory: {org.name}: unknown sector {org.sector!r}")
        for service in org.services:
            for attribute, values in allowed.items():
                unknown = set(getattr(service, attribute)) - values
                if unknown or not getattr(service, attribute):
                    raise ValueError(
                        f"demo directory: {service.name}: bad {attribute} {sorted(unknown)}"
                    )
            if service.capacity not in slugs.CAPACITY or service.cost_type not in slugs.COST_TYPES:
                raise ValueError(f"demo directory: {service.name}: bad capacity or cost type")
            if (
                set(service.protocols) - set(vocab.protocols)
                or set(service.eligibility) - set(vocab.eligibility)
                or set(service.low_intensity) - set(service.modalities)
            ):
                raise ValueError(
                    f"demo directory: {service.name}: unknown protocol or eligibility, or a "
                    "low-intensity modality it does not offer"
                )


def _check_unique(orgs: list[OrganisationSpec]) -> None:
    # Ids come from names, so a duplicate name would silently merge two listings.
    ids = [o.id for o in orgs] + [s.id for o in orgs for s in o.services]
    if len(ids) != len(set(ids)):
        raise ValueError("demo directory: duplicate organisation or service names")


def iter_services(
    orgs: Iterable[OrganisationSpec],
) -> Iterator[tuple[OrganisationSpec, ServiceSpec]]:
    for org in orgs:
        for service in org.services:
            yield org, service


# ------------------------------------------------------------------------------ install


def install_directory(session: Session, today: date | None = None) -> dict[str, int]:
    """Add the demo organisations (with their services) that the database lacks.

    Idempotent: organisations already present, by id, are left alone, so a re-seed never
    duplicates and never overwrites edits made while trying the demo.
    """
    today = today or date.today()
    orgs = build_directory()
    existing = set(
        session.scalars(select(Organization.id).where(Organization.id.in_([o.id for o in orgs])))
    )
    missing = [spec for spec in orgs if spec.id not in existing]
    rows = [_organisation_row(spec) for spec in missing]
    session.add_all(rows)
    # Locations point at their organisation without an ORM relationship, so the unit of
    # work cannot order them: organisations go in first.
    session.flush()
    with session.no_autoflush:  # one flush for everything, not one per organisation
        for spec, org in zip(missing, rows, strict=True):
            locations = {site.id: _location_row(site, spec.id) for site in spec.sites}
            org.services = [_service_row(s, locations, today) for s in spec.services]
    session.flush()
    return {
        "organisations": len(missing),
        "services": sum(len(spec.services) for spec in missing),
    }


def _organisation_row(spec: OrganisationSpec) -> Organization:
    return Organization(
        id=spec.id,
        name=spec.name,
        sector=spec.sector,
        charity_number=spec.charity_number,
        website=spec.website,
        email=spec.email,
        phone=spec.phone,
        description=spec.description,
        demo=True,
        moderation="approved",
    )


def _location_row(site: SiteSpec, organisation_id: str) -> Location:
    return Location(
        id=site.id,
        organization_id=organisation_id,
        name=site.name,
        address_1=site.address_1,
        city=site.city,
        postcode=site.postcode,
        latitude=site.latitude,
        longitude=site.longitude,
        accessibility=site.accessibility,
    )


def _service_row(spec: ServiceSpec, locations: Mapping[str, Location], today: date) -> Service:
    verified = today - timedelta(days=spec.verified_days_ago)
    service = Service(
        id=spec.id,
        name=spec.name,
        description=spec.description,
        status="active",
        website=spec.website,
        email=spec.email,
        phone=spec.phone,
        how_to_refer=spec.how_to_refer,
        minimum_age=spec.minimum_age,
        maximum_age=spec.maximum_age,
        cost_type=spec.cost_type,
        cost_min_gbp=spec.cost_min_gbp,
        cost_max_gbp=spec.cost_max_gbp,
        cost_description=spec.cost_description,
        capacity=spec.capacity,
        typical_sessions=spec.typical_sessions,
        registration_bodies=spec.registration_bodies,
        trainees_deliver=spec.trainees_deliver,
        languages=", ".join(spec.languages),
        communities=", ".join(spec.communities),
        protocols=", ".join(spec.protocols),
        eligibility=", ".join(spec.eligibility),
        eligibility_note=spec.eligibility_note,
        catchment_national=spec.catchment_national,
        catchment_radius_km=spec.catchment_radius_km,
        last_verified_on=verified,
        demo=True,
    )
    service.set_modalities(list(spec.modalities), spec.low_intensity)
    service.set_needs(list(spec.needs))
    service.set_tags("format", list(spec.formats))
    service.set_tags("delivery", list(spec.delivery))
    service.set_tags("referral", list(spec.referral_routes))
    service.areas = [
        ServiceArea(
            id=demo_id("service-area", spec.id, kind, value),
            kind=kind,
            value=value,
            description=spec.catchment_description,
        )
        for kind, value in spec.catchment_areas
    ]
    service.service_locations = [
        ServiceAtLocation(
            id=demo_id("service-at-location", spec.id, site_id), location=locations[site_id]
        )
        for site_id in spec.site_ids
    ]
    service.waits = [
        Wait(
            modality=w.modality,
            assessment_weeks=w.assessment_weeks,
            treatment_weeks=w.treatment_weeks,
            as_of=today - timedelta(days=w.days_ago),
            source=w.source,
        )
        for w in spec.waits
    ]
    return service
