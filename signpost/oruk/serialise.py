"""ORM objects to ORUK 3.0 dicts.

Rules: optional fields that are empty (None, "", [], {}) are left out, never null; ids of
records Signpost does not store as rows (phones, languages, cost options, addresses,
attributes) are UUID5s of their parent, so they are the same on every request and export.
Signpost-only data lives in ``x_``-prefixed extension fields.

Load services with :func:`full_service_options` (or :func:`summary_service_options`) so
serialising a page of services runs a fixed number of queries, whatever its size.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from signpost.models import Location, Organization, Service, ServiceArea, ServiceAtLocation
from signpost.oruk import taxonomy as tx
from signpost.oruk.taxonomy import Catalogue, make_id

JSON = dict[str, Any]

AREA_NAMES = {
    "national": "Anywhere in the country",
    "postcode-area": "{value} postcode area",
    "postcode-district": "{value} postcode district",
    "radius": "Within {value} km of the service",
}

COST_OPTION_LABELS = {
    "free": ["Free"],
    "donation": ["Pay what you can (donation)"],
    "fixed": ["Fixed fee per session"],
    "sliding-scale": [
        "Sliding scale: lowest fee per session",
        "Sliding scale: highest fee per session",
    ],
}

CHARITY_SCHEMES = {"SC": "GB-SC", "NI": "GB-NIC"}


def full_service_options() -> list[LoaderOption]:
    """Eager loading for full service records: one query per relationship, no N+1."""
    return [
        selectinload(Service.organization),
        selectinload(Service.modality_links),
        selectinload(Service.need_links),
        selectinload(Service.tags),
        selectinload(Service.areas),
        selectinload(Service.waits),
        selectinload(Service.service_locations).selectinload(ServiceAtLocation.location),
    ]


def summary_service_options() -> list[LoaderOption]:
    return [selectinload(Service.organization)]


def put(target: JSON, key: str, value: Any) -> None:
    """Set ``key`` unless ``value`` is empty: the API never sends null or empty fields."""
    if value is None or value == "" or value == [] or value == {}:
        return
    target[key] = value


def iso_datetime(value: datetime) -> str:
    """UTC with millisecond accuracy, as ORUK asks for last_modified."""
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def split_list(value: str | None) -> list[str]:
    return [x.strip() for x in (value or "").split(",") if x.strip()]


# --------------------------------------------------------------------------- organisation


def organization_summary(org: Organization) -> JSON:
    out: JSON = {"id": org.id, "name": org.name, "description": org.description or ""}
    put(out, "email", org.email)
    put(out, "website", org.website)
    return out


def organization_full(org: Organization, cat: Catalogue) -> JSON:
    out = organization_summary(org)
    if org.phone:
        out["phones"] = [
            {
                "id": make_id("organization", org.id, "phone"),
                "organization_id": org.id,
                "number": org.phone,
            }
        ]
    if org.charity_number:
        prefix = org.charity_number.strip()[:2].upper()
        out["organization_identifiers"] = [
            {
                "id": make_id("organization", org.id, "identifier", "charity"),
                "organization_id": org.id,
                "identifier_scheme": CHARITY_SCHEMES.get(prefix, "GB-CHC"),
                "identifier_type": "Charity number",
                "identifier": org.charity_number,
            }
        ]
    sector = cat.by_slug.get((tx.SECTORS, org.sector))
    if sector is not None:
        out["attributes"] = [_attribute("organization", org.id, sector)]
    out["x_demo"] = bool(org.demo)
    return out


# --------------------------------------------------------------------------- location


def location_summary(location: Location) -> JSON:
    out: JSON = {"id": location.id, "location_type": "physical"}
    put(out, "name", location.name)
    put(out, "latitude", location.latitude)
    put(out, "longitude", location.longitude)
    return out


def location_full(location: Location) -> JSON:
    out = location_summary(location)
    put(out, "organization_id", location.organization_id)
    if location.address_1 or location.city or location.postcode:
        out["addresses"] = [
            {
                "id": make_id("location", location.id, "address"),
                "location_id": location.id,
                "address_1": location.address_1 or "",
                "city": location.city or "",
                "state_province": "",
                "postal_code": location.postcode or "",
                "country": "GB",
                "address_type": "physical",
            }
        ]
    if location.accessibility:
        out["accessibility"] = [
            {
                "id": make_id("location", location.id, "accessibility"),
                "location_id": location.id,
                "description": location.accessibility,
            }
        ]
    return out


# --------------------------------------------------------------------------- service


def _attribute(entity: str, link_id: str, term: tx.Term) -> JSON:
    return {
        "id": make_id(entity, link_id, "attribute", term.id),
        "link_id": link_id,
        "link_type": tx.LINK_TYPES[term.taxonomy],
        "link_entity": entity,
        "taxonomy_term_id": term.id,
        "taxonomy_term": term.to_oruk(),
    }


def service_terms(service: Service, cat: Catalogue) -> list[tx.Term]:
    """The taxonomy terms of a service, in a stable order."""
    wanted: list[tuple[str, list[str]]] = [
        (tx.MODALITIES, service.modalities),
        (tx.NEEDS, service.needs),
        (tx.FORMATS, service.formats),
        (tx.DELIVERY, service.delivery),
        (tx.REFERRAL_ROUTES, service.referral_routes),
    ]
    terms = []
    for taxonomy, slugs in wanted:
        for slug in sorted(slugs):
            term = cat.by_slug.get((taxonomy, slug))
            if term is not None:
                terms.append(term)
    if not service.ages_not_stated:
        terms.extend(cat.client_groups(service.minimum_age, service.maximum_age))
    return terms


def _cost_options(service: Service) -> list[JSON]:
    if service.cost_type is None:  # not stated: publish only the source's own words (fees)
        return []
    labels = COST_OPTION_LABELS.get(service.cost_type, [service.cost_type])
    amounts: list[float | int | None]
    if service.cost_type == "free":
        amounts = [0]
    elif service.cost_type == "sliding-scale":
        amounts = [_number(service.cost_min_gbp), _number(service.cost_max_gbp)]
    else:
        amounts = [_number(service.cost_min_gbp)]
    options = []
    for index, (label, amount) in enumerate(zip(labels, amounts, strict=False)):
        option: JSON = {
            "id": make_id("service", service.id, "cost", str(index)),
            "service_id": service.id,
            "option": label,
        }
        put(option, "amount", amount)
        if amount is not None:
            option["currency"] = "GBP"
        if index == 0:
            put(option, "amount_description", service.cost_description)
        options.append(option)
    return options


def _cost(service: Service) -> JSON:
    out: JSON = {"type": service.cost_type}
    put(out, "min_gbp", _number(service.cost_min_gbp))
    put(out, "max_gbp", _number(service.cost_max_gbp))
    return out


def _area(area: ServiceArea) -> JSON:
    out: JSON = {"id": area.id, "service_id": area.service_id}
    put(out, "name", area.description or AREA_NAMES[area.kind].format(value=area.value))
    put(out, "service_area", area.value)
    out["x_kind"] = area.kind
    return out


def _waits(service: Service) -> list[JSON]:
    out = []
    # The service-wide wait first, then by therapy: SQLite and PostgreSQL sort NULL apart.
    for wait in sorted(service.waits, key=lambda w: (w.modality is not None, w.modality or "")):
        item: JSON = {}
        put(item, "modality", wait.modality)
        put(item, "assessment_weeks", wait.assessment_weeks)
        put(item, "treatment_weeks", wait.treatment_weeks)
        item["as_of"] = wait.as_of.isoformat()
        put(item, "source", wait.source)
        out.append(item)
    return out


def service_summary(service: Service) -> JSON:
    """The one-to-one fields of a service, with its organisation (list endpoints)."""
    out: JSON = {"id": service.id, "organization_id": service.organization_id, "name": service.name}
    put(out, "description", service.description)
    put(out, "url", service.website)
    put(out, "email", service.email)
    out["status"] = service.status
    put(out, "fees", service.cost_description)
    put(out, "accreditations", service.registration_bodies)
    put(out, "minimum_age", service.minimum_age)
    put(out, "maximum_age", service.maximum_age)
    put(out, "assured_date", iso_date(service.last_verified_on))
    if service.updated_at is not None:
        out["last_modified"] = iso_datetime(service.updated_at)
    out["organization"] = organization_summary(service.organization)
    put(out, "x_capacity", service.capacity)
    out["x_demo"] = bool(service.demo)
    put(out, "x_last_verified", iso_date(service.last_verified_on))
    return out


def service_full(service: Service, cat: Catalogue, *, with_locations: bool = True) -> JSON:
    """A fully nested service (``GET /services/{id}`` and the export)."""
    summary = service_summary(service)
    out: JSON = {k: v for k, v in summary.items() if k != "organization" and not k.startswith("x_")}
    put(out, "application_process", service.how_to_refer)
    if service.phone:
        out["phones"] = [
            {
                "id": make_id("service", service.id, "phone"),
                "service_id": service.id,
                "number": service.phone,
            }
        ]
    put(
        out,
        "languages",
        [
            {
                "id": make_id("service", service.id, "language", name),
                "service_id": service.id,
                "name": name,
            }
            for name in split_list(service.languages)
        ],
    )
    put(out, "cost_options", _cost_options(service))
    put(out, "service_areas", [_area(area) for area in service.areas])
    if with_locations:
        put(
            out,
            "service_at_locations",
            [
                {
                    "id": link.id,
                    "service_id": service.id,
                    "location_id": link.location_id,
                    "location": location_full(link.location),
                }
                for link in sorted(service.service_locations, key=lambda link: link.id)
            ],
        )
    put(
        out,
        "attributes",
        [_attribute("service", service.id, t) for t in service_terms(service, cat)],
    )
    out["organization"] = organization_full(service.organization, cat)
    put(out, "x_capacity", service.capacity)
    out["x_demo"] = bool(service.demo)
    put(out, "x_last_verified", iso_date(service.last_verified_on))
    put(out, "x_waits", _waits(service))
    if service.cost_type is not None:
        out["x_cost"] = _cost(service)
    put(out, "x_typical_sessions", service.typical_sessions)
    out["x_trainees_deliver"] = bool(service.trainees_deliver)
    put(out, "x_communities", split_list(service.communities))
    put(out, "x_eligibility", sorted(service.eligibility_list))
    put(out, "x_eligibility_note", service.eligibility_note)
    put(out, "x_protocols", sorted(service.protocol_list))
    put(out, "x_intensity", {link.modality: link.intensity for link in service.modality_links})
    out["x_catchment_national"] = bool(service.catchment_national)
    put(out, "x_catchment_radius_km", _number(service.catchment_radius_km))
    return out


# --------------------------------------------------------------------------- service at location


def service_at_location_summary(link: ServiceAtLocation) -> JSON:
    return {
        "id": link.id,
        "service_id": link.service_id,
        "location_id": link.location_id,
        "location": location_summary(link.location),
        "service": service_summary(link.service),
    }


def service_at_location_full(link: ServiceAtLocation, cat: Catalogue) -> JSON:
    return {
        "id": link.id,
        "service_id": link.service_id,
        "location_id": link.location_id,
        "location": location_full(link.location),
        "service": service_full(link.service, cat, with_locations=False),
    }
