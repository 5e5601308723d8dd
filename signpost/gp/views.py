"""GP consultation mode: one screen to search, tick up to five services, then a printable
handout or a short text for the clinical record.

The same search as the patient pages (parse_args → run_search → presenters). Nothing
about the patient is stored or logged: the query lives only in the URL, and these views
only read the directory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from signpost.crisis import crisis_lines
from signpost.directory.loading import public_service_filter
from signpost.extensions import db
from signpost.gp import handout, qr
from signpost.models import Organization, Service
from signpost.rate_limits import heavy_page
from signpost.search import presenters
from signpost.search.params import (
    LANGUAGES,
    FieldError,
    SearchInputError,
    SearchParams,
    parse_args,
)
from signpost.search.service import SearchOutcome, run_search
from signpost.template_globals import set_person
from signpost.urls import absolute_url
from signpost.vocab import get_vocabularies

bp = Blueprint("gp", __name__)

NO_SERVICE_TICKED = FieldError(
    "service", "missing_service", "Select at least one service for the handout"
)
NONE_USABLE = FieldError(
    "service",
    "no_usable_service",
    "The services you selected are not in these results. Select at least one service",
)


@dataclass(frozen=True)
class _Search:
    found: SearchOutcome
    view: dict[str, Any]
    routes: dict[str, frozenset[str]]


def _parse() -> SearchParams:
    return parse_args(request.args)


def _search(params: SearchParams) -> _Search:
    found = run_search(params)
    set_person(found.location.nation, params.age)
    view = presenters.present(
        found, today=date.today(), **presenters.date_settings(current_app.config)
    )
    records = {r.record.id: r.record for r in found.outcome.results}
    for row in view["results"]:
        record = records[row["id"]]
        row["gp"] = {
            "distance": handout.compact_distance(row["distance_km"], row["in_person_km"]),
            "wait": handout.compact_wait(record.overall_wait()),
            "cost": handout.compact_cost(
                record.cost_type, record.cost_min_gbp, record.cost_max_gbp
            ),
            "referral": handout.referral_short(record.referral_routes),
        }
    routes = {service_id: record.referral_routes for service_id, record in records.items()}
    return _Search(found=found, view=view, routes=routes)


def _for_gp(error: FieldError) -> FieldError:
    """The shared messages speak to the patient; in GP mode they speak about them."""
    message = error.message.replace(
        "what you would like help with", "what your patient wants help with"
    )
    return FieldError(error.field, error.code, message)


def _consultation(
    search: _Search | None = None,
    errors: Sequence[FieldError] = (),
    ticked: Sequence[str] = (),
) -> ResponseReturnValue:
    vocab = get_vocabularies()
    errors = [_for_gp(e) for e in errors]
    page = render_template(
        "gp/consultation.html",
        vocab=vocab,
        values=request.args,
        errors={e.field: e.message for e in errors},
        # NHS macros give a group's first radio or checkbox the group's name as its id.
        error_links=[{"text": e.message, "href": f"#{e.field}"} for e in errors],
        languages=LANGUAGES,
        communities=presenters.COMMUNITIES,
        has_preferences=presenters.has_preferences(request.args),
        found=search.found if search else None,
        view=search.view if search else None,
        ticked=set(ticked),
        max_services=handout.MAX_SERVICES,
    )
    return page, 400 if errors else 200


def _asked() -> bool:
    """Whether the form was sent (an empty /gp is the blank form, not an error)."""
    return any(key != "service" for key in request.args)


@bp.get("")
@heavy_page
def consultation() -> ResponseReturnValue:
    if not _asked():
        return _consultation()
    try:
        search = _search(_parse())
    except SearchInputError as error:
        return _consultation(errors=error.errors)
    return _consultation(search, ticked=handout.clean_ids(request.args.getlist("service")))


def _public_services(ids: Sequence[str]) -> dict[str, Service]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(Service).join(Organization).where(Service.id.in_(ids), public_service_filter())
    ).scalars()
    return {service.id: service for service in rows}


def _contact(service: Service | None) -> handout.Contact:
    if service is None:
        return handout.Contact()
    organisation = service.organization
    return handout.Contact(
        phone=service.phone or organisation.phone,
        website=service.website or organisation.website,
        email=service.email or organisation.email,
    )


@dataclass(frozen=True)
class _Handout:
    search: _Search
    services: tuple[handout.HandoutService, ...]
    notices: tuple[str, ...]
    record: str
    query: str


def _build_handout() -> _Handout | ResponseReturnValue:
    """The ticked services for this search, or the consultation page with what is wrong."""
    try:
        search = _search(_parse())
    except SearchInputError as error:
        return _consultation(errors=error.errors)
    ticked = handout.clean_ids(request.args.getlist("service"))
    if not ticked:
        return _consultation(search, errors=[NO_SERVICE_TICKED])
    in_results = [row["id"] for row in search.view["results"]]
    public = _public_services(ticked)
    selection = handout.select_services(
        ticked, in_results, {service_id: s.name for service_id, s in public.items()}
    )
    if not selection.chosen:
        return _consultation(search, errors=[NONE_USABLE])
    rows = {row["id"]: row for row in search.view["results"]}
    services = tuple(
        handout.build_service(
            rows[service_id],
            search.routes[service_id],
            _contact(public.get(service_id)),
        )
        for service_id in selection.chosen
    )
    params = search.found.params
    record = handout.record_text(
        today=date.today(),
        need=params.need,
        severity=params.severity,
        age=params.age,
        age_band=params.age_band,
        area=handout.record_area(search.found.location),
        advice=search.found.outcome.advice,
        services=services,
        routes=search.routes,
        crisis=crisis_lines(search.found.location.nation, params.age),
    )
    return _Handout(
        search=search,
        services=services,
        notices=selection.notices,
        record=record,
        query=urlencode(params.to_query()),
    )


def _page_context(built: _Handout) -> Mapping[str, Any]:
    chosen = [("service", s.id) for s in built.services]
    return {
        "found": built.search.found,
        "view": built.search.view,
        "services": built.services,
        "notices": built.notices,
        "record": built.record,
        "area": handout.record_area(built.search.found.location),
        "today": presenters.long_date(date.today()),
        "back_url": f"{url_for('gp.consultation')}?{built.query}&{urlencode(chosen)}",
        "handout_url": f"{url_for('gp.handout')}?{built.query}&{urlencode(chosen)}",
    }


@bp.get("/handout", endpoint="handout")
@heavy_page
def handout_page() -> ResponseReturnValue:
    built = _build_handout()
    if not isinstance(built, _Handout):
        return built
    # The paper may be left anywhere: its QR code carries the outward code, never the
    # full postcode, just as the printed text does.
    found = built.search.found
    area = found.location.outcode if found.location.precision == "postcode" else None
    pairs = [
        ("location", area) if key == "location" and area else (key, value)
        for key, value in found.params.to_query()
    ]
    results_url = f"{absolute_url('patient.search')}?{urlencode(pairs)}"
    site_url = absolute_url("patient.start")
    return render_template(
        "gp/handout.html",
        nice=handout.nice_choice(built.search.found.outcome.advice),
        results_url=results_url,
        site_address=handout.display_url(site_url),
        qr_uri=qr.png_data_uri(results_url),
        **_page_context(built),
    )


@bp.get("/record")
@heavy_page
def record() -> ResponseReturnValue:
    built = _build_handout()
    if not isinstance(built, _Handout):
        return built
    return render_template("gp/record.html", **_page_context(built))
