"""Security at the edge, in one place: headers (including a Content Security Policy with a
per-request nonce for the one inline script the NHS.UK template needs), ``no-store`` on
pages for a signed-in person, and refusing NUL characters before any view sees them."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from flask import Flask, Response, abort, g, request
from sqlalchemy import inspect
from werkzeug.datastructures import MultiDict

from signpost.errors import APIError, wants_json

# Pages whose URL carries a secret (a reset or invitation link) or that take a password.
_PRIVATE_ENDPOINTS = frozenset(
    {
        "provider.sign_in",
        "provider.reset_password",
        "provider.accept_invitation",
        "provider.register_details",
    }
)
_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _field_with_nul(items: MultiDict[str, str]) -> str | None:
    pairs: Iterable[tuple[str, str]] = items.items(multi=True)
    for key, value in pairs:
        if "\x00" in key or "\x00" in value:
            return key.replace("\x00", "")
    return None


def refuse_nul_characters() -> None:
    """A NUL is never meaningful in a path, a query or a form field, and PostgreSQL cannot
    store one in text: refuse it here as a 400, rather than as a failed query later."""
    if "\x00" in request.path:
        abort(400)
    field = _field_with_nul(request.args)
    if field is None and request.method in _WITH_BODY:
        field = _field_with_nul(request.form)
    if field is None:
        return
    if wants_json():  # the API names the parameter, as for any other bad value
        raise APIError(
            "invalid_parameter", f"{field} must not contain control characters.", field=field
        )
    abort(400)


def _signed_in() -> bool:
    # Only what Flask-Login already loaded for this request: no database query here. The
    # loader gives a User row only to someone signed in (the anonymous user is not mapped),
    # and its attributes are not read: after a failed transaction they are expired, and
    # reading one would query the database that just failed.
    user = g.get("_login_user")
    return user is not None and inspect(user, raiseerr=False) is not None


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.before_request(refuse_nul_characters)

    @app.after_request
    def set_headers(response: Response) -> Response:
        nonce = g.get("csp_nonce")
        script_src = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src {script_src}; "
            "style-src 'self'; img-src 'self' data:; font-src 'self' https://assets.nhs.uk; "
            "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; "
            "object-src 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Search URLs carry a postcode: never leak them to the sites we link to.
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault(
            "Permissions-Policy", "geolocation=(), camera=(), microphone=(), interest-cohort=()"
        )
        if request.endpoint != "static" and (
            _signed_in() or request.endpoint in _PRIVATE_ENDPOINTS
        ):
            # Someone's own pages must not be kept by a shared computer's browser or a proxy.
            response.headers["Cache-Control"] = "no-store"
        if request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=63072000; includeSubDomains"
            )
        return response
