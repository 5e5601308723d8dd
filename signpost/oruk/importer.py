"""Import ORUK 3.0 services: validate every record, then upsert by id in one transaction.

Each record is checked against :data:`signpost.oruk.schema.SERVICE` (jsonschema) and then
against the domain: taxonomy terms, age ranges, postcodes, dates, costs and waits. Problems
name the record and the field. Records are written in chunks with bulk statements inside a
single transaction; if any record is bad, nothing is kept.

Re-importing updates by id: organisations, locations and services keep their ORUK ids, a
service's links, tags, catchment, waits and service-at-locations are replaced, and every
imported service gets a revision. Imported services are not demo data unless ``x_demo``
says so. The directory version is bumped once at the end.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator
from sqlalchemy import bindparam, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from signpost import slugs
from signpost.directory import versioning
from signpost.geo.postcodes import classify, normalise_postcode
from signpost.models import (
    Location,
    Organization,
    Revision,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Wait,
)
from signpost.models.directory import ServiceModality, ServiceNeed, ServiceTag
from signpost.oruk import taxonomy as tx
from signpost.oruk.normalise import normalise
from signpost.oruk.schema import DATE_PATTERN, UUID_PATTERN
from signpost.oruk.schema import SERVICE as SERVICE_SCHEMA
from signpost.oruk.serialise import AREA_NAMES
from signpost.oruk.taxonomy import Catalogue, make_id
from signpost.slugs import NATIONS
from signpost.vocab import get_vocabularies

if TYPE_CHECKING:
    from signpost.oruk.provenance import Provenance

JSON = dict[str, Any]
CHUNK = 500
MAX_PROBLEMS = 50
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_AREA = re.compile(r"^[A-Z]{1,2}$")
_TAG_KIND = {tx.FORMATS: "format", tx.DELIVERY: "delivery", tx.REFERRAL_ROUTES: "referral"}
_NATIONAL_WORDS = {"national", "uk", "gb", "united kingdom", "great britain", "england"}

# A moderator's decision on a harvested listing stands when the source changes it.
_SET_ON_INSERT = {"import_class", "import_review"}

_validator = Draft202012Validator(SERVICE_SCHEMA)
_fast_is_valid: Callable[[object], bool] | None
try:  # Optional Rust validator for the common, valid case; messages always come from jsonschema.
    import jsonschema_rs

    _fast_is_valid = jsonschema_rs.validator_for(SERVICE_SCHEMA).is_valid
except ImportError:  # pragma: no cover - depends on the environment
    _fast_is_valid = None


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Problem:
    record: str  # "record 3 (id …, "Name")" or "row 5 (…)"
    field: str  # a JSON path such as "service_at_locations[0].location.latitude"
    message: str

    def __str__(self) -> str:
        return (
            f"{self.record}: {self.field}: {self.message}"
            if self.field
            else (f"{self.record}: {self.message}")
        )


class ImportFailed(Exception):
    """Nothing was written. ``problems`` name each bad record and field."""

    def __init__(self, problems: list[Problem], total: int | None = None) -> None:
        self.problems = problems
        self.total = total if total is not None else len(problems)
        super().__init__(f"{self.total} problem(s); nothing was imported")


@dataclass
class RecordOutcome:
    """What happened to one source record, and why, field by field."""

    source_id: str | None
    name: str | None
    outcome: str = ""
    reasons: list[str] = field(default_factory=list)  # why it was skipped or kept
    notes: list[str] = field(default_factory=list)  # what was normalised or left out
    classification: JSON | None = None
    version: str = ""  # ORUK version the record was read as

    def as_json(self) -> JSON:
        out: JSON = {"source_id": self.source_id, "name": self.name, "outcome": self.outcome}
        if self.version:
            out["oruk_version"] = self.version
        if self.reasons:
            out["reasons"] = self.reasons
        if self.notes:
            out["normalised"] = self.notes
        if self.classification is not None:
            out["classification"] = self.classification
        return out


@dataclass
class ImportSummary:
    services_created: int = 0
    services_updated: int = 0
    organizations_created: int = 0
    organizations_updated: int = 0
    locations_created: int = 0
    locations_updated: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Per source record, for --report: new | changed | unchanged | kept | skipped | withdrawn.
    records: list[RecordOutcome] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.records if r.outcome == outcome)

    def counts(self) -> dict[str, int]:
        names = ("new", "changed", "unchanged", "kept", "withdrawn", "skipped")
        return {name: self.count(name) for name in names}

    @property
    def services(self) -> int:
        return self.services_created + self.services_updated

    def __str__(self) -> str:
        return (
            f"{self.services} services ({self.services_created} new, "
            f"{self.services_updated} updated), {self.organizations_created} new and "
            f"{self.organizations_updated} updated organisations, {self.locations_created} new "
            f"and {self.locations_updated} updated locations in {self.seconds:.1f}s"
        )


# --------------------------------------------------------------------------- parsed rows


@dataclass
class ParsedService:
    label: str
    organization: JSON | None  # organisation row values, None: it must already exist
    service: JSON
    modalities: list[str]
    needs: list[str]
    tags: list[tuple[str, str]]
    areas: list[JSON]
    locations: list[JSON]
    links: list[JSON]  # service_at_locations rows
    waits: list[JSON]
    low_intensity: list[str] = field(default_factory=list)
    outcome: RecordOutcome | None = None


def record_label(index: int, record: object, prefix: str = "record") -> str:
    if not isinstance(record, Mapping):
        return f"{prefix} {index}"
    parts = []
    if isinstance(record.get("id"), str):
        parts.append(f"id {record['id']}")
    if isinstance(record.get("name"), str):
        parts.append(f'"{record["name"][:60]}"')
    return f"{prefix} {index}" + (f" ({', '.join(parts)})" if parts else "")


def _path(parts: Iterable[object]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Checker:
    """Collects the problems of one record."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def problem(self, field_path: str, message: str) -> None:
        self.problems.append(Problem(self.label, field_path, message))

    def warn(self, field_path: str, message: str) -> None:
        self.warnings.append(f"{self.label}: {field_path}: {message}")


