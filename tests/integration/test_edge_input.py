"""Bad input stopped at the edge: numbers that are not ASCII digits, NUL characters in a
path, query or form; four eyes on moderation; tokens kept out of the access log."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from signpost.models import Membership
from signpost.privacy import redact_line
from tests.integration import test_provider_fixtures as fx
from tests.integration.test_admin_moderation import propose_rename
from tests.integration.test_privacy_logs import fetch, logs, served
from tests.integration.test_provider_fixtures import (
    World,
    post,
    refresh,
    service_form_data,
    sign_in_as,
)

world = fx.world
fresh_limits = fx.fresh_limits
__all__ = ["logs", "served"]  # fixtures shared with the privacy tests

SEARCH = "location=LS1+1BA&need=depression"
ODD_DIGITS = ["²", "١٢", "３４", "9" * 5000]


# -- numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("age", ODD_DIGITS, ids=["superscript", "arabic", "fullwidth", "long"])
@pytest.mark.parametrize("path", ["/search", "/gp", "/gp/handout", "/gp/record", "/api/v1/match"])
def test_ages_that_are_not_ascii_digits_are_a_400(client: FlaskClient, path: str, age: str) -> None:
    response = client.get(path, query_string=f"{SEARCH}&age={age}&service=x")
    assert response.status_code == 400, response.status_code
    if path.startswith("/api/"):
        assert response.get_json()["error"]["field"] == "age"
    else:
        assert "Age must be a whole number, like 34" in response.get_data(as_text=True)


@pytest.mark.parametrize("page", ["²", "３", "9" * 5000])
def test_audit_log_pages_that_are_not_numbers_are_a_400(
    client: FlaskClient, world: World, page: str
) -> None:
    sign_in_as(client, world.moderator)
    assert client.get("/admin/audit", query_string={"page": "2"}).status_code == 200
    response = client.get("/admin/audit", query_string={"page": page})
    assert response.status_code == 400
    assert "The request was not understood" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["²", "１０"])
def test_api_paging_needs_ascii_digits(client: FlaskClient, value: str) -> None:
    response = client.get("/api/v1/services", query_string={"page": value})
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "page"


# -- NUL characters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/services/abc%00def",
        "/search?location=LS1%001BA&need=depression",
        "/api/v1/services/abc%00",
        "/api/v1/services?text=a%00b",
    ],
)
def test_nul_in_a_path_or_query_is_a_400(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        error = response.get_json()["error"]
        assert error["code"] in {"bad_request", "invalid_parameter"}
        if "?" in url:
            assert error == {
                "code": "invalid_parameter",
                "message": "text must not contain control characters.",
                "field": "text",
            }
    else:
        assert "The request was not understood" in response.get_data(as_text=True)


def test_nul_in_a_form_field_is_a_400_and_changes_nothing(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    sign_in_as(client, world.owner)
    url = f"/provider/services/{world.service.id}/edit"
    before = world.service.name
    response = post(client, url, service_form_data(world.service, name="Evil\x00name"))
    assert response.status_code == 400
    refresh(world.service)
    assert world.service.name == before


# -- four eyes -------------------------------------------------------------------------------------


def test_a_moderator_cannot_approve_their_own_organisations_listing(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    db_session.add(
        Membership(user_id=world.moderator.id, organization_id=world.org.id, role="editor")
    )
    db_session.commit()
    request = propose_rename(client, world, "Approved by a colleague")  # the editor's edit
    sign_in_as(client, world.moderator)
    response = post(client, f"/admin/requests/{request.id}/approve")
    assert response.status_code == 409
    assert "your own organisation" in response.get_data(as_text=True)
    refresh(request)
    assert request.state == "pending"
    # A moderator from outside the organisation can.
    sign_in_as(client, world.admin)
    assert post(client, f"/admin/requests/{request.id}/approve").status_code == 302
    refresh(request)
    assert request.state == "approved"


# -- tokens in the access log ----------------------------------------------------------------------

TOKEN = "eyJ1IjoxLCJwIjoiYWJjIn0.Z0xyzw.SECRETsignaturePART"


@pytest.mark.parametrize(
    "line",
    [
        f'127.0.0.1 - - "GET /reset-password/{TOKEN} HTTP/1.1" 200 -',
        f'127.0.0.1 "POST /invitations/{TOKEN}?next=/x HTTP/1.1" 302 0 12ms',
        f'127.0.0.1 "GET /provider/register/{TOKEN}" 200 0 3ms',
    ],
)
def test_tokens_are_redacted_from_log_lines(line: str) -> None:
    redacted = redact_line(line)
    assert TOKEN not in redacted and "SECRET" not in redacted
    assert "[redacted]" in redacted


def test_the_access_log_never_holds_a_reset_token(
    served: str, logs: pytest.LogCaptureFixture
) -> None:
    assert fetch(f"{served}/reset-password/{TOKEN}") == 200  # "this link does not work"
    lines = [r.getMessage() for r in logs.records if r.name == "werkzeug"]
    assert any("/reset-password/[redacted]" in line for line in lines), lines
    assert not any("SECRET" in line for line in [*lines, logs.text])
