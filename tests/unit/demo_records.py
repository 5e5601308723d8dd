"""The curated demo directory as matcher records, built from its specs without a database."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from signpost.demo.directory import build_directory, iter_services, load_places
from signpost.matcher.records import ServiceRecord, Site, Wait

TODAY = date(2026, 11, 30)


def _area_code(postcode: str) -> str:
    outward = postcode.split()[0]
    return "".join(ch for ch in outward if ch.isalpha())[:2]


@cache
def demo_records(today: date = TODAY) -> tuple[ServiceRecord, ...]:
    orgs = build_directory()
    records = []
    for org, spec in iter_services(orgs):
        sites = {s.id: s for s in org.sites}
        verified = today - timedelta(days=spec.verified_days_ago)
        records.append(
            ServiceRecord(
                id=spec.id,
                name=spec.name,
                organization_id=org.id,
                organization_name=org.name,
                sector=org.sector,
                modalities=frozenset(spec.modalities),
                needs=frozenset(spec.needs),
                formats=frozenset(spec.formats),
                delivery=frozenset(spec.delivery),
                referral_routes=frozenset(spec.referral_routes),
                minimum_age=spec.minimum_age,
                maximum_age=spec.maximum_age,
                cost_type=spec.cost_type,
                cost_min_gbp=spec.cost_min_gbp,
                cost_max_gbp=spec.cost_max_gbp,
                capacity=spec.capacity,
                last_verified=verified,
                demo=True,
                sites=tuple(
                    Site(i, sites[i].latitude, sites[i].longitude, sites[i].postcode)
                    for i in sorted(spec.site_ids)
                ),
                catchment_national=spec.catchment_national
                or any(kind == "national" for kind, _ in spec.catchment_areas),
                catchment_areas=frozenset(
                    value
                    for kind, value in spec.catchment_areas
                    if kind in ("postcode-area", "postcode-district")
                ),
                catchment_radius_km=spec.catchment_radius_km,
                languages=frozenset(spec.languages),
                communities=frozenset(spec.communities),
                waits=tuple(
                    sorted(
                        (
                            Wait(
                                w.assessment_weeks,
                                w.treatment_weeks,
                                today - timedelta(days=w.days_ago),
                                w.source,
                                w.modality,
                            )
                            for w in spec.waits
                        ),
                        key=lambda w: w.modality or "",
                    )
                ),
                protocols=frozenset(spec.protocols),
                low_intensity=frozenset(spec.low_intensity),
                eligibility=frozenset(spec.eligibility),
                eligibility_note=spec.eligibility_note,
            )
        )
    records.sort(key=lambda r: r.id)
    return tuple(records)


@cache
def demo_places() -> tuple[tuple[str, str, float, float, str, str], ...]:
    """(area key, postcode, latitude, longitude, district, postcode area): one per patch."""
    out = []
    for area in load_places():
        for patch in area.patches:
            place = patch.places[0][0]
            out.append(
                (
                    area.key,
                    place.postcode,
                    place.latitude,
                    place.longitude,
                    place.district,
                    _area_code(place.postcode),
                )
            )
    return tuple(out)