def _message(error: Any) -> str:
    """jsonschema's message, in plainer words for the common cases."""
    shown = repr(error.instance)[:60]
    if error.validator == "pattern" and error.validator_value == UUID_PATTERN:
        return f"{shown} is not a UUID"
    if error.validator == "pattern" and error.validator_value == DATE_PATTERN:
        return f"{shown} is not a date (YYYY-MM-DD)"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    return str(error.message)[:200]


def _text(value: object) -> str:
    return " ".join(str(value).split()) if isinstance(value, str) else ""


def _long_text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _or_none(value: str) -> str | None:
    return value or None


def _parse_date(check: _Checker, field_path: str, value: object) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        check.problem(field_path, f"{value!r} is not a date (YYYY-MM-DD)")
        return None


def _parse_datetime(check: _Checker, field_path: str, value: object) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        check.problem(field_path, f"{value!r} is not a date-time (ISO 8601)")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)


def _url(check: _Checker, field_path: str, value: object) -> str | None:
    url = _text(value)
    if url and not url.lower().startswith(("http://", "https://")):
        check.problem(field_path, f"{url[:60]!r} is not a web address (http:// or https://)")
    return url or None


def _email(check: _Checker, field_path: str, value: object) -> str | None:
    email = _text(value)
    if email and not _EMAIL.match(email):
        check.problem(field_path, f"{email[:60]!r} is not an email address")
    return email or None


def _first(items: object, key: str) -> str:
    if isinstance(items, list):
        for item in items:
            if isinstance(item, Mapping) and _text(item.get(key)):
                return _text(item.get(key))
    return ""


def _terms(check: _Checker, cat: Catalogue, attributes: object, field_path: str) -> list[tx.Term]:
    """Signpost terms of an ``attributes`` list. Terms of other taxonomies are skipped with
    a warning; an unknown term of a Signpost taxonomy (or an unknown bare id) is a problem."""
    found: list[tx.Term] = []
    if not isinstance(attributes, list):
        return found
    for index, attribute in enumerate(attributes):
        if not isinstance(attribute, Mapping):
            continue
        where = f"{field_path}[{index}]"
        nested = attribute.get("taxonomy_term")
        nested = nested if isinstance(nested, Mapping) else {}
        term_id = attribute.get("taxonomy_term_id") or nested.get("id")
        term = cat.by_id.get(term_id) if isinstance(term_id, str) else None
        taxonomy_key = nested.get("taxonomy_id") or nested.get("taxonomy")
        taxonomy = cat.taxonomy(taxonomy_key) if isinstance(taxonomy_key, str) else None
        slug = nested.get("term") or nested.get("code")
        if term is None and taxonomy is not None and isinstance(slug, str):
            term = cat.by_slug.get((taxonomy.name, slug))
        if term is not None:
            if taxonomy is not None and term.taxonomy != taxonomy.name:
                check.problem(where, f"term {term.slug!r} is not in taxonomy {taxonomy.name}")
                continue
            found.append(term)
        elif taxonomy is not None or str(taxonomy_key or "").startswith("signpost-"):
            check.problem(
                where,
                f"unknown taxonomy term {slug or term_id!r} in {taxonomy_key} "
                "(see /api/v1/taxonomy_terms)",
            )
        elif nested:
            check.warn(where, f"term {term_id} of taxonomy {taxonomy_key!r} skipped")
        else:
            check.problem(where, f"unknown taxonomy term id {term_id!r}")
    return found


