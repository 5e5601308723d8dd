"""Moderation at /admin: the queue of changes, before/after review, approve or reject with
a reason, listing history, the audit log, problem reports, and (admins) users and roles.

The whole blueprint requires a moderator (``require_moderator`` runs before every
request); users and roles also require an admin.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from signpost import listings
from signpost.accounts import tokens, users
from signpost.admin.forms import ClaimForm, CurationForm, RejectForm, UserForm
from signpost.auth import admin_required, require_moderator
from signpost.extensions import db
from signpost.mail import MailError, send_email
from signpost.models import ChangeRequest, Organization, ProblemReport, Service, User
from signpost.oruk import curation
from signpost.provider.common import history_helpers, me, render_page, today
from signpost.search.params import whole_number
from signpost.vocab import get_vocabularies

UK = ZoneInfo("Europe/London")

bp = Blueprint("admin", __name__)
bp.before_request(require_moderator)
bp.context_processor(history_helpers)

AUDIT_PAGE_SIZE = 50


@bp.get("")
def queue() -> ResponseReturnValue:
    requests = listings.pending_requests(db.session)
    return render_page(
        "admin/queue.html",
        reviews=[listings.review(db.session, r) for r in requests],
        open_reports=len(listings.open_reports(db.session)),
    )


def _request_or_404(request_id: int) -> ChangeRequest:
    change = db.session.get(ChangeRequest, request_id)
    if change is None:
        abort(404)
    return change


def _request_page(
    change: ChangeRequest,
    form: RejectForm | None = None,
    *,
    status: int = 200,
    error_list: list[dict[str, str]] | None = None,
) -> ResponseReturnValue:
    return render_page(
        "admin/request.html",
        form=form or RejectForm(),
        status=status,
        review=listings.review(db.session, change),
        error_list=error_list,
    )


@bp.get("/requests/<int:request_id>")
def change_request(request_id: int) -> ResponseReturnValue:
    return _request_page(_request_or_404(request_id))


@bp.post("/requests/<int:request_id>/approve")
def approve(request_id: int) -> ResponseReturnValue:
    change = _request_or_404(request_id)
    try:
        listings.approve(db.session, me(), change, today())
    except listings.ModerationError as error:
        change = _request_or_404(request_id)
        return _request_page(
            change, status=409, error_list=[{"text": error.message, "href": "#decision"}]
        )
    flash("Approved. The change is now public.", "success")
    return redirect(url_for("admin.queue"))


@bp.post("/requests/<int:request_id>/reject")
def reject(request_id: int) -> ResponseReturnValue:
    change = _request_or_404(request_id)
    form = RejectForm()
    if not form.validate():
        return _request_page(change, form)
    try:
        listings.reject(db.session, me(), change, form.reason.data)
    except listings.ModerationError as error:
        change = _request_or_404(request_id)
        return _request_page(
            change, form, status=409, error_list=[{"text": error.message, "href": "#decision"}]
        )
    flash("Rejected. The provider can see your reason.", "success")
    return redirect(url_for("admin.queue"))


@bp.get("/history/<entity_id>")
def history(entity_id: str) -> ResponseReturnValue:
    revisions = listings.history(db.session, entity_id)
    service = db.session.get(Service, entity_id)
    organization = db.session.get(Organization, entity_id)
    if not revisions and service is None and organization is None:
        abort(404)
    return render_page(
        "admin/history.html",
        revisions=revisions,
        service=service,
        organization=organization,
        entity_id=entity_id,
    )


@bp.get("/audit")
def audit() -> ResponseReturnValue:
    page = request.args.get("page", "1")
    number = whole_number(page)
    if number is None or not 0 < number < 10_000:
        abort(400)
    revisions = listings.recent_revisions(
        db.session, limit=AUDIT_PAGE_SIZE + 1, offset=(number - 1) * AUDIT_PAGE_SIZE
    )
    shown = revisions[:AUDIT_PAGE_SIZE]
    return render_page(
        "admin/audit.html",
        revisions=shown,
        names=_entity_names(shown),
        uk_time=uk_time,
        page=number,
        has_more=len(revisions) > AUDIT_PAGE_SIZE,
    )


def _entity_names(revisions: list[Any]) -> dict[str, str]:
    """The listing or organisation each change is about, by id, so the log says which."""
    ids = {r.entity_id for r in revisions if r.entity_type in ("service", "organization")}
    if not ids:
        return {}
    names = dict(
        db.session.execute(db.select(Service.id, Service.name).where(Service.id.in_(ids))).all()
    )
    names |= dict(
        db.session.execute(
            db.select(Organization.id, Organization.name).where(Organization.id.in_(ids))
        ).all()
    )
    return names


def uk_time(moment: datetime) -> str:
    """A stored UTC time as people in the UK read it: "30 November 2026, 17:05 (GMT)"."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    local = aware.astimezone(UK)
    return f"{local.day} {local:%B %Y}, {local:%H:%M} ({local.tzname()})"


