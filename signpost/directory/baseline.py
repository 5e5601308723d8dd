"""The straightforward search the index replaced, kept only so benchmarks can measure both.

It loads every public service through the ORM (relationships and all) on every search,
then hands them to ``naive_match``, which measures distances one by one with geopy.
Selected with the ``MATCHER = "naive"`` setting; never the default.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from signpost.directory.loading import public_service_filter
from signpost.matcher.records import ServiceRecord, Site, Wait
from signpost.models import Organization, Service, ServiceAtLocation


def load_records_orm(session: Session) -> list[ServiceRecord]:
    services = session.scalars(
        select(Service)
        .join(Organization)
        .where(public_service_filter())
        .options(
            selectinload(Service.organization),
            selectinload(Service.modality_links),
            selectinload(Service.need_links),
            selectinload(Service.tags),
            selectinload(Service.areas),
            selectinload(Service.waits),
            selectinload(Service.service_locations).selectinload(ServiceAtLocation.location),
        )
    ).all()
    records = []
    for s in services:
        records.append(
            ServiceRecord(
                id=s.id,
                name=s.name,
                organization_id=s.organization_id,
                organization_name=s.organization.name,
                sector=s.organization.sector,
                modalities=frozenset(s.modalities),
                needs=frozenset(s.needs),
                formats=frozenset(s.formats),
                delivery=frozenset(s.delivery),
                referral_routes=frozenset(s.referral_routes),
                minimum_age=s.minimum_age,
                maximum_age=s.maximum_age,
                cost_type=s.cost_type,
                cost_min_gbp=s.cost_min_gbp,
                cost_max_gbp=s.cost_max_gbp,
                capacity=s.capacity,
                last_verified=s.last_verified_on,
                demo=s.demo,
                sites=tuple(
                    sorted(
                        (
                            Site(loc.id, loc.latitude, loc.longitude, loc.postcode or None)
                            for loc in s.locations
                            if loc.latitude is not None and loc.longitude is not None
                        ),
                        key=lambda site: site.location_id,
                    )
                ),
                catchment_national=s.catchment_national
                or any(a.kind == "national" for a in s.areas),
                nations=frozenset(a.value for a in s.areas if a.kind == "national" and a.value),
                catchment_areas=frozenset(
                    a.value for a in s.areas if a.kind in ("postcode-area", "postcode-district")
                ),
                catchment_radius_km=s.catchment_radius_km,
                languages=frozenset(s.language_list),
                communities=frozenset(s.community_list),
                waits=tuple(
                    sorted(
                        (
                            Wait(
                                w.assessment_weeks, w.treatment_weeks, w.as_of, w.source, w.modality
                            )
                            for w in s.waits
                        ),
                        key=lambda w: w.modality or "",
                    )
                ),
                how_to_refer=s.how_to_refer or None,
                url=f"/services/{s.id}",
                protocols=frozenset(s.protocol_list),
                low_intensity=frozenset(s.low_intensity_modalities),
                eligibility=frozenset(s.eligibility_list),
                eligibility_note=s.eligibility_note or None,
            )
        )
    records.sort(key=lambda r: r.id)
    return records