def _cost(
    check: _Checker, record: Mapping[str, Any]
) -> tuple[str | None, float | None, float | None]:
    """The cost a record states; ``None`` when it states none (never taken as free)."""
    x_cost = record.get("x_cost")
    kind: str | None
    if isinstance(x_cost, Mapping):
        kind = str(x_cost.get("type"))
        low, high = x_cost.get("min_gbp"), x_cost.get("max_gbp")
    else:
        options = [o for o in record.get("cost_options") or [] if isinstance(o, Mapping)]
        amounts = sorted(
            {float(o["amount"]) for o in options if isinstance(o.get("amount"), int | float)}
        )
        labels = " ".join(_text(o.get("option")).lower() for o in options)
        low = high = None
        if "donation" in labels:
            kind = "donation"
        elif amounts == [0.0] or (not amounts and re.search(r"\bfree\b", labels)):
            kind = "free"
        elif not amounts:
            kind = None
        elif len(amounts) > 1:
            kind, low, high = "sliding-scale", amounts[0], amounts[-1]
        else:
            kind, low = "fixed", amounts[0]
    low_f = float(low) if isinstance(low, int | float) else None
    high_f = float(high) if isinstance(high, int | float) else None
    if low_f is not None and high_f is not None and high_f < low_f:
        check.problem("x_cost.max_gbp", f"{high_f:g} is below min_gbp {low_f:g}")
    return kind, low_f, high_f


def _area(check: _Checker, service_id: str, index: int, area: Mapping[str, Any]) -> JSON | None:
    where = f"service_areas[{index}]"
    raw = _text(area.get("service_area")).upper().replace(" ", "")
    kind = area.get("x_kind")
    if kind is None:
        name = _text(area.get("name")).lower()
        if raw.lower() in _NATIONAL_WORDS or (not raw and name in _NATIONAL_WORDS):
            kind, raw = "national", "england" if "england" in (raw.lower(), name) else ""
        elif _AREA.match(raw):
            kind = "postcode-area"
        elif raw and classify(raw).kind.value == "outcode":
            kind = "postcode-district"
        else:
            check.warn(where, "not a postcode area or district; skipped")
            return None
    if kind == "postcode-area" and not _AREA.match(raw):
        check.problem(f"{where}.service_area", f"{raw!r} is not a postcode area, like LS")
    elif kind == "postcode-district" and classify(raw).kind.value != "outcode":
        check.problem(f"{where}.service_area", f"{raw!r} is not a postcode district, like LS6")
    elif kind == "radius":
        try:
            ok = math.isfinite(float(raw)) and float(raw) > 0
        except ValueError:
            ok = False
        if not ok:
            check.problem(f"{where}.service_area", f"{raw!r} is not a radius in km")
    elif kind == "national":
        # A national area may name the one UK nation it covers ("scotland"); blank is all.
        raw = raw.lower() if raw.lower() in NATIONS else ""
    name = _text(area.get("name"))
    description = None if not name or name == AREA_NAMES[kind].format(value=raw) else name
    area_id = area.get("id") or make_id("import", service_id, "area", kind, raw)
    return {
        "id": area_id,
        "service_id": service_id,
        "kind": kind,
        "value": raw,
        "description": description,
    }


def _location(
    check: _Checker,
    where: str,
    location: Mapping[str, Any],
    organization_id: str | None,
    geocode: Callable[[str], tuple[float, float] | None] | None,
) -> JSON:
    addresses = [a for a in location.get("addresses") or [] if isinstance(a, Mapping)]
    address = addresses[0] if addresses else {}
    raw_postcode = _text(address.get("postal_code"))
    postcode = ""
    if raw_postcode:
        normal = normalise_postcode(raw_postcode)
        if normal is None:
            check.problem(
                f"{where}.addresses[0].postal_code", f"{raw_postcode!r} is not a UK postcode"
            )
        else:
            postcode = normal
    lat, lon = location.get("latitude"), location.get("longitude")
    if (lat is None) != (lon is None):
        check.problem(f"{where}.latitude", "give both latitude and longitude, or neither")
    if lat is None and lon is None and postcode and geocode is not None:
        found = geocode(postcode)
        if found is None and not postcode.startswith("BT"):
            check.problem(f"{where}.addresses[0].postal_code", f"unknown postcode {postcode}")
        elif found is not None:
            lat, lon = found
    accessibility = _first(location.get("accessibility"), "description")
    return {
        "id": location["id"],
        "organization_id": location.get("organization_id") or organization_id,
        "name": _text(location.get("name")),
        "address_1": _text(address.get("address_1")),
        "city": _text(address.get("city")),
        "postcode": postcode,
        "latitude": float(lat) if isinstance(lat, int | float) else None,
        "longitude": float(lon) if isinstance(lon, int | float) else None,
        "accessibility": _or_none(accessibility),
    }


