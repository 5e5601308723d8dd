"""Provider area: sign in, an organisation's listings and edits, and public problem reports.

The routes are declared here as data, so the whole area reads at a glance; the views live
in ``account_pages``, ``listing_pages`` and ``report_pages``. Guards are on the views
themselves (``@login_required``; owner-only and membership checks load records through the
user's memberships). tests/integration/test_authz_matrix.py checks every rule.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint

from signpost.provider import account_pages, listing_pages, report_pages
from signpost.provider.common import history_helpers

bp = Blueprint("provider", __name__)
bp.context_processor(history_helpers)

GET, POST, BOTH = ["GET"], ["POST"], ["GET", "POST"]
SERVICE = "/provider/services/<service_id>"
ORG = "/provider/organisations/<org_id>"

ROUTES: list[tuple[str, str, Callable[..., object], list[str]]] = [
    # Accounts
    ("/sign-in", "sign_in", account_pages.sign_in, BOTH),
    ("/sign-out", "sign_out", account_pages.sign_out, BOTH),
    ("/forgot-password", "forgot_password", account_pages.forgot_password, BOTH),
    ("/reset-password/<token>", "reset_password", account_pages.reset_password, BOTH),
    ("/invitations/<token>", "accept_invitation", account_pages.accept_invitation, BOTH),
    ("/provider/register", "register", account_pages.register, BOTH),
    ("/provider/register/<token>", "register_details", account_pages.register_details, BOTH),
    # The organisation
    ("/provider", "dashboard", listing_pages.dashboard, GET),
    (ORG, "organisation", listing_pages.organisation, BOTH),
    (f"{ORG}/resubmit", "organisation_resubmit", listing_pages.organisation_resubmit, POST),
    (f"{ORG}/members", "members", account_pages.members, BOTH),
    (f"{ORG}/members/<int:user_id>/remove", "remove_member", account_pages.remove_member, POST),
    (
        f"{ORG}/invitations/<int:invitation_id>/withdraw",
        "withdraw_invitation",
        account_pages.withdraw_invitation,
        POST,
    ),
    (f"{ORG}/services/new", "service_new", listing_pages.service_new, BOTH),
    # One listing
    (SERVICE, "service", listing_pages.service, GET),
    (f"{SERVICE}/edit", "service_edit", listing_pages.service_edit, BOTH),
    (f"{SERVICE}/locations", "locations", listing_pages.locations, BOTH),
    (
        f"{SERVICE}/locations/<location_id>/remove",
        "location_remove",
        listing_pages.location_remove,
        POST,
    ),
    (f"{SERVICE}/waits", "waits", listing_pages.waits, BOTH),
    (f"{SERVICE}/waits/<wait_key>/remove", "wait_remove", listing_pages.wait_remove, POST),
    (f"{SERVICE}/capacity", "capacity", listing_pages.capacity, POST),
    (f"{SERVICE}/verify", "verify", listing_pages.verify, POST),
    (f"{SERVICE}/history", "history", listing_pages.history, GET),
    (
        "/provider/reports/<int:report_id>/resolve",
        "report_resolve",
        listing_pages.report_resolve,
        POST,
    ),
    # Public: anyone can report a problem with a listing
    ("/services/<service_id>/report", "report_problem", report_pages.report_problem, BOTH),
]

for rule, endpoint, view, methods in ROUTES:
    bp.add_url_rule(rule, endpoint, view, methods=methods)
