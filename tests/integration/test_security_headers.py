"""Security headers on pages, errors and the API, and the session cookie's flags.

These requests only read, so they use a plain test client: each request gets its own
application context (and so its own CSP nonce), as in production.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from signpost.extensions import limiter

URLS = [
    ("/", 200),
    ("/therapies", 200),
    ("/search?location=LS1+1BA&need=depression&age=30", 200),
    ("/sign-in", 200),
    ("/no-such-page", 404),
    ("/api/v1/", 200),
    ("/api/v1/services", 200),
    ("/api/v1/no-such-thing", 404),
    ("/healthz", 200),
]


@pytest.fixture
def reader(app: Flask) -> FlaskClient:
    return app.test_client()


def directives(response: TestResponse) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0].lower()] = words[1:]
    return parsed


@pytest.mark.parametrize(("url", "status"), URLS)
def test_security_headers(reader: FlaskClient, url: str, status: int) -> None:
    response = reader.get(url)
    assert response.status_code == status
    csp = directives(response)
    assert csp, "no Content-Security-Policy"
    script_src = csp.get("script-src", csp.get("default-src"))
    assert script_src, csp
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert "*" not in script_src
    assert csp.get("frame-ancestors") == ["'none'"]
    assert csp.get("object-src") == ["'none'"]
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("X-Frame-Options") == "DENY"
    assert response.headers.get("Referrer-Policy") == "no-referrer"


def test_every_inline_script_carries_this_responses_nonce(reader: FlaskClient) -> None:
    nonces = []
    for _ in range(2):
        response = reader.get("/")
        html = response.get_data(as_text=True)
        nonce = next(
            (s[len("'nonce-") : -1] for s in directives(response)["script-src"] if "nonce-" in s),
            None,
        )
        assert nonce, "the page has an inline script, so script-src needs a nonce"
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
        assert inline, "expected the NHS.UK template's inline script"
        for attributes in inline:
            assert f'nonce="{nonce}"' in attributes, attributes
        nonces.append(nonce)
    assert nonces[0] != nonces[1], "the nonce must change with every response"


def test_session_cookie_is_http_only_and_same_site(app: Flask, reader: FlaskClient) -> None:
    limiter.reset()
    # The sign-in form puts a CSRF token in the session, so the response sets the cookie.
    response = reader.get("/sign-in")
    assert response.status_code == 200
    name = app.config["SESSION_COOKIE_NAME"]
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert cookies, response.headers.getlist("Set-Cookie")
    flags = [flag.strip().lower() for flag in cookies[0].split(";")[1:]]
    assert "httponly" in flags
    assert "samesite=lax" in flags or "samesite=strict" in flags
    limiter.reset()


def test_api_allows_any_origin_but_pages_do_not(reader: FlaskClient) -> None:
    assert reader.get("/api/v1/services").headers.get("Access-Control-Allow-Origin") == "*"
    assert "Access-Control-Allow-Origin" not in reader.get("/").headers
