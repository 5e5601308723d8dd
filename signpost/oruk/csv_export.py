"""``flask export-csv``: published services in the import template's columns.

One row per service and location, so the file can be edited and read back with
``import-csv``. Every cell passes through :func:`csv_safe`: a value a spreadsheet would run
as a formula (``=``, ``+``, ``@``, ``-`` not a number) is quoted with an apostrophe.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from signpost.models import Service, ServiceAtLocation
from signpost.oruk.csv_io import COLUMN_NAMES, csv_safe


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _rows(service: Service) -> Iterator[dict[str, Any]]:
    org = service.organization
    catchment = ["national"] if service.catchment_national else []
    catchment += [area.value for area in service.areas if area.kind != "national" and area.value]
    overall = next((w for w in service.waits if w.modality is None), None)
    base = {
        "organization_id": org.id, "organization_name": org.name,
        "organization_sector": org.sector or "", "organization_charity_number": org.charity_number,
        "organization_website": org.website, "organization_email": org.email,
        "organization_phone": org.phone, "organization_description": org.description,
        "service_id": service.id, "service_name": service.name,
        "description": service.description, "status": service.status,
        "website": service.website, "email": service.email, "phone": service.phone,
        "how_to_refer": service.how_to_refer, "minimum_age": service.minimum_age,
        "maximum_age": service.maximum_age, "modalities": "; ".join(service.modalities),
        "needs": "; ".join(service.needs), "formats": "; ".join(service.formats),
        "delivery": "; ".join(service.delivery),
        "referral_routes": "; ".join(service.referral_routes),
        "cost_type": service.cost_type or "", "cost_min_gbp": _number(service.cost_min_gbp),
        "cost_max_gbp": _number(service.cost_max_gbp),
        "cost_description": service.cost_description, "capacity": service.capacity or "",
        "languages": "; ".join(service.language_list),
        "communities": "; ".join(service.community_list),
        "typical_sessions": service.typical_sessions,
        "registration_bodies": service.registration_bodies,
        "trainees_deliver": "yes" if service.trainees_deliver else "no",
        "catchment": "; ".join(catchment),
        "catchment_radius_km": _number(service.catchment_radius_km),
        "wait_assessment_weeks": overall.assessment_weeks if overall else None,
        "wait_treatment_weeks": overall.treatment_weeks if overall else None,
        "wait_as_of": overall.as_of.isoformat() if overall and overall.as_of else None,
        "last_verified": service.last_verified_on.isoformat() if service.last_verified_on else None,
        "demo": "yes" if service.demo else "no",
    }  # fmt: skip
    locations = service.locations or [None]
    for location in locations:
        row = dict(base)
        if location is not None:
            row.update(
                location_id=location.id, location_name=location.name,
                address=location.address_1, city=location.city, postcode=location.postcode,
                latitude=_number(location.latitude), longitude=_number(location.longitude),
                accessibility=location.accessibility,
            )  # fmt: skip
        yield row


def write_csv(session: Session, ids: list[str], out: IO[str]) -> int:
    """Write the services ``ids`` as CSV rows; return the number of services."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMN_NAMES)
    count = 0
    for start in range(0, len(ids), 500):
        services = session.execute(
            select(Service)
            .where(Service.id.in_(ids[start : start + 500]))
            .options(
                selectinload(Service.organization),
                selectinload(Service.service_locations).selectinload(ServiceAtLocation.location),
                selectinload(Service.areas),
                selectinload(Service.waits),
                selectinload(Service.modality_links),
                selectinload(Service.need_links),
                selectinload(Service.tags),
            )
            .order_by(Service.id)
        ).scalars()
        for service in services:
            for row in _rows(service):
                writer.writerow([csv_safe(row.get(name)) for name in COLUMN_NAMES])
            count += 1
    return count
