"""Who may use which route: a matrix generated from ``app.url_map``.

Every rule under /provider and /admin, and every route of the provider and admin
blueprints, must have a row in EXPECTATIONS, or ``test_every_route_has_expectations``
fails: a new route cannot ship without deciding who may use it. Each (route, method, person)
cell is then requested for real, with a valid CSRF token, as:

* anonymous, an editor of another organisation, the organisation's editor and owner,
  a moderator and an admin.

"ok" means served (200, 409, or a redirect that is not to the sign-in page); "login" means
sent to sign in; 403 and 404 are refusals. Another organisation's people get 404 for
listing URLs: the record is looked up through their own memberships and is not there.
"""

from __future__ import annotations

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from signpost.accounts import tokens
from signpost.listings import service_content
from signpost.models import ChangeRequest, Service
from signpost.models.accounts import Invitation
from tests.integration import test_provider_fixtures as fx
from tests.integration.test_provider_fixtures import World, add_report, csrf, sign_in_as

world = fx.world
fresh_limits = fx.fresh_limits

PEOPLE = ("anonymous", "other_editor", "editor", "owner", "moderator", "admin")
OK, LOGIN = "ok", "login"
Expectation = dict[str, str | int]


def everyone(result: str | int = OK) -> Expectation:
    return dict.fromkeys(PEOPLE, result)


def signed_in() -> Expectation:
    return {**everyone(OK), "anonymous": LOGIN}


def members() -> Expectation:
    """The listing's organisation only; anyone else signed in gets 404."""
    return {**everyone(404), "anonymous": LOGIN, "editor": OK, "owner": OK}


def owners() -> Expectation:
    return {**members(), "editor": 403}


def moderators() -> Expectation:
    return {
        **everyone(403),
        "anonymous": LOGIN,
        "moderator": OK,
        "admin": OK,
    }


def admins() -> Expectation:
    return {**moderators(), "moderator": 403}


EXPECTATIONS: dict[tuple[str, str], Expectation] = {
    # Accounts: open to all (signed-in people are sent on where that makes sense).
    ("provider.sign_in", "GET"): everyone(),
    ("provider.sign_in", "POST"): everyone(),
    # GET only asks (signed-out people are sent to sign in); the POST signs out.
    ("provider.sign_out", "GET"): signed_in(),
    ("provider.sign_out", "POST"): everyone(LOGIN),
    ("provider.forgot_password", "GET"): everyone(),
    ("provider.forgot_password", "POST"): everyone(),
    ("provider.reset_password", "GET"): everyone(),
    ("provider.reset_password", "POST"): everyone(),
    ("provider.accept_invitation", "GET"): everyone(),
    ("provider.accept_invitation", "POST"): everyone(),
    ("provider.register", "GET"): everyone(),
    ("provider.register", "POST"): everyone(),
    # From the emailed link; signed-in people are sent to their dashboard.
    ("provider.register_details", "GET"): everyone(),
    ("provider.register_details", "POST"): everyone(),
    ("provider.report_problem", "GET"): everyone(),
    ("provider.report_problem", "POST"): everyone(),
    # The provider area.
    ("provider.dashboard", "GET"): signed_in(),
    ("provider.organisation", "GET"): owners(),
    ("provider.organisation", "POST"): owners(),
    ("provider.organisation_resubmit", "POST"): owners(),
    ("provider.members", "GET"): owners(),
    ("provider.members", "POST"): owners(),
    ("provider.remove_member", "POST"): owners(),
    ("provider.withdraw_invitation", "POST"): owners(),
    ("provider.service_new", "GET"): members(),
    ("provider.service_new", "POST"): members(),
    ("provider.service", "GET"): members(),
    ("provider.service_edit", "GET"): members(),
    ("provider.service_edit", "POST"): members(),
    ("provider.locations", "GET"): members(),
    ("provider.locations", "POST"): members(),
    ("provider.location_remove", "POST"): members(),
    ("provider.waits", "GET"): members(),
    ("provider.waits", "POST"): members(),
    ("provider.wait_remove", "POST"): members(),
    ("provider.capacity", "POST"): members(),
    ("provider.verify", "POST"): members(),
    ("provider.history", "GET"): members(),
    ("provider.report_resolve", "POST"): members(),
    # Moderation.
    ("admin.queue", "GET"): moderators(),
    ("admin.change_request", "GET"): moderators(),
    ("admin.approve", "POST"): moderators(),
    ("admin.reject", "POST"): moderators(),
    ("admin.history", "GET"): moderators(),
    ("admin.audit", "GET"): moderators(),
    ("admin.reports", "GET"): moderators(),
    ("admin.report_resolve", "POST"): moderators(),
    ("admin.imports", "GET"): moderators(),
    ("admin.imported", "GET"): moderators(),
    ("admin.imported", "POST"): moderators(),
    ("admin.claim", "POST"): moderators(),
    ("admin.user_list", "GET"): admins(),
    ("admin.user", "GET"): admins(),
    ("admin.user", "POST"): admins(),
}

