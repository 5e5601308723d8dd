"""An organisation's listings: the dashboard, editing every field, locations, waits,
capacity, "still accurate", organisation details and history.

Every service is loaded through the signed-in user's memberships
(:func:`signpost.listings.load_draft`), so an id from a URL or form never reaches another
organisation's records: those are a 404.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from signpost import listings
from signpost.extensions import db
from signpost.freshness import freshness, next_change
from signpost.geo.geocoder import IndexUnavailableError, LocationError
from signpost.geo.postcodes import normalise_postcode
from signpost.listings import Content, Draft, EditConflict
from signpost.models import Organization, ProblemReport, Service
from signpost.provider.common import geocoder, me, render_page, today
from signpost.provider.forms import (
    CapacityForm,
    LocationForm,
    OrganisationForm,
    ServiceForm,
    VersionedActionForm,
    WaitForm,
)
from signpost.vocab import get_vocabularies

log = logging.getLogger(__name__)

OVERALL_WAIT = "overall"  # the URL key of a wait for the whole service


def _draft(service_id: str) -> Draft:
    draft = listings.load_draft(db.session, me(), service_id)
    if draft is None:
        abort(404)
    return draft


def _service_row(draft: Draft) -> Service:
    """The listing's database row (a new listing waiting for review has none yet)."""
    if draft.service is None:
        abort(404)
    return draft.service


def _member_organization(org_id: str, *, owner: bool = False) -> Organization:
    found = listings.organization_for(db.session, me(), org_id)
    if found is None:
        abort(404)
    organization, membership = found
    if owner and membership.role != "owner":
        abort(403)
    return organization


def _outcome_message(outcome: str) -> str:
    if outcome == "submitted":
        return (
            "Your changes have been sent to a moderator. People searching will see them "
            "once they are approved."
        )
    return "Your changes have been saved."


def _conflict_errors(message: str) -> list[dict[str, str]]:
    return [{"text": message, "href": "#conflict"}]


def freshness_view(service: Service) -> dict[str, Any]:
    config = current_app.config
    flag, hide = int(config["STALE_FLAG_DAYS"]), int(config["STALE_HIDE_DAYS"])
    state = freshness(service.last_verified_on, today(), flag, hide)
    change = next_change(service.last_verified_on, today(), flag, hide)
    return {"state": state, "next": change}


# -- dashboard --------------------------------------------------------------------------------


@login_required
def dashboard() -> ResponseReturnValue:
    memberships = listings.user_organizations(db.session, me())
    ids = [org.id for org, _role in memberships]
    pending = listings.pending_for_organizations(db.session, ids)
    pending_by_entity = {request.entity_id: request for request in pending}
    organizations = []
    for organization, role in memberships:
        service_ids = {service.id for service in organization.services}
        organizations.append(
            {
                "organization": organization,
                "role": role,
                "services": [
                    {
                        "service": service,
                        "pending": pending_by_entity.get(service.id),
                        "freshness": freshness_view(service),
                    }
                    for service in organization.services
                ],
                "new_listings": [
                    request
                    for request in pending
                    if request.entity_type == "service"
                    and request.organization_id == organization.id
                    and request.entity_id not in service_ids
                ],
                "details_pending": pending_by_entity.get(organization.id),
            }
        )
    from signpost.insights.provider import for_services

    listed = [row["service"].id for entry in organizations for row in entry["services"]]
    return render_page(
        "provider/dashboard.html",
        organizations=organizations,
        insights=for_services(db.session, listed),
        vocab=get_vocabularies(),
        reports=listings.open_reports(db.session, ids),
        decisions=listings.recent_decisions(db.session, ids),
        report_kinds=listings.REPORT_KINDS,
        status_names=listings.STATUS_NAMES,
    )


# -- one listing --------------------------------------------------------------------------------


@login_required
def service(service_id: str) -> ResponseReturnValue:
    draft = _draft(service_id)
    content = draft.content
    published = draft.published_content
    reports = []
    if draft.service is not None:
        reports = [
            report
            for report, _service in listings.open_reports(db.session, [draft.organization.id])
            if report.service_id == draft.service.id
        ]
    return render_page(
        "provider/service.html",
        draft=draft,
        summary=listings.summary(content),
        changes=listings.diff(published, content) if draft.pending and published else [],
        capacity_form=CapacityForm(
            data={"capacity": draft.service.capacity if draft.service else None}
        ),
        freshness=freshness_view(draft.service) if draft.service is not None else None,
        reports=reports,
        report_kinds=listings.REPORT_KINDS,
    )


def _service_form_page(
    draft: Draft | None,
    organization: Organization,
    form: ServiceForm,
    *,
    status: int = 200,
    conflict: list[listings.Change] | None = None,
    error_list: list[dict[str, str]] | None = None,
) -> ResponseReturnValue:
    return render_page(
        "provider/service_form.html",
        form=form,
        status=status,
        draft=draft,
        organization=organization,
        conflict=conflict,
        error_list=error_list,
    )