def _organization(
    check: _Checker, cat: Catalogue, org: Mapping[str, Any], default_sector: str | None
) -> JSON:
    sectors = [t.slug for t in _terms(check, cat, org.get("attributes"), "organization.attributes")
               if t.taxonomy == tx.SECTORS]  # fmt: skip
    # No sector term: not stated (an NHS trust is never guessed to be a charity).
    sector = sectors[0] if sectors else default_sector
    charity = ""
    for identifier in org.get("organization_identifiers") or []:
        if not isinstance(identifier, Mapping):
            continue
        kind = f"{identifier.get('identifier_type', '')} {identifier.get('identifier_scheme', '')}"
        if "charity" in kind.lower() or re.search(r"GB-(CHC|SC|NIC)", kind):
            charity = _text(identifier.get("identifier"))
            break
    return {
        "id": org["id"],
        "name": _text(org.get("name")),
        "sector": sector,
        "charity_number": _or_none(charity),
        "website": _url(check, "organization.website", org.get("website")),
        "email": _email(check, "organization.email", org.get("email")),
        "phone": _or_none(_first(org.get("phones"), "number")),
        "description": _long_text(org.get("description")),
        "demo": bool(org.get("x_demo", False)),
    }


def parse_service(
    label: str,
    record: object,
    cat: Catalogue,
    *,
    default_sector: str | None = None,
    geocode: Callable[[str], tuple[float, float] | None] | None = None,
    now: datetime | None = None,
) -> tuple[ParsedService | None, list[Problem], list[str]]:
    """Check one ORUK service; return its rows, or the problems found."""
    check = _Checker(label)
    if not isinstance(record, Mapping):
        check.problem("", "a service must be a JSON object")
        return None, check.problems, check.warnings
    errors = []
    if _fast_is_valid is None or not _fast_is_valid(record):
        errors = sorted(_validator.iter_errors(record), key=lambda e: list(map(str, e.path)))
    for error in errors[:10]:
        check.problem(_path(error.absolute_path) or "(record)", _message(error))
    if errors:
        return None, check.problems, check.warnings

    service_id: str = record["id"]
    org_record = record.get("organization")
    organization = None
    organization_id = record.get("organization_id")
    if isinstance(org_record, Mapping):
        organization = _organization(check, cat, org_record, default_sector)
        if organization_id and organization_id != organization["id"]:
            check.problem("organization_id", "does not match organization.id")
        organization_id = organization["id"]
    elif not organization_id:
        check.problem("organization", "a service needs its organization (or organization_id)")

    terms = _terms(check, cat, record.get("attributes"), "attributes")
    minimum_age, maximum_age = record.get("minimum_age"), record.get("maximum_age")
    if minimum_age is not None and maximum_age is not None and maximum_age < minimum_age:
        check.problem("maximum_age", f"{maximum_age} is below minimum_age {minimum_age}")

    cost_type, cost_min, cost_max = _cost(check, record)
    cost_description = _long_text(record.get("fees")) or _first(
        record.get("cost_options"), "amount_description"
    )
    verified = _parse_date(check, "x_last_verified", record.get("x_last_verified")) or _parse_date(
        check, "assured_date", record.get("assured_date")
    )
    modified = _parse_datetime(check, "last_modified", record.get("last_modified"))

    areas = []
    for index, area in enumerate(record.get("service_areas") or []):
        row = _area(check, service_id, index, area)
        if row is not None:
            areas.append(row)

    locations, links, seen_locations = [], [], set()
    for index, link in enumerate(record.get("service_at_locations") or []):
        where = f"service_at_locations[{index}]"
        location = _location(check, f"{where}.location", link["location"], organization_id, geocode)
        if location["id"] in seen_locations:
            check.problem(f"{where}.location.id", "the same location is listed twice")
            continue
        seen_locations.add(location["id"])
        locations.append(location)
        links.append({"id": link["id"], "service_id": service_id, "location_id": location["id"]})

    waits, wait_keys = [], set()
    for index, wait in enumerate(record.get("x_waits") or []):
        where = f"x_waits[{index}]"
        modality = wait.get("modality")
        if modality is not None and (tx.MODALITIES, modality) not in cat.by_slug:
            check.problem(f"{where}.modality", f"unknown modality {modality!r}")
        if modality in wait_keys:
            check.problem(f"{where}.modality", "two waits for the same modality")
        wait_keys.add(modality)
        as_of = _parse_date(check, f"{where}.as_of", wait.get("as_of"))
        waits.append(
            {
                "service_id": service_id,
                "modality": modality,
                "assessment_weeks": wait.get("assessment_weeks"),
                "treatment_weeks": wait.get("treatment_weeks"),
                "as_of": as_of,
                "source": _text(wait.get("source")) or "provider",
            }
        )

    languages = [
        _text(item.get("name")).replace(",", " ")
        for item in record.get("languages") or []
        if _text(item.get("name"))
    ]
    communities = [_text(c).replace(",", " ") for c in record.get("x_communities") or []]
    vocab = get_vocabularies()
    eligibility = _slugs(check, "x_eligibility", record.get("x_eligibility"), vocab.eligibility)
    protocols = _slugs(check, "x_protocols", record.get("x_protocols"), vocab.protocols)
    offered = {t.slug for t in terms if t.taxonomy == tx.MODALITIES}
    low_intensity = []
    for modality, level in sorted((record.get("x_intensity") or {}).items()):
        if modality not in offered:
            check.warn(f"x_intensity.{modality}", "intensity for a modality not offered; skipped")
        elif level == "low":
            low_intensity.append(modality)
    service = {
        "id": service_id,
        "organization_id": organization_id,
        "name": _text(record.get("name")),
        "description": _long_text(record.get("description")),
        "status": record.get("status") or "active",
        "website": _url(check, "url", record.get("url")),
        "email": _email(check, "email", record.get("email")),
        "phone": _or_none(_first(record.get("phones"), "number")),
        "how_to_refer": _long_text(record.get("application_process")),
        "minimum_age": minimum_age,
        "maximum_age": maximum_age,
        "cost_type": cost_type,
        "cost_min_gbp": cost_min,
        "cost_max_gbp": cost_max,
        "cost_description": _or_none(cost_description),
        "capacity": record.get("x_capacity"),  # None: not stated
        "typical_sessions": _or_none(_text(record.get("x_typical_sessions"))),
        "registration_bodies": _or_none(_text(record.get("accreditations"))),
        "trainees_deliver": bool(record.get("x_trainees_deliver", False)),
        "languages": ", ".join(languages),
        "communities": ", ".join(c for c in communities if c),
        "eligibility": ", ".join(eligibility),
        "eligibility_note": _or_none(_text(record.get("x_eligibility_note"))[:200]),
        "protocols": ", ".join(protocols),
        "catchment_national": bool(record.get("x_catchment_national", False)),
        "catchment_radius_km": record.get("x_catchment_radius_km"),
        "last_verified_on": verified,
        "demo": bool(record.get("x_demo", False)),
        "updated_at": modified or now or datetime.now(UTC),
    }
    if check.problems:
        return None, check.problems, check.warnings
    tags = [(_TAG_KIND[t.taxonomy], t.slug) for t in terms if t.taxonomy in _TAG_KIND]
    parsed = ParsedService(
        label=label,
        organization=organization,
        service=service,
        modalities=sorted({t.slug for t in terms if t.taxonomy == tx.MODALITIES}),
        needs=sorted({t.slug for t in terms if t.taxonomy == tx.NEEDS}),
        tags=sorted(set(tags)),
        areas=areas,
        locations=locations,
        links=links,
        waits=waits,
        low_intensity=low_intensity,
    )
    return parsed, [], check.warnings


