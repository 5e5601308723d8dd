"""Run a search: place → NICE advice → ranked, explained services.

The patient results page, GP mode and ``/api/v1/match`` all call ``run_search``; only
their rendering differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app

from signpost.extensions import db
from signpost.geo.geocoder import Geocoder, LocationError, ResolvedLocation
from signpost.insights import demand
from signpost.matcher.engine import match
from signpost.matcher.query import MatchQuery
from signpost.matcher.results import MatchOutcome
from signpost.nice import get_nice
from signpost.search.params import FieldError, SearchInputError, SearchParams

_GEOCODER_KEY = "signpost.geocoder"


@dataclass(frozen=True)
class SearchOutcome:
    params: SearchParams
    location: ResolvedLocation
    outcome: MatchOutcome


def geocoder() -> Geocoder:
    """One geocoder per app; it keeps a read-only SQLite connection per thread."""
    found = current_app.extensions.get(_GEOCODER_KEY)
    if found is None:
        found = Geocoder(current_app.config["POSTCODE_INDEX"])
        current_app.extensions[_GEOCODER_KEY] = found
    return found


def resolve_location(text: str) -> ResolvedLocation:
    try:
        return geocoder().resolve(text)
    except LocationError as error:
        raise SearchInputError([FieldError("location", error.code, error.message)]) from error


def run_search(params: SearchParams, *, today: date | None = None) -> SearchOutcome:
    from signpost.directory.search_index import get_index

    location = resolve_location(params.location)
    advice = get_nice().advise(params.need, params.age, params.severity, params.age_band)
    query = MatchQuery(
        latitude=location.latitude,
        longitude=location.longitude,
        outcode=location.outcode,
        area=location.area,
        need=params.need,
        today=today or date.today(),
        age=params.age,
        age_band=params.age_band,
        severity=params.severity,
        modalities=params.modalities,
        relational=params.relational,
        delivery=params.delivery,
        max_cost=params.max_cost,
        self_referral=params.self_referral,
        language=params.language,
        community=params.community,
        radius_km=params.radius_km,
        limit=params.limit,
        circumstances=params.circumstances,
        stale_after_days=current_app.config["STALE_HIDE_DAYS"],
        flag_after_days=current_app.config["STALE_FLAG_DAYS"],
    )
    if current_app.config.get("MATCHER") == "naive":  # benchmarks only: the old way
        from signpost.directory.baseline import load_records_orm
        from signpost.matcher.naive import naive_match

        outcome = naive_match(query, load_records_orm(db.session), advice)
    else:
        outcome = match(query, get_index(db.session), advice)
    # The one place a search writes anything: an anonymous counter, only when a gap was found.
    demand.record_search(
        db.session,
        district=location.outcode,
        need=params.need,
        age_band=advice.age_band,
        gaps=bool(outcome.not_nearby),
        today=query.today,
    )
    return SearchOutcome(params=params, location=location, outcome=outcome)
