"""Errors: a friendly page (with the crisis lines) for people, the JSON error shape for the
API, and a database outage that gives 503s and heals itself without a restart.

The outage is real at the driver level: the engine's pooled connections are closed and the
DBAPI's ``connect`` refuses, as it does when the database server is down, so every layer
above it (pool, session, views, error handlers) runs as it would in production. These
tests only read, so they use plain test clients on the session app (no rolled-back
connection that an outage could not touch).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from signpost.extensions import db
from signpost.models import Organization, Service

SEARCH = "location=LS1+1BA&need=depression&age=30"
CRISIS_NUMBERS = ("999", "111", "116 123", "85258")


@pytest.fixture
def reader(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def service_id(app: Flask) -> str:
    with app.app_context():
        found = db.session.execute(
            select(Service.id)
            .join(Organization)
            .where(Service.status == "active", Organization.moderation == "approved")
            .order_by(Service.id)
            .limit(1)
        ).scalar_one()
        db.session.remove()
    return found


def assert_crisis_lines(response: TestResponse) -> None:
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    for number in CRISIS_NUMBERS:
        assert re.search(rf"(?<!\d){re.escape(number)}(?!\d)", text), number


def assert_error_shape(response: TestResponse, status: int, code: str | None = None) -> None:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body: Any = response.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], body
    assert isinstance(error.get("message"), str) and error["message"], body
    assert set(error) <= {"code", "message", "field"}, body
    if code is not None:
        assert error["code"] == code, body


# -- not found, wrong method ------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/no-such-page", "/services/not-a-service", "/therapies/nope"])
def test_not_found_is_a_friendly_page_with_crisis_lines(reader: FlaskClient, url: str) -> None:
    response = reader.get(url)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert re.search(r"<h1[^>]*>\s*Page not found\s*</h1>", html), html[:500]
    assert 'href="/"' in html, "a way back to the start page"
    assert "Traceback" not in html
    assert_crisis_lines(response)


@pytest.mark.parametrize(
    "url", ["/api/v1/no-such-thing", "/api/v1/services/00000000-0000-4000-8000-000000000000"]
)
def test_api_not_found_is_json(reader: FlaskClient, url: str) -> None:
    assert_error_shape(reader.get(url), 404)


def test_api_unknown_route_says_not_found(reader: FlaskClient) -> None:
    assert_error_shape(reader.get("/api/v1/no-such-thing"), 404, "not_found")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_api_wrong_method_is_json_405(reader: FlaskClient, method: str) -> None:
    response = reader.open("/api/v1/services", method=method)
    assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response.headers.get("Allow", "")


# -- the database goes away, and comes back --------------------------------------------------


@contextmanager
def database_down(app: Flask) -> Iterator[None]:
    """Until the block ends, every new database connection is refused."""
    with app.app_context():
        engine = db.engine
    refused = engine.dialect.loaded_dbapi.OperationalError

    def refuse(*_args: object, **_kwargs: object) -> object:
        raise refused("connection refused (simulated database outage)")

    with pytest.MonkeyPatch.context() as patch:
        engine.dispose()  # pooled connections die with the server
        patch.setattr(engine.dialect, "connect", refuse)
        yield


def test_database_down_is_a_503_page_with_crisis_lines_then_recovers(
    app: Flask, reader: FlaskClient, service_id: str
) -> None:
    pages = [f"/search?{SEARCH}", f"/services/{service_id}"]
    with database_down(app):
        for url in pages:
            response = reader.get(url)
            assert response.status_code == 503, url
            assert response.mimetype == "text/html"
            html = response.get_data(as_text=True)
            assert re.search(r"<h1[^>]*>[^<]*unavailable[^<]*</h1>", html), html[:500]
            assert "Traceback" not in html
            assert_crisis_lines(response)
    for url in pages:
        assert reader.get(url).status_code == 200, f"{url} did not recover"


def test_database_down_is_an_api_503_then_recovers(app: Flask, reader: FlaskClient) -> None:
    urls = ["/api/v1/services", f"/api/v1/match?{SEARCH}"]
    with database_down(app):
        for url in urls:
            response = reader.get(url)
            assert_error_shape(response, 503, "database_unavailable")
            assert response.headers.get("Retry-After", "").isdigit()
    for url in urls:
        assert reader.get(url).status_code == 200, f"{url} did not recover"


def test_healthz_reports_the_outage_then_recovers(app: Flask, reader: FlaskClient) -> None:
    assert reader.get("/healthz").status_code == 200
    with database_down(app):
        response = reader.get("/healthz")
        assert response.status_code == 503
        body: Any = response.get_json()
        assert body["checks"]["database"] == "unavailable"
        assert body["status"] != "ok"
    response = reader.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["database"] == "ok"
