"""API limits: a configurable, shared rate limit answered with a 429 in the error shape."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from signpost.extensions import limiter


@pytest.fixture
def tight_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "RATELIMIT_API", "3 per minute")
    limiter.reset()


def test_rate_limit_is_a_429_in_the_error_shape(client: FlaskClient, tight_limit: None) -> None:
    # One budget across the API: three different endpoints use it up.
    for path in ("/api/v1/", "/api/v1/taxonomies", "/api/v1/services?per_page=1"):
        assert client.get(path).status_code == 200
    response = client.get("/api/v1/taxonomy_terms")
    assert response.status_code == 429
    assert response.get_json() == {
        "error": {
            "code": "rate_limited",
            "message": "Too many requests. Wait a minute and try again.",
        }
    }
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert int(response.headers["Retry-After"]) > 0
    # Preflights and pages outside the API are not counted against it.
    assert client.options("/api/v1/services").status_code == 204
    assert client.get("/healthz").status_code != 429


def test_the_limit_is_configurable(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "RATELIMIT_API", "5 per minute")
    limiter.reset()
    statuses = [client.get("/api/v1/taxonomies").status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