@login_required
def service_edit(service_id: str) -> ResponseReturnValue:
    draft = _draft(service_id)
    if request.method != "POST":
        form = ServiceForm.from_content(draft.content, draft.token)
        return _service_form_page(draft, draft.organization, form)
    form = ServiceForm()
    if not form.validate():
        return _service_form_page(draft, draft.organization, form)
    mine = form.to_content(draft.content)
    try:
        outcome = listings.save_draft(
            db.session, me(), draft, mine, form.version.data or "", today()
        )
    except EditConflict as conflict:
        # Keep their input on the page, show what is there now, and let them save again.
        draft = _draft(service_id)
        form.version.data = draft.token
        return _service_form_page(
            draft,
            draft.organization,
            form,
            status=409,
            conflict=listings.diff(mine, draft.content),
            error_list=_conflict_errors(conflict.message),
        )
    flash(_outcome_message(outcome), "success")
    return redirect(url_for("provider.service", service_id=draft.id))


@login_required
def service_new(org_id: str) -> ResponseReturnValue:
    organization = _member_organization(org_id)
    if request.method != "POST":
        form = ServiceForm(data={"status": "active", "languages": "English", "version": "new"})
        return _service_form_page(None, organization, form)
    form = ServiceForm()
    if not form.validate():
        return _service_form_page(None, organization, form)
    service_id, outcome = listings.create_listing(
        db.session, me(), organization, form.to_content(), today()
    )
    if outcome == "submitted":
        flash(
            "Your new listing has been sent to a moderator. Add its locations and waiting "
            "times now; it will be public once it is approved.",
            "success",
        )
    else:
        flash("Your new listing has been saved. Now add its locations.", "success")
    return redirect(url_for("provider.service", service_id=service_id))


# -- locations and waits ------------------------------------------------------------------------


def _save_content(
    draft: Draft, content: Content, version: str
) -> tuple[str | None, EditConflict | None]:
    try:
        return listings.save_draft(db.session, me(), draft, content, version, today()), None
    except EditConflict as conflict:
        return None, conflict


def _locations_page(
    draft: Draft, form: LocationForm, status: int = 200, **extra: Any
) -> ResponseReturnValue:
    return render_page(
        "provider/locations.html",
        form=form,
        status=status,
        draft=draft,
        locations=draft.content.get("locations", []),
        **extra,
    )


def _check_postcode(form: LocationForm) -> tuple[float, float, str] | None:
    try:
        found = geocoder().resolve(form.postcode.data)
    except LocationError as error:
        form.postcode.errors.append(error.message)
        return None
    except IndexUnavailableError:
        log.error("postcode index unavailable while adding a location")
        form.postcode.errors.append("We cannot check postcodes just now. Try again later")
        return None
    full = normalise_postcode(form.postcode.data)
    if found.nation == "northern-ireland" and full is not None:
        # Our postcode data has no Northern Ireland points: the site is placed at its post
        # town's centre, which is near enough to rank it by distance.
        return found.latitude, found.longitude, full
    if found.precision != "postcode":
        form.postcode.errors.append("Enter a full postcode, like LS1 4AP")
        return None
    return found.latitude, found.longitude, found.name


@login_required
def locations(service_id: str) -> ResponseReturnValue:
    draft = _draft(service_id)
    if request.method != "POST":
        return _locations_page(draft, LocationForm(data={"version": draft.token}))
    form = LocationForm()
    if not form.validate() or (place := _check_postcode(form)) is None:
        return _locations_page(draft, form)
    content = listings.with_location(draft.content, form.to_location(*place))
    outcome, conflict = _save_content(draft, content, form.version.data or "")
    if conflict is not None:
        draft = _draft(service_id)
        form.version.data = draft.token
        return _locations_page(
            draft, form, status=409, error_list=_conflict_errors(conflict.message)
        )
    flash(_outcome_message(outcome or ""), "success")
    return redirect(url_for("provider.locations", service_id=draft.id))


@login_required
def location_remove(service_id: str, location_id: str) -> ResponseReturnValue:
    draft = _draft(service_id)
    form = VersionedActionForm()
    try:
        content = listings.without_location(draft.content, location_id)
    except KeyError:
        abort(404)
    outcome, conflict = _save_content(draft, content, form.version.data or "")
    if conflict is not None:
        flash(conflict.message, "warning")
    else:
        flash(_outcome_message(outcome or ""), "success")
    return redirect(url_for("provider.locations", service_id=draft.id))


def _waits_page(
    draft: Draft, form: WaitForm, status: int = 200, **extra: Any
) -> ResponseReturnValue:
    return render_page(
        "provider/waits.html",
        form=form,
        status=status,
        draft=draft,
        waits=draft.content.get("waits", []),
        describe_wait=listings.describe_wait,
        overall_key=OVERALL_WAIT,
        **extra,
    )