def _slugs(check: _Checker, where: str, values: object, known: Mapping[str, object]) -> list[str]:
    """Slugs from a closed vocabulary; anything else is a problem naming the field."""
    found = []
    for index, value in enumerate(values or []):  # type: ignore[attr-defined]
        slug = _text(value).lower()
        if slug not in known:
            check.problem(f"{where}[{index}]", f"unknown value {slug!r}")
        elif slug not in found:
            found.append(slug)
    return sorted(found)


# --------------------------------------------------------------------------- writing


def _update_params(row: JSON) -> JSON:
    """UPDATE parameters without the primary key in SET: SQLite checks every child table
    (some without an index on their foreign key) whenever a parent key is assigned."""
    params = {key: value for key, value in row.items() if key != "id"}
    params["b_id"] = row["id"]
    return params


def _fingerprint(row: JSON) -> int:
    return hash(tuple(sorted(row.items())))


class _Writer:
    """Writes parsed services in chunks with bulk statements (no ORM unit of work)."""

    def __init__(self, session: Session, summary: ImportSummary, source: str) -> None:
        self.session = session
        self.summary = summary
        self.note = f"Imported from {source}"[:500]
        # What was written for each organisation and location, as a hash: records that
        # share one (the same organisation on many services) are written once per change.
        self.orgs: dict[str, int] = {}
        self.locations: dict[str, int] = {}
        self.service_ids: dict[str, str] = {}  # id -> label of the record that had it
        self.area_ids: set[str] = set()
        self.link_ids: set[str] = set()

    def _existing(self, model: Any, ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        wanted = list(ids)
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            found.update(
                self.session.execute(select(model.id).where(model.id.in_(chunk))).scalars()
            )
        return found

    def _owned_elsewhere(self, model: Any, ids: list[str], services: set[str]) -> dict[str, str]:
        clash: dict[str, str] = {}
        for start in range(0, len(ids), 900):
            rows = self.session.execute(
                select(model.id, model.service_id).where(model.id.in_(ids[start : start + 900]))
            )
            clash.update({i: s for i, s in rows if s not in services})
        return clash

    def _organizations(self, model: Any, ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(ids), 900):
            rows = self.session.execute(
                select(model.id, model.organization_id).where(
                    model.id.in_(ids[start : start + 900])
                )
            )
            found.update({i: o for i, o in rows})
        return found

    def check_ids(self, parsed: list[ParsedService]) -> list[Problem]:
        """Ids must be unique across the whole import and not belong to another service."""
        problems = []
        chunk_services = {p.service["id"] for p in parsed}
        areas = [a["id"] for p in parsed for a in p.areas]
        links = [x["id"] for p in parsed for x in p.links]
        area_clash = self._owned_elsewhere(ServiceArea, areas, chunk_services)
        link_clash = self._owned_elsewhere(ServiceAtLocation, links, chunk_services)
        # An id never moves a service, or takes over a location, of another organisation.
        service_orgs = self._organizations(Service, list(chunk_services))
        location_orgs = self._organizations(
            Location, [loc["id"] for p in parsed for loc in p.locations]
        )
        for p in parsed:
            sid = p.service["id"]
            if sid in self.service_ids:
                problems.append(
                    Problem(p.label, "id", f"service id already used by {self.service_ids[sid]}")
                )
                continue
            self.service_ids[sid] = p.label.split(" (")[0]
            owner = service_orgs.get(sid)
            if owner is not None and owner != p.service["organization_id"]:
                problems.append(
                    Problem(p.label, "id", "a service of another organisation has this id; "
                            "a service cannot move between organisations")
                )  # fmt: skip
            for i, location in enumerate(p.locations):
                owner = location_orgs.get(location["id"])
                if owner is not None and owner != location["organization_id"]:
                    problems.append(
                        Problem(p.label, f"service_at_locations[{i}].location.id",
                                "a location of another organisation has this id")
                    )  # fmt: skip
            for i, area in enumerate(p.areas):
                if area["id"] in self.area_ids or area["id"] in area_clash:
                    problems.append(Problem(p.label, f"service_areas[{i}].id", "used elsewhere"))
                self.area_ids.add(area["id"])
            for i, link in enumerate(p.links):
                if link["id"] in self.link_ids or link["id"] in link_clash:
                    problems.append(
                        Problem(p.label, f"service_at_locations[{i}].id", "used elsewhere")
                    )
                self.link_ids.add(link["id"])
        return problems

    def write(self, parsed: list[ParsedService]) -> None:
        session = self.session
        self._write_organizations(parsed)
        self._write_locations(parsed)

        ids = [p.service["id"] for p in parsed]
        existing = self._existing(Service, ids)
        new_rows = [p.service for p in parsed if p.service["id"] not in existing]
        updates = [p.service for p in parsed if p.service["id"] in existing]
        if new_rows:
            session.execute(insert(Service.__table__), new_rows)
        if updates:
            table = Service.__table__
            session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(version=table.c.version + 1),
                [
                    {k: v for k, v in _update_params(row).items() if k not in _SET_ON_INSERT}
                    for row in updates
                ],
            )
            old = [row["id"] for row in updates]
            for model in (ServiceModality, ServiceNeed, ServiceTag, ServiceArea, Wait,
                          ServiceAtLocation):  # fmt: skip
                session.execute(
                    delete(model.__table__).where(model.__table__.c.service_id.in_(old))
                )
        self.summary.services_created += len(new_rows)
        self.summary.services_updated += len(updates)

        children: list[tuple[Any, list[JSON]]] = [
            (ServiceModality, [{"service_id": p.service["id"], "modality": m,
                                "intensity": "low" if m in p.low_intensity else "high"}
                               for p in parsed for m in p.modalities]),
            (ServiceNeed, [{"service_id": p.service["id"], "need": n}
                           for p in parsed for n in p.needs]),
            (ServiceTag, [{"service_id": p.service["id"], "kind": k, "value": v}
                          for p in parsed for k, v in p.tags]),
            (ServiceArea, [a for p in parsed for a in p.areas]),
            (Wait, [w for p in parsed for w in p.waits]),
            (ServiceAtLocation, [x for p in parsed for x in p.links]),
        ]  # fmt: skip
        for model, rows in children:
            if rows:
                session.execute(insert(model.__table__), rows)
        session.execute(
            insert(Revision.__table__),
            [
                {
                    "entity_type": "service",
                    "entity_id": p.service["id"],
                    "organization_id": p.service["organization_id"],
                    "action": "import-update" if p.service["id"] in existing else "import-create",
                    "user_id": None,
                    "note": self.note,
                }
                for p in parsed
            ],
        )

    def _upsert(
        self, model: Any, rows: dict[str, JSON], insert_extra: JSON | None = None
    ) -> tuple[int, int]:
        existing = self._existing(model, rows)
        new = [{**row, **(insert_extra or {})} for key, row in rows.items() if key not in existing]
        old = [_update_params(row) for key, row in rows.items() if key in existing]
        if new:
            self.session.execute(insert(model.__table__), new)
        if old:
            table = model.__table__
            self.session.execute(update(table).where(table.c.id == bindparam("b_id")), old)
        return len(new), len(old)

    def _write_organizations(self, parsed: list[ParsedService]) -> None:
        wanted: dict[str, JSON] = {}
        for p in parsed:
            org = p.organization
            if org is None:
                continue
            fingerprint = _fingerprint(org)
            if self.orgs.get(org["id"]) != fingerprint:
                wanted[org["id"]] = org
                self.orgs[org["id"]] = fingerprint
        missing = {p.service["organization_id"] for p in parsed if p.organization is None}
        missing -= set(self.orgs)
        if missing:
            absent = missing - self._existing(Organization, missing)
            if absent:
                raise ImportFailed(
                    [Problem(p.label, "organization_id", "no such organisation")
                     for p in parsed if p.service["organization_id"] in absent]
                )  # fmt: skip
        if wanted:
            # New organisations are approved (an administrator runs the import); a
            # moderator's decision on an existing one stands.
            # A sector the source does not state never clears one set here.
            stated = {k: row for k, row in wanted.items() if row["sector"] is not None}
            unstated = {
                k: {c: v for c, v in row.items() if c != "sector"}
                for k, row in wanted.items()
                if row["sector"] is None
            }
            for rows in (stated, unstated):
                if rows:
                    created, updated = self._upsert(
                        Organization, rows, insert_extra={"moderation": "approved"}
                    )
                    self.summary.organizations_created += created
                    self.summary.organizations_updated += updated

    def _write_locations(self, parsed: list[ParsedService]) -> None:
        wanted: dict[str, JSON] = {}
        for p in parsed:
            for location in p.locations:
                fingerprint = _fingerprint(location)
                if self.locations.get(location["id"]) != fingerprint:
                    wanted[location["id"]] = location
                    self.locations[location["id"]] = fingerprint
        if wanted:
            created, updated = self._upsert(Location, wanted)
            self.summary.locations_created += created
            self.summary.locations_updated += updated


