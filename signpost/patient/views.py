"""Patient pages: start, search results, service pages and therapy explainers.

Views only parse input, call the search or directory, and render. Nothing about a
search is stored: the query lives in the URL so it can be shared.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import selectinload

from signpost import crisis
from signpost.directory.loading import public_service_filter
from signpost.extensions import db
from signpost.models import Organization, Service, ServiceAtLocation
from signpost.nice import get_nice
from signpost.patient.preferences import preferences_context
from signpost.patient.questions import (
    ANSWER_FIELDS,
    EXTRA_FIELDS,
    back_step_param,
    previous_step,
    step_after,
)
from signpost.rate_limits import heavy_page
from signpost.search import presenters
from signpost.search.params import LANGUAGES, SearchInputError, parse_args
from signpost.search.service import run_search
from signpost.template_globals import set_person
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


def _with_location(location: str) -> str:
    """This search's URL with the location replaced (for the "Which St Ives?" choices)."""
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k != "location"]
    return url_for("patient.search") + "?" + urlencode([("location", location), *pairs])


def _with_page(pairs: list[tuple[str, str]], number: int) -> str:
    kept = [(k, v) for k, v in pairs if k != "page"]
    if number > 1:
        kept.append(("page", str(number)))
    return url_for("patient.search") + "?" + urlencode(kept) + "#results-heading"


def _with_offers(pairs: list[tuple[str, str]], number: int | None) -> str:
    kept = [(k, v) for k, v in pairs if k not in ("offers", "page")]
    if number:
        kept.append(("offers", str(number)))
    return url_for("patient.search") + "?" + urlencode(kept) + "#results-heading"


@bp.get("/")
def start() -> str:
    return render_template("patient/start.html", **_form_context())


@bp.get("/questions")
def questions() -> ResponseReturnValue:
    """One question a page; each page carries the earlier answers in hidden fields."""
    vocab = get_vocabularies()
    step = step_after(request.args, vocab.needs)
    keep = [
        (key, value)
        for key, value in request.args.items(multi=True)
        if key != "step"
        and key != ANSWER_FIELDS.get(step.name)
        and key not in EXTRA_FIELDS.get(step.name, ())
    ]
    context = _form_context(step.errors)
    back = None
    if previous_step(step.name, request.args):
        answers = [(k, v) for k, v in request.args.items(multi=True) if k != "step"]
        param = back_step_param(step.name, request.args)
        back = (
            url_for("patient.questions")
            + "?"
            + urlencode(answers + ([("step", param)] if param else []))
        )
    page = render_template(
        "patient/question.html",
        step=step.name,
        hidden=keep,
        back_url=back,
        form_has_errors=bool(step.errors),
        **context,
    )
    return page, 400 if step.errors else 200


@bp.get("/search")
@heavy_page
def search() -> ResponseReturnValue:
    try:
        found = run_search(parse_args(request.args), count_demand=True)
    except SearchInputError as error:
        if error.places:
            return render_template(
                "patient/choose_place.html",
                places=[
                    {
                        "place": place,
                        "nation": crisis.nation(place.nation),
                        "url": _with_location(place.choice_value),
                    }
                    for place in error.places
                ],
                typed=" ".join(request.args.get("location", "").split())[:40],
            )
        return render_template("patient/start.html", **_form_context(error.errors)), 400
    set_person(found.location.nation, found.params.age)
    return render_template(
        "patient/search.html",
        found=found,
        filter_count=presenters.filter_count(request.args),
        page_url=lambda number: _with_page(found.params.to_query(), number),
        offers_url=lambda number: _with_offers(found.params.to_query(), number),
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


@bp.get("/my-preferences")
@heavy_page
def my_preferences() -> ResponseReturnValue:
    """A printable "My therapy preferences" page: GET only, nothing stored."""
    try:
        found = run_search(parse_args(request.args))
    except SearchInputError as error:
        return render_template("patient/start.html", **_form_context(error.errors)), 400
    set_person(found.location.nation, found.params.age)
    return render_template("patient/preferences.html", **preferences_context(found, request.args))


@bp.get("/privacy")
def privacy() -> str:
    from signpost.insights.method import load_method

    return render_template("patient/privacy.html", insights_method=load_method())