@login_required
def waits(service_id: str) -> ResponseReturnValue:
    draft = _draft(service_id)
    form = WaitForm() if request.method == "POST" else WaitForm(data={"version": draft.token})
    form.set_modalities(draft.content.get("modalities", []))
    if request.method != "POST" or not form.validate():
        return _waits_page(draft, form)
    content = listings.with_wait(draft.content, form.to_wait())
    outcome, conflict = _save_content(draft, content, form.version.data or "")
    if conflict is not None:
        draft = _draft(service_id)
        form.version.data = draft.token
        return _waits_page(draft, form, status=409, error_list=_conflict_errors(conflict.message))
    flash(_outcome_message(outcome or ""), "success")
    return redirect(url_for("provider.waits", service_id=draft.id))


@login_required
def wait_remove(service_id: str, wait_key: str) -> ResponseReturnValue:
    draft = _draft(service_id)
    form = VersionedActionForm()
    try:
        content = listings.without_wait(
            draft.content, None if wait_key == OVERALL_WAIT else wait_key
        )
    except KeyError:
        abort(404)
    outcome, conflict = _save_content(draft, content, form.version.data or "")
    if conflict is not None:
        flash(conflict.message, "warning")
    else:
        flash(_outcome_message(outcome or ""), "success")
    return redirect(url_for("provider.waits", service_id=draft.id))


# -- one-click updates ---------------------------------------------------------------------------


@login_required
def capacity(service_id: str) -> ResponseReturnValue:
    service = _service_row(_draft(service_id))
    form = CapacityForm()
    if not form.validate():
        flash(form.capacity.errors[0] if form.capacity.errors else "Try again.", "warning")
    else:
        try:
            changed = listings.set_capacity(db.session, me(), service, form.capacity.data)
        except EditConflict as conflict:
            flash(conflict.message, "warning")
        else:
            label = dict(form.capacity.pairs).get(form.capacity.data)
            if changed:
                flash(f"Capacity is now shown as: {label}.", "success")
    return redirect(url_for("provider.service", service_id=service_id))


@login_required
def verify(service_id: str) -> ResponseReturnValue:
    service = _service_row(_draft(service_id))
    try:
        listings.confirm_accurate(db.session, me(), service, today())
    except (EditConflict, listings.ChangeAwaitingReview) as refused:
        flash(refused.message, "warning")
    else:
        flash("Thank you. The listing now shows it was checked today.", "success")
    return redirect(url_for("provider.service", service_id=service_id))


@login_required
def history(service_id: str) -> ResponseReturnValue:
    draft = _draft(service_id)
    return render_page(
        "provider/history.html",
        draft=draft,
        revisions=listings.history(db.session, draft.id),
        back_url=url_for("provider.service", service_id=draft.id),
    )


# -- the organisation -----------------------------------------------------------------------------


@login_required
def organisation(org_id: str) -> ResponseReturnValue:
    organization = _member_organization(org_id, owner=True)
    if request.method != "POST":
        form = OrganisationForm.from_content(
            listings.organization_draft(db.session, organization),
            listings.organization_token(db.session, organization),
        )
        return render_page("provider/organisation.html", form=form, organization=organization)
    form = OrganisationForm()
    if not form.validate():
        return render_page("provider/organisation.html", form=form, organization=organization)
    mine = form.to_content()
    try:
        outcome = listings.save_organization(
            db.session, me(), organization, mine, form.version.data or ""
        )
    except EditConflict as conflict:
        organization = _member_organization(org_id, owner=True)
        form.version.data = listings.organization_token(db.session, organization)
        return render_page(
            "provider/organisation.html",
            form=form,
            status=409,
            organization=organization,
            conflict=listings.diff(mine, listings.organization_draft(db.session, organization)),
            error_list=_conflict_errors(conflict.message),
        )
    flash(_outcome_message(outcome), "success")
    return redirect(url_for("provider.dashboard"))


@login_required
def organisation_resubmit(org_id: str) -> ResponseReturnValue:
    organization = _member_organization(org_id, owner=True)
    try:
        listings.resubmit_organization(db.session, me(), organization)
    except listings.ListingError as error:
        flash(error.message, "warning")
    else:
        flash("Your organisation has been sent to a moderator again.", "success")
    return redirect(url_for("provider.dashboard"))


@login_required
def report_resolve(report_id: int) -> ResponseReturnValue:
    report = db.session.get(ProblemReport, report_id)
    service = db.session.get(Service, report.service_id) if report is not None else None
    if (
        report is None
        or service is None
        or listings.organization_for(db.session, me(), service.organization_id) is None
    ):
        abort(404)
    listings.resolve_report(db.session, report)
    flash("The report has been marked as dealt with.", "success")
    return redirect(url_for("provider.dashboard"))