@bp.get("/reports")
def reports() -> ResponseReturnValue:
    return render_page(
        "admin/reports.html",
        reports=listings.open_reports(db.session),
        report_kinds=listings.REPORT_KINDS,
    )


@bp.post("/reports/<int:report_id>/resolve")
def report_resolve(report_id: int) -> ResponseReturnValue:
    report = db.session.get(ProblemReport, report_id)
    if report is None:
        abort(404)
    listings.resolve_report(db.session, report)
    flash("The report has been marked as dealt with.", "success")
    return redirect(url_for("admin.reports"))


@bp.get("/users")
@admin_required
def user_list() -> ResponseReturnValue:
    return render_page("admin/users.html", users=users.all_users(db.session))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def user(user_id: int) -> ResponseReturnValue:
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    if request.method != "POST":
        form = UserForm(data={"role": person.role, "active": "yes" if person.active else "no"})
        return render_page("admin/user.html", form=form, person=person)
    form = UserForm()
    if form.validate():
        try:
            changed = users.update_user(
                db.session, me(), person, role=form.role.data, active=form.active.data == "yes"
            )
        except users.AccountError as error:
            db.session.rollback()
            form.role.errors.append(error.message)
        else:
            flash(f"{person.email} updated." if changed else "Nothing changed.", "success")
            return redirect(url_for("admin.user_list"))
    return render_page("admin/user.html", form=form, person=person)


@bp.get("/imports")
def imports() -> ResponseReturnValue:
    return render_page(
        "admin/imports.html", services=curation.pending(db.session), classes=curation.CLASSES
    )


def _curation_form(service: Service, formdata: object = None) -> CurationForm:
    hint = curation.suggestion(service)
    vocab = get_vocabularies()
    form = (
        CurationForm()
        if formdata is not None
        else CurationForm(
            formdata=None,
            data={
                "kind": service.import_class or hint.kind,
                "modalities": service.modalities or list(hint.modalities),
                "needs": service.needs or list(hint.needs),
            },
        )
    )
    form.modalities.set_options(
        (slug, m.name + (f" (suggested from: {', '.join(hint.modalities[slug])})"
                         if slug in hint.modalities else ""))
        for slug, m in vocab.modalities.items()
    )  # fmt: skip
    form.needs.set_options(
        (slug, n.name + (f" (suggested from: {', '.join(hint.needs[slug])})"
                         if slug in hint.needs else ""))
        for slug, n in vocab.needs.items()
        if slug != "not-sure"
    )  # fmt: skip
    return form


def _imported_or_404(service_id: str) -> Service:
    service = db.session.get(Service, service_id)
    if service is None or service.import_review is None:
        abort(404)
    return service


@bp.route("/imports/<import_id>", methods=["GET", "POST"])
def imported(import_id: str) -> ResponseReturnValue:
    service = _imported_or_404(import_id)
    if request.method != "POST":
        form = _curation_form(service)
        return render_page("admin/imported.html", form=form, service=service,
                           hint=curation.suggestion(service), claim_form=ClaimForm())  # fmt: skip
    form = _curation_form(service, request.form)
    if not form.validate():
        return render_page("admin/imported.html", form=form, service=service,
                           hint=curation.suggestion(service), claim_form=ClaimForm())  # fmt: skip
    curation.confirm(
        db.session, me(), service, kind=form.kind.data, modalities=form.modalities.data or [],
        needs=form.needs.data or [],
    )  # fmt: skip
    shown = "now appears in search" if form.kind.data == "therapy" else "stays out of search"
    flash(f"Saved. {service.name} {shown}.", "success")
    return redirect(url_for("admin.imports"))


@bp.post("/imports/<import_id>/claim")
def claim(import_id: str) -> ResponseReturnValue:
    """Hand a harvested organisation to a person from it: they are invited as its owner and
    then edit its listings as any provider does; the next harvest keeps their edits."""
    service = _imported_or_404(import_id)
    organization = service.organization
    claim_form = ClaimForm()
    if claim_form.validate():
        try:
            invitation = users.invite(
                db.session, me(), organization, claim_form.email.data, "owner"
            )
        except users.AccountError as error:
            db.session.rollback()
            claim_form.email.errors.append(error.message)
        else:
            token = tokens.make_invitation_token(current_app.config["SECRET_KEY"], invitation.id)
            link = url_for("provider.accept_invitation", token=token, _external=True)
            try:
                send_email(
                    [invitation.email],
                    f"Manage {organization.name}'s listings on Signpost",
                    f"Signpost lists {organization.name}'s services from a public directory. "
                    "You can now keep them up to date yourself; your changes will not be "
                    f"overwritten by the directory.\n\nTo accept, open this link within 7 "
                    f"days:\n{link}\n",
                )
            except MailError:
                flash("The invitation was saved but the email could not be sent.", "warning")
            else:
                flash(f"Invitation sent to {invitation.email}.", "success")
            return redirect(url_for("admin.imported", import_id=service.id))
    return render_page(
        "admin/imported.html", form=_curation_form(service), service=service,
        hint=curation.suggestion(service), claim_form=claim_form,
    )  # fmt: skip
