"""The nine Open Referral UK 3.0 endpoints, relative to ``/api/v1``.

Only approved organisations' active services are public. List endpoints page in SQL and
eager-load what they serialise, so a page costs the same handful of queries at any size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    cast,
    exists,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import selectinload

from signpost.api import params
from signpost.api.views import bp
from signpost.directory.loading import public_service_filter
from signpost.errors import APIError
from signpost.extensions import db
from signpost.geo.geocoder import (
    Geocoder,
    IndexUnavailableError,
    LocationError,
    ResolvedLocation,
)
from signpost.models import Location, Organization, Service, ServiceArea, ServiceAtLocation
from signpost.models.directory import ServiceModality, ServiceNeed, ServiceTag
from signpost.oruk import serialise
from signpost.oruk import taxonomy as tx

MAX_PROXIMITY_METRES = 1_000_000.0
EARTH_RADIUS_M = 6_371_008.8


# --------------------------------------------------------------------------- helpers


def page_envelope(total: int, page: int, per_page: int, contents: list[Any]) -> dict[str, Any]:
    """The ORUK page: ``size`` is the number of items on this page."""
    total_pages = math.ceil(total / per_page) if total else 0
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def not_found(what: str) -> APIError:
    return APIError("not_found", f"No {what} has that id.", field="id", status=404)


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _sql_time(moment: datetime) -> datetime:
    # SQLite keeps naive UTC; PostgreSQL compares aware datetimes correctly.
    if db.session.get_bind().dialect.name == "sqlite":
        return moment.replace(tzinfo=None)
    return moment


def _ages_not_stated() -> ColumnElement[bool]:
    """A harvested listing whose source gave no ages belongs to no age band."""
    return and_(
        Service.source_name.is_not(None),
        Service.minimum_age.is_(None),
        Service.maximum_age.is_(None),
    )


def _term_condition(term: tx.Term) -> ColumnElement[bool]:
    slug = term.slug
    if term.taxonomy == tx.MODALITIES:
        return exists().where(
            ServiceModality.service_id == Service.id, ServiceModality.modality == slug
        )
    if term.taxonomy == tx.NEEDS:
        return exists().where(ServiceNeed.service_id == Service.id, ServiceNeed.need == slug)
    if term.taxonomy == tx.SECTORS:
        return Organization.sector == slug
    if term.taxonomy == tx.CLIENT_GROUPS:
        low = term.min_age or 0
        conditions = [
            ~_ages_not_stated(),
            or_(Service.maximum_age.is_(None), Service.maximum_age >= low),
        ]
        if term.max_age is not None:
            conditions.append(
                or_(Service.minimum_age.is_(None), Service.minimum_age <= term.max_age)
            )
        return and_(*conditions)
    kind = tx.LINK_TYPES[term.taxonomy].replace("referral_route", "referral")
    return exists().where(
        ServiceTag.service_id == Service.id, ServiceTag.kind == kind, ServiceTag.value == slug
    )


def _taxonomy_condition(taxonomy: tx.Taxonomy) -> ColumnElement[bool]:
    if taxonomy.name == tx.MODALITIES:
        return exists().where(ServiceModality.service_id == Service.id)
    if taxonomy.name == tx.NEEDS:
        return exists().where(ServiceNeed.service_id == Service.id)
    if taxonomy.name == tx.SECTORS:
        return Organization.sector.is_not(None)
    if taxonomy.name == tx.CLIENT_GROUPS:
        return ~_ages_not_stated()
    kind = tx.LINK_TYPES[taxonomy.name].replace("referral_route", "referral")
    return exists().where(ServiceTag.service_id == Service.id, ServiceTag.kind == kind)


def service_filters() -> list[ColumnElement[bool]]:
    """The ORUK service filters from the query string, combined with AND."""
    conditions: list[ColumnElement[bool]] = [public_service_filter()]
    cat = tx.get_catalogue()

    search = params.text("search")
    if search:
        for word in search.split()[:10]:
            pattern = _like(word)
            conditions.append(
                or_(
                    Service.name.ilike(pattern, escape="\\"),
                    Service.description.ilike(pattern, escape="\\"),
                    Organization.name.ilike(pattern, escape="\\"),
                )
            )

    term_id = params.text("taxonomy_term_id", max_length=100)
    if term_id:
        term = cat.by_id.get(term_id)
        conditions.append(_term_condition(term) if term else false())

    taxonomy_key = params.text("taxonomy_id", max_length=100)
    if taxonomy_key:
        taxonomy = cat.taxonomy(taxonomy_key)
        conditions.append(_taxonomy_condition(taxonomy) if taxonomy else false())

    minimum_age = params.number("minimum_age", minimum=0, maximum=150)
    if minimum_age is not None:
        conditions.append(func.coalesce(Service.minimum_age, 0) >= minimum_age)
    maximum_age = params.number("maximum_age", minimum=0, maximum=150)
    if maximum_age is not None:
        conditions.append(
            and_(Service.maximum_age.is_not(None), Service.maximum_age <= maximum_age)
        )

    modified_after = params.timestamp("modified_after")
    if modified_after is not None:
        conditions.append(Service.updated_at >= _sql_time(modified_after))

    # Signpost holds no opening times, so no service is known to match a schedule filter.
    day = params.day("day")
    start_time = params.clock("start_time")
    end_time = params.clock("end_time")
    if day is not None or start_time is not None or end_time is not None:
        conditions.append(false())
    return conditions


def _public_service(service_id: str) -> Select[tuple[Service]]:
    return (
        select(Service)
        .join(Organization, Organization.id == Service.organization_id)
        .where(Service.id == service_id, public_service_filter())
    )


# --------------------------------------------------------------------------- services


@bp.get("/services")
def services() -> ResponseReturnValue:
    conditions = service_filters()
    page, per_page = params.paging()
    base = select(Service.id).join(Organization, Organization.id == Service.organization_id)
    total = db.session.execute(
        select(func.count()).select_from(base.where(*conditions).subquery())
    ).scalar_one()
    rows: Sequence[Service] = []
    if total and (page - 1) * per_page < total:
        rows = (
            db.session.execute(
                select(Service)
                .join(Organization, Organization.id == Service.organization_id)
                .where(*conditions)
                .options(*serialise.summary_service_options())
                .order_by(Service.name, Service.id)
                .limit(per_page)
                .offset((page - 1) * per_page)
            )
            .scalars()
            .all()
        )
    contents = [serialise.service_summary(service) for service in rows]
    return jsonify(page_envelope(total, page, per_page, contents))


@bp.get("/services/<service_id>")
def service(service_id: str) -> ResponseReturnValue:
    found = db.session.execute(
        _public_service(service_id).options(*serialise.full_service_options())
    ).scalar_one_or_none()
    if found is None:
        raise not_found("service")
    return jsonify(serialise.service_full(found, tx.get_catalogue()))


# --------------------------------------------------------------------------- taxonomies


def _static_page(items: list[dict[str, Any]]) -> ResponseReturnValue:
    page, per_page = params.paging()
    start = (page - 1) * per_page
    return jsonify(page_envelope(len(items), page, per_page, items[start : start + per_page]))


@bp.get("/taxonomies")
def taxonomies() -> ResponseReturnValue:
    return _static_page([t.to_oruk() for t in tx.get_catalogue().taxonomies])


@bp.get("/taxonomies/<taxonomy_id>")
def taxonomy(taxonomy_id: str) -> ResponseReturnValue:
    found = tx.get_catalogue().taxonomy(taxonomy_id)
    if found is None:
        raise not_found("taxonomy")
    return jsonify(found.to_oruk(with_terms=True))


@bp.get("/taxonomy_terms")
def taxonomy_terms() -> ResponseReturnValue:
    cat = tx.get_catalogue()
    terms = cat.terms
    taxonomy_key = params.text("taxonomy_id", max_length=100)
    if taxonomy_key:
        found = cat.taxonomy(taxonomy_key)
        terms = list(found.terms) if found else []
    return _static_page([term.to_oruk() for term in terms])


@bp.get("/taxonomy_terms/<term_id>")
def taxonomy_term(term_id: str) -> ResponseReturnValue:
    found = tx.get_catalogue().by_id.get(term_id)
    if found is None:
        raise not_found("taxonomy term")
    return jsonify(found.to_oruk())


# --------------------------------------------------------------------------- service at location


def geocoder() -> Geocoder:
    found = current_app.extensions.get("signpost.oruk.geocoder")
    if found is None:
        found = Geocoder(current_app.config["POSTCODE_INDEX"])
        current_app.extensions["signpost.oruk.geocoder"] = found
    return found


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _near_postcode(
    conditions: list[ColumnElement[bool]], postcode: str, proximity: float | None
) -> list[tuple[str, float | None]]:
    """(service_at_location id, metres) in reach of a postcode, nearest first.

    A service with a catchment (national, postcode areas or districts, a radius) only
    appears where the postcode is inside it; one without any catchment is not filtered.
    """
    try:
        place = geocoder().resolve(postcode)
    except LocationError as error:
        raise APIError(error.code, error.message, field="postcode", status=400) from None
    except IndexUnavailableError:
        current_app.logger.error("postcode index unavailable")
        raise APIError(
            "geocoder_unavailable", "Postcode search is unavailable just now.", status=503
        ) from None

    codes = [c for c in (place.outcode, place.area) if c]
    # Non-correlated subqueries: each is evaluated once, whatever the directory's size.
    named = select(ServiceArea.service_id).where(
        or_(
            ServiceArea.kind == "national",
            and_(
                ServiceArea.kind.in_(("postcode-area", "postcode-district")),
                ServiceArea.value.in_(codes),
            ),
        )
    )
    radius_areas = (
        select(
            ServiceArea.service_id.label("service_id"),
            func.max(cast(ServiceArea.value, Float)).label("km"),
        )
        .where(ServiceArea.kind == "radius")
        .group_by(ServiceArea.service_id)
        .subquery()
    )
    has_area = Service.id.in_(select(ServiceArea.service_id))
    covered = or_(Service.catchment_national, Service.id.in_(named))
    no_catchment = and_(
        Service.catchment_radius_km.is_(None), radius_areas.c.km.is_(None), ~has_area
    )
    by_radius = or_(Service.catchment_radius_km.is_not(None), radius_areas.c.km.is_not(None))
    widest_service, widest_area = db.session.execute(
        select(
            func.max(Service.catchment_radius_km),
            select(func.max(radius_areas.c.km)).scalar_subquery(),
        )
    ).one()
    widest = max(widest_service or 0.0, widest_area or 0.0)
    stmt = (
        select(
            ServiceAtLocation.id,
            Location.latitude,
            Location.longitude,
            or_(covered, no_catchment),
            radius_areas.c.km,
            Service.catchment_radius_km,
        )
        .join(Service, Service.id == ServiceAtLocation.service_id)
        .join(Organization, Organization.id == Service.organization_id)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .outerjoin(radius_areas, radius_areas.c.service_id == Service.id)
        .where(*conditions)
        .where(or_(covered, no_catchment, and_(by_radius, _box(Location, place, widest * 1000))))
    )
    if proximity is not None:  # a box in SQL first, the exact distance below
        stmt = stmt.where(_box(Location, place, proximity))

    found: list[tuple[str, float | None]] = []
    for link_id, lat, lon, inside, area_km, radius_km in db.session.execute(stmt):
        metres = (
            None
            if lat is None or lon is None
            else haversine_m(place.latitude, place.longitude, lat, lon)
        )
        if proximity is not None and (metres is None or metres > proximity):
            continue
        if not inside:
            radius = area_km or radius_km
            if radius is None or metres is None or metres > radius * 1000:
                continue
        found.append((link_id, metres))
    found.sort(key=lambda item: (item[1] is None, item[1] or 0.0, item[0]))
    return found


def _box(location: type[Location], place: ResolvedLocation, metres: float) -> ColumnElement[bool]:
    """Locations inside a latitude/longitude box around ``place`` (a cheap first cut)."""
    dlat = math.degrees(metres / EARTH_RADIUS_M)
    dlon = min(180.0, dlat / max(math.cos(math.radians(place.latitude)), 0.01))
    return and_(
        location.latitude.between(place.latitude - dlat, place.latitude + dlat),
        location.longitude.between(place.longitude - dlon, place.longitude + dlon),
    )


def _load_links(ids: Sequence[str], *, full: bool) -> dict[str, ServiceAtLocation]:
    service_options = (
        serialise.full_service_options() if full else serialise.summary_service_options()
    )
    links = (
        db.session.execute(
            select(ServiceAtLocation)
            .where(ServiceAtLocation.id.in_(ids))
            .options(
                selectinload(ServiceAtLocation.location),
                selectinload(ServiceAtLocation.service).options(*service_options),
            )
        )
        .scalars()
        .all()
    )
    return {link.id: link for link in links}


@bp.get("/service_at_locations")
def service_at_locations() -> ResponseReturnValue:
    conditions = service_filters()
    postcode = params.text("postcode", max_length=100)
    proximity = params.number("proximity", minimum=0, maximum=MAX_PROXIMITY_METRES)
    if proximity is not None and postcode is None:
        raise params.bad("proximity", "proximity needs a postcode to measure from.")
    page, per_page = params.paging()
    start = (page - 1) * per_page

    if postcode is not None:
        found = _near_postcode(conditions, postcode, proximity)
        total = len(found)
        window = found[start : start + per_page]
        links = _load_links([link_id for link_id, _ in window], full=False)
        contents = []
        for link_id, metres in window:
            item = serialise.service_at_location_summary(links[link_id])
            if metres is not None:
                item["x_distance_metres"] = round(metres)
            contents.append(item)
        return jsonify(page_envelope(total, page, per_page, contents))

    base = (
        select(ServiceAtLocation.id)
        .join(Service, Service.id == ServiceAtLocation.service_id)
        .join(Organization, Organization.id == Service.organization_id)
        .where(*conditions)
    )
    total = db.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    contents = []
    if total and start < total:
        ids = (
            db.session.execute(
                base.order_by(Service.name, ServiceAtLocation.id).limit(per_page).offset(start)
            )
            .scalars()
            .all()
        )
        links = _load_links(ids, full=False)
        contents = [serialise.service_at_location_summary(links[i]) for i in ids]
    return jsonify(page_envelope(total, page, per_page, contents))


@bp.get("/service_at_locations/<link_id>")
def service_at_location(link_id: str) -> ResponseReturnValue:
    found = db.session.execute(
        select(ServiceAtLocation.id)
        .join(Service, Service.id == ServiceAtLocation.service_id)
        .join(Organization, Organization.id == Service.organization_id)
        .where(ServiceAtLocation.id == link_id, public_service_filter())
    ).scalar_one_or_none()
    if found is None:
        raise not_found("service at location")
    link = _load_links([found], full=True)[found]
    return jsonify(serialise.service_at_location_full(link, tx.get_catalogue()))
