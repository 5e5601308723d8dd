"""The public "Report a problem with this listing" form.

Reports reach the organisation (its dashboard) and moderators (/admin/reports). The form
asks people not to include personal details; nothing about who sent a report is stored.
"""

from __future__ import annotations

from flask import abort
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from signpost import listings, rate_limits
from signpost.directory.loading import public_service_filter
from signpost.extensions import db
from signpost.models import Organization, Service
from signpost.provider.common import render_page
from signpost.provider.forms import ReportForm


def _public_service(service_id: str) -> Service:
    service = db.session.execute(
        select(Service)
        .join(Organization, Organization.id == Service.organization_id)
        .where(Service.id == service_id, public_service_filter())
    ).scalar_one_or_none()
    if service is None:
        abort(404)
    return service


@rate_limits.form_limit(rate_limits.report)
def report_problem(service_id: str) -> ResponseReturnValue:
    service = _public_service(service_id)
    form = ReportForm()
    if form.validate_on_submit():
        listings.report_problem(db.session, service, form.kind.data, form.details.data)
        return render_page("provider/report_sent.html", service=service)
    return render_page("provider/report_problem.html", form=form, service=service)
