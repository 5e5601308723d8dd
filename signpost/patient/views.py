"""Patient pages: start, search results, service pages and therapy explainers.

Views only parse input, call the search or directory, and render. Nothing about a
search is stored: the query lives in the URL so it can be shared.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import selectinload

from signpost.directory.loading import public_service_filter
from signpost.extensions import db
from signpost.models import Organization, Service, ServiceAtLocation
from signpost.nice import get_nice
from signpost.rate_limits import heavy_page
from signpost.search import presenters
from signpost.search.params import LANGUAGES, SearchInputError, parse_args
from signpost.search.service import run_search
from signpost.vocab import get_vocabularies

bp = Blueprint("patient", __name__)


def _form_context(errors: tuple = ()) -> dict[str, object]:
    vocab = get_vocabularies()
    return {
        "vocab": vocab,
        "values": request.args,
        "field_errors": list(errors),
        "errors": {e.field: e.message for e in errors},
        "languages": LANGUAGES,
        "communities": presenters.COMMUNITIES,
        "has_preferences": presenters.has_preferences(request.args),
    }


@bp.get("/")
def start() -> str:
    return render_template("patient/start.html", **_form_context())


@bp.get("/search")
@heavy_page
def search() -> ResponseReturnValue:
    try:
        found = run_search(parse_args(request.args))
    except SearchInputError as error:
        return render_template("patient/start.html", **_form_context(error.errors)), 400
    return render_template(
        "patient/search.html",
        found=found,
        view=presenters.present(
            found, today=date.today(), **presenters.date_settings(current_app.config)
        ),
        **_form_context(),
    )


@bp.get("/services/<service_id>")
def service(service_id: str) -> str:
    record = db.session.execute(
        db.select(Service)
        .join(Organization)
        .where(Service.id == service_id, public_service_filter())
        .options(
            selectinload(Service.service_locations).selectinload(ServiceAtLocation.location),
            selectinload(Service.waits),
            selectinload(Service.areas),
            selectinload(Service.modality_links),
            selectinload(Service.need_links),
            selectinload(Service.tags),
        )
    ).scalar_one_or_none()
    if record is None:
        abort(404)
    return render_template(
        "patient/service.html",
        service=record,
        view=presenters.present_service(
            record, today=date.today(), **presenters.date_settings(current_app.config)
        ),
        vocab=get_vocabularies(),
        back_query=request.args.get("from", ""),
    )


@bp.get("/therapies")
def therapies() -> str:
    return render_template("patient/therapies.html", vocab=get_vocabularies())


@bp.get("/therapies/<slug>")
def therapy(slug: str) -> str:
    vocab = get_vocabularies()
    modality = vocab.modalities.get(slug)
    if modality is None:
        abort(404)
    nice = get_nice()
    uses = [
        presenters.therapy_use(use, nice.guidelines[use.guideline])
        for use in nice.needs_for_modality(slug)
    ]
    via = sorted({use["via_label"] for use in uses if use["via_label"]})
    return render_template(
        "patient/therapy.html",
        modality=modality,
        vocab=vocab,
        nice_uses=uses,
        via_labels=via,
        under_review=any(not use["verified"] for use in uses),
    )


@bp.get("/privacy")
def privacy() -> str:
    from signpost.insights.method import load_method

    return render_template("patient/privacy.html", insights_method=load_method())