GUARDED_PREFIXES = ("/provider", "/admin")


def _routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        mine = rule.endpoint.startswith(("provider.", "admin."))
        if mine or rule.rule.startswith(GUARDED_PREFIXES):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.add((rule.endpoint, method))
    return found


def test_every_route_has_expectations(app: Flask) -> None:
    routes = _routes(app)
    missing = sorted(routes - set(EXPECTATIONS))
    assert not missing, f"add these routes to EXPECTATIONS: {missing}"
    stale = sorted(set(EXPECTATIONS) - routes)
    assert not stale, f"these EXPECTATIONS no longer match a route: {stale}"
    for key, expectation in EXPECTATIONS.items():
        assert set(expectation) == set(PEOPLE), key


def _url_values(app: Flask, db_session: Session, world: World) -> dict[str, object]:
    """A real value for every URL variable, all belonging to ``world.org``."""
    service = world.service
    invitation = Invitation(organization_id=world.org.id, email="new@test.example", role="editor")
    change = ChangeRequest(
        entity_type="service",
        entity_id=service.id,
        organization_id=world.org.id,
        base_version=service.version,
        payload={**service_content(service), "name": "Renamed service"},
        submitted_by_id=world.editor.id,
    )
    imported = Service(organization_id=world.org.id, name="Imported listing",
                       source_name="Example Council", import_class="therapy",
                       import_review="pending")  # fmt: skip
    db_session.add_all([invitation, change, imported])
    db_session.commit()
    report = add_report(db_session, service)
    secret = app.config["SECRET_KEY"]
    return {
        "service_id": service.id,
        "org_id": world.org.id,
        "location_id": service.locations[0].id,
        "wait_key": "overall",
        "area": "LS",
        "need": "depression",
        "user_id": world.editor.id,
        "invitation_id": invitation.id,
        "report_id": report.id,
        "request_id": change.id,
        "entity_id": service.id,
        "import_id": imported.id,
        "token": {
            "provider.reset_password": tokens.make_reset_token(
                secret, world.editor.id, world.editor.password_hash
            ),
            "provider.accept_invitation": tokens.make_invitation_token(secret, invitation.id),
            "provider.register_details": tokens.make_registration_token(
                secret, "new-org@test.example"
            ),
        },
    }


def _url_for(app: Flask, endpoint: str, values: dict[str, object]) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    arguments = {}
    for name in rule.arguments:
        value = values[name]
        arguments[name] = value[endpoint] if isinstance(value, dict) else value
    with app.test_request_context():
        return url_for(endpoint, **arguments)


def _outcome(response_status: int, location: str | None) -> str | int:
    if response_status in (301, 302, 303):
        return LOGIN if (location or "").startswith("/sign-in") else OK
    if response_status in (200, 409):
        return OK
    return response_status


CASES = [
    pytest.param(endpoint, method, person, expected, id=f"{endpoint}-{method}-{person}")
    for (endpoint, method), expectation in sorted(EXPECTATIONS.items())
    for person, expected in expectation.items()
]


@pytest.mark.parametrize(("endpoint", "method", "person", "expected"), CASES)
def test_route_access(
    app: Flask,
    client: FlaskClient,
    db_session: Session,
    world: World,
    fresh_limits: None,
    endpoint: str,
    method: str,
    person: str,
    expected: str | int,
) -> None:
    url = _url_for(app, endpoint, _url_values(app, db_session, world))
    sign_in_as(client, world.users()[person])
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf(client)})
    outcome = _outcome(response.status_code, response.headers.get("Location"))  # type: ignore[attr-defined]
    assert outcome == expected, f"{method} {url} as {person}: {response.status_code}"  # type: ignore[attr-defined]