# --------------------------------------------------------------------------- entry point


def import_services(
    session: Session,
    records: Iterable[tuple[str, object]],
    *,
    source: str = "ORUK import",
    default_sector: str | None = None,
    geocode: Callable[[str], tuple[float, float] | None] | None = None,
    progress: Callable[[int], None] | None = None,
    dry_run: bool = False,
    skip_bad: bool = False,
    provenance: Provenance | None = None,
) -> ImportSummary:
    """Validate and write ``records`` ((label, service dict) pairs) in one transaction.

    Every record is first normalised (:mod:`signpost.oruk.normalise`). By default a bad
    record refuses the import: :class:`ImportFailed` is raised after rolling back. With
    ``skip_bad`` bad records are skipped and reported in ``summary.records`` and the rest
    are written. ``provenance`` (a harvest) records where each listing came from, leaves
    unchanged records and listings edited by their organisation alone, and classifies new
    ones for the curation queue. Commits unless ``dry_run``. ``progress`` is called with
    the count of records done.
    """
    if default_sector is not None and default_sector not in slugs.SECTORS:
        raise ValueError(f"unknown sector {default_sector!r}")
    started = time.perf_counter()
    cat = tx.get_catalogue()
    summary = ImportSummary()
    writer = _Writer(session, summary, source)
    problems: list[Problem] = []
    total_problems = 0
    pending: list[ParsedService] = []
    now = datetime.now(UTC)
    namespace = provenance.name if provenance is not None else "import"
    if session.get_bind().dialect.name == "postgresql":
        # In one long transaction the planner has no statistics for the rows this import has
        # already written, and would scan whole tables for every chunk's id look-ups.
        session.execute(text("SET LOCAL enable_seqscan = off"))

    def skip(parsed: ParsedService, reasons: list[str]) -> None:
        assert parsed.outcome is not None
        parsed.outcome.outcome = "skipped"
        parsed.outcome.reasons.extend(reasons)

    def flush() -> None:
        nonlocal total_problems, pending
        clashes = writer.check_ids(pending)
        if clashes and skip_bad:
            bad: dict[str, list[str]] = {}
            for clash in clashes:
                bad.setdefault(clash.record, []).append(f"{clash.field}: {clash.message}")
            for parsed in pending:
                if parsed.label in bad:
                    skip(parsed, bad[parsed.label])
            pending = [p for p in pending if p.label not in bad]
        elif clashes:
            total_problems += len(clashes)
            problems.extend(clashes[: max(0, MAX_PROBLEMS - len(problems))])
        if provenance is not None:
            pending = provenance.sort(session, pending, now)
        else:
            existing = writer._existing(Service, [p.service["id"] for p in pending])
            for parsed in pending:
                assert parsed.outcome is not None
                parsed.outcome.outcome = "changed" if parsed.service["id"] in existing else "new"
        if dry_run:  # count what would happen, write nothing
            summary.services_updated += sum(1 for p in pending if p.outcome.outcome == "changed")
            summary.services_created += sum(1 for p in pending if p.outcome.outcome == "new")
        elif not problems and pending:
            writer.write(pending)
        pending = []

    try:
        count = 0
        for label, raw in records:
            normal = normalise(raw, cat, namespace)
            record = normal.record
            outcome = RecordOutcome(
                source_id=normal.source_record_id,
                name=_text(raw.get("name"))[:200] if isinstance(raw, Mapping) else None,
                notes=list(normal.notes),
                version=normal.version if isinstance(raw, Mapping) else "",
            )
            summary.records.append(outcome)
            if provenance is not None and isinstance(record, Mapping):
                provenance.saw(record.get("id"))  # even if skipped: not withdrawn for that
            parsed, found, warnings = parse_service(
                label, record, cat, default_sector=default_sector, geocode=geocode, now=now
            )
            summary.warnings.extend(warnings[:5])
            outcome.notes.extend(w.removeprefix(f"{label}: ") for w in warnings)
            if found and skip_bad:
                outcome.outcome = "skipped"
                outcome.reasons = [f"{p.field}: {p.message}" if p.field else p.message
                                   for p in found]  # fmt: skip
            elif found:
                outcome.outcome = "refused"
                total_problems += len(found)
                problems.extend(found[: max(0, MAX_PROBLEMS - len(problems))])
            elif parsed is not None:
                parsed.outcome = outcome
                parsed.service["opening_times"] = normal.opening_times
                parsed.service["area_description"] = normal.area_description
                if provenance is not None:
                    provenance.stamp(parsed, raw, normal, now)
                pending.append(parsed)
                if len(pending) >= CHUNK:
                    flush()
            count += 1
            if progress is not None:
                progress(count)
        if pending:
            flush()
        if count == 0:
            problems.append(Problem("the file", "", "has no services"))
            total_problems += 1
        if problems:
            raise ImportFailed(problems, total_problems)
        if provenance is not None:
            provenance.finish(session, summary, now, dry_run=dry_run)
        if dry_run:
            session.rollback()
        else:
            versioning.bump(session)
            session.commit()
    except ImportFailed:
        session.rollback()
        raise
    except IntegrityError as error:
        session.rollback()
        detail = str(error.orig).splitlines()[0][:200]
        raise ImportFailed(
            [Problem("the import", "", f"the database refused it ({detail}); is the "
                     "database seeded (flask seed --no-demo)?")]
        ) from None  # fmt: skip
    except BaseException:
        session.rollback()
        raise
    summary.seconds = time.perf_counter() - started
    return summary
