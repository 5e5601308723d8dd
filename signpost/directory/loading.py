"""Load every public service as matcher records, in a handful of bulk queries.

ORM objects would cost ~100x more at 100,000 services; these are plain tuples grouped
by service id, read through the request's connection.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from signpost.matcher.records import ServiceRecord, Site, Wait
from signpost.models import Location, Organization, Service, ServiceArea, ServiceAtLocation
from signpost.models import Wait as WaitRow
from signpost.models.directory import ServiceModality, ServiceNeed, ServiceTag
from signpost.slugs import NATIONS

PUBLIC_STATUSES = ("active",)


def _split(value: str | None) -> frozenset[str]:
    return frozenset(x.strip() for x in (value or "").split(",") if x.strip())


def _grouped(rows: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = defaultdict(set)
    for service_id, value in rows:
        grouped[service_id].add(value)
    return grouped


def public_service_filter():  # type: ignore[no-untyped-def]
    """The SQL condition for a service the public may see."""
    # A harvested listing is public only once a moderator has confirmed it is therapy.
    reviewed = Service.import_review.is_(None) | (
        (Service.import_review == "confirmed") & (Service.import_class == "therapy")
    )
    return Service.status.in_(PUBLIC_STATUSES) & (Organization.moderation == "approved") & reviewed


def load_records(session: Session, service_ids: Iterable[str] | None = None) -> list[ServiceRecord]:
    """Every public service (or just ``service_ids``) as a ServiceRecord."""
    base = (
        select(
            Service.id,
            Service.name,
            Service.organization_id,
            Organization.name,
            Organization.sector,
            Service.minimum_age,
            Service.maximum_age,
            Service.cost_type,
            Service.cost_min_gbp,
            Service.cost_max_gbp,
            Service.capacity,
            Service.last_verified_on,
            Service.demo,
            Service.catchment_national,
            Service.catchment_radius_km,
            Service.languages,
            Service.communities,
            Service.how_to_refer,
            Service.protocols,
            Service.eligibility,
            Service.eligibility_note,
        )
        .join(Organization, Organization.id == Service.organization_id)
        .where(public_service_filter())
    )
    ids = list(service_ids) if service_ids is not None else None
    if ids is not None:
        base = base.where(Service.id.in_(ids))
    rows = session.execute(base).all()
    if not rows:
        return []

    def scoped(stmt, column):  # type: ignore[no-untyped-def]
        return stmt.where(column.in_(ids)) if ids is not None else stmt

    modalities: dict[str, set[str]] = defaultdict(set)
    low_intensity: dict[str, set[str]] = defaultdict(set)
    for service_id, modality, intensity in session.execute(
        scoped(
            select(ServiceModality.service_id, ServiceModality.modality, ServiceModality.intensity),
            ServiceModality.service_id,
        )
    ):
        modalities[service_id].add(modality)
        if intensity == "low":
            low_intensity[service_id].add(modality)
    needs = _grouped(
        session.execute(
            scoped(select(ServiceNeed.service_id, ServiceNeed.need), ServiceNeed.service_id)
        ).all()
    )
    tags: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for service_id, kind, value in session.execute(
        scoped(
            select(ServiceTag.service_id, ServiceTag.kind, ServiceTag.value), ServiceTag.service_id
        )
    ):
        tags[service_id][kind].add(value)
    areas = _grouped(
        (sid, value)
        for sid, kind, value in session.execute(
            scoped(
                select(ServiceArea.service_id, ServiceArea.kind, ServiceArea.value),
                ServiceArea.service_id,
            )
        )
        if kind in ("postcode-area", "postcode-district")
    )
    national_by_area: dict[str, set[str]] = defaultdict(set)
    for sid, value in session.execute(
        scoped(
            select(ServiceArea.service_id, ServiceArea.value).where(ServiceArea.kind == "national"),
            ServiceArea.service_id,
        )
    ):
        # A named nation limits the catchment; a blank value means the whole UK.
        if value in NATIONS:
            national_by_area[sid].add(value)
        else:
            national_by_area[sid]
    sites: dict[str, list[Site]] = defaultdict(list)
    for service_id, location_id, lat, lon, postcode, name in session.execute(
        scoped(
            select(
                ServiceAtLocation.service_id,
                Location.id,
                Location.latitude,
                Location.longitude,
                Location.postcode,
                Location.name,
            )
            .join(Location, Location.id == ServiceAtLocation.location_id)
            .where(Location.latitude.is_not(None), Location.longitude.is_not(None)),
            ServiceAtLocation.service_id,
        )
    ):
        sites[service_id].append(Site(location_id, lat, lon, postcode or None, name or None))
    waits: dict[str, list[Wait]] = defaultdict(list)
    for service_id, modality, assessment, treatment, as_of, source in session.execute(
        scoped(
            select(
                WaitRow.service_id,
                WaitRow.modality,
                WaitRow.assessment_weeks,
                WaitRow.treatment_weeks,
                WaitRow.as_of,
                WaitRow.source,
            ),
            WaitRow.service_id,
        )
    ):
        waits[service_id].append(Wait(assessment, treatment, as_of, source, modality))

    # url_for once, not 100,000 times.
    url_template = url_for("patient.service", service_id="SERVICE_ID")
    records = []
    for row in rows:
        sid = row[0]
        service_tags = tags.get(sid, {})
        records.append(
            ServiceRecord(
                id=sid,
                name=row[1],
                organization_id=row[2],
                organization_name=row[3],
                sector=row[4],
                modalities=frozenset(modalities.get(sid, ())),
                needs=frozenset(needs.get(sid, ())),
                formats=frozenset(service_tags.get("format", ())),
                delivery=frozenset(service_tags.get("delivery", ())),
                referral_routes=frozenset(service_tags.get("referral", ())),
                minimum_age=row[5],
                maximum_age=row[6],
                cost_type=row[7],
                cost_min_gbp=row[8],
                cost_max_gbp=row[9],
                capacity=row[10],
                last_verified=row[11],
                demo=bool(row[12]),
                sites=tuple(sorted(sites.get(sid, ()), key=lambda s: s.location_id)),
                catchment_national=bool(row[13]) or sid in national_by_area,
                nations=frozenset(national_by_area.get(sid, ())),
                catchment_areas=frozenset(areas.get(sid, ())),
                catchment_radius_km=row[14],
                languages=_split(row[15]),
                communities=_split(row[16]),
                waits=tuple(sorted(waits.get(sid, ()), key=lambda w: w.modality or "")),
                how_to_refer=row[17] or None,
                url=url_template.replace("SERVICE_ID", sid),
                protocols=_split(row[18]),
                low_intensity=frozenset(low_intensity.get(sid, ())),
                eligibility=_split(row[19]),
                eligibility_note=row[20] or None,
            )
        )
    records.sort(key=lambda r: r.id)
    return records
