"""Run a search: place → NICE advice → ranked, explained services.

The patient results page, GP mode and ``/api/v1/match`` all call ``run_search``; only
their rendering differs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from flask import current_app

from signpost.extensions import db
from signpost.geo.geocoder import AmbiguousPlaceError, Geocoder, LocationError, ResolvedLocation
from signpost.insights import demand
from signpost.matcher.engine import match
from signpost.matcher.query import MatchQuery
from signpost.matcher.results import MatchOutcome, RankedService
from signpost.matcher.rules import offers_option
from signpost.nice import get_nice
from signpost.search.params import MAX_LIMIT, FieldError, SearchInputError, SearchParams

_GEOCODER_KEY = "signpost.geocoder"


@dataclass(frozen=True)
class SearchOutcome:
    params: SearchParams
    location: ResolvedLocation
    outcome: MatchOutcome

    @property
    def page_results(self) -> tuple[RankedService, ...]:
        """The ranked services on the page asked for (the matcher ranks all pages above)."""
        start = (self.params.page - 1) * self.params.limit
        return tuple(self.outcome.results[start : start + self.params.limit])

    @property
    def page_count(self) -> int:
        """Pages that can be shown: the matcher ranks at most MAX_LIMIT services."""
        shown = min(self.outcome.total_eligible, MAX_LIMIT)
        return max(1, -(-shown // self.params.limit))


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
        failure = SearchInputError([FieldError("location", error.code, error.message)])
        if isinstance(error, AmbiguousPlaceError):
            failure.places = tuple(error.candidates)
        raise failure from error


def run_search(
    params: SearchParams, *, today: date | None = None, count_demand: bool = False
) -> SearchOutcome:
    """Resolve, match and (for a patient's own search only) count unmet demand anonymously.

    Only the patient search page counts: a GP's repeated searches for one patient, the API's
    clients and reprints would count one person many times."""
    from signpost.directory.search_index import get_index

    location = resolve_location(params.location)
    advice = get_nice().advise(params.need, params.age, params.severity, params.age_band)
    query = MatchQuery(
        latitude=location.latitude,
        longitude=location.longitude,
        outcode=location.outcode,
        area=location.area,
        nation=location.nation,
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
        limit=params.match_limit,
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
    if count_demand:
        demand.record_search(
            db.session,
            district=location.outcode,
            need=params.need,
            age_band=advice.age_band,
            gaps=bool(outcome.not_nearby),
            today=query.today,
        )
    if params.offers:
        outcome = only_offering(outcome, params.offers, params.age)
    return SearchOutcome(params=params, location=location, outcome=outcome)


def only_offering(outcome: MatchOutcome, number: int, age: int | None) -> MatchOutcome:
    """Keep the ranked services that offer the NICE option numbered *number* (1-based, in
    the advice's order), as a link from the choice panel asks; an unknown number keeps all."""
    options = outcome.advice.options
    if not 1 <= number <= len(options):
        return outcome
    option = options[number - 1]
    kept = tuple(r for r in outcome.results if offers_option(option, r.record, age))
    return replace(outcome, results=kept, total_eligible=len(kept))
