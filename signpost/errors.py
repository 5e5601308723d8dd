"""One error path: JSON in the API's error shape under /api/, a friendly page elsewhere.

Every error page still shows the crisis lines (the base template carries them), and a
database that went away gives a 503 that recovers on its own once it is back. The error
path never touches the database: an error page shows the signed-in user only if they are
already in memory, and if the page itself cannot be rendered a plain page with the crisis
lines is sent instead. An optimistic-lock failure that no view handled is a 409 conflict,
and a missing postcode index is the same friendly 503 as a database outage.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, SecurityError

from signpost.crisis import CRISIS_LINES
from signpost.extensions import db, login_manager
from signpost.geo.geocoder import IndexUnavailableError

RETRY_AFTER_SECONDS = "30"


class APIError(Exception):
    """A structured 4xx for API clients."""

    def __init__(self, code: str, message: str, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.status = status


HTTP_CODES = {
    400: ("bad_request", "The request was not understood."),
    403: ("forbidden", "You do not have permission to do that."),
    404: ("not_found", "Nothing was found at this address."),
    405: ("method_not_allowed", "That method is not allowed here."),
    409: (
        "conflict",
        "Someone else changed this while you were working on it, so your change has not "
        "been saved. Go back, check the current details, then try again.",
    ),
    413: ("too_large", "The request is too large."),
    429: ("rate_limited", "Too many requests. Wait a minute and try again."),
    500: ("server_error", "Something went wrong on our side."),
    503: ("unavailable", "The directory is unavailable just now. Try again in a few minutes."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_json(code: str, message: str, status: int, field: str | None = None) -> Response:
    body: dict[str, str] = {"code": code, "message": message}
    if field:
        body["field"] = field
    response = jsonify({"error": body})
    response.status_code = status
    return response


def _plain_page(status: int) -> str:
    """The last resort when the error template itself fails: still every crisis line."""
    lines = "".join(
        f'<li><a href="{escape(line.href)}">{escape(line.name)}: {escape(line.contact)}</a>'
        f" – {escape(line.text)}</li>"
        for line in CRISIS_LINES
    )
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        "<title>Sorry, there is a problem with the service – Signpost</title></head><body>"
        "<h1>Sorry, there is a problem with the service</h1><p>Try again in a few minutes.</p>"
        f"<h2>Get help now</h2><ul>{lines}</ul></body></html>"
    )


def _page(status: int, **context: object) -> tuple[str, int]:
    # Template helpers read this and stay off the database (see template_globals).
    g.error_page = True
    if "_login_user" not in g:
        # Flask-Login's template context would load the user from the database: an error
        # page shows whoever is already in memory, and nobody otherwise.
        g._login_user = login_manager.anonymous_user()
    template = {404: "404", 403: "403", 429: "429", 503: "503"}.get(status, "error")
    try:
        return render_template(f"errors/{template}.html", status=status, **context), status
    except Exception:
        current_app.logger.exception("error page %s could not be rendered", status)
        return _plain_page(status), status


def _unavailable(code: str, message: str) -> Response | tuple[str, int]:
    if wants_json():
        response = error_json(code, message, 503)
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response
    body, status = _page(503)
    return Response(body, status, headers={"Retry-After": RETRY_AFTER_SECONDS})


def _rollback_quietly() -> None:
    # A rollback on a connection the server has closed fails too: then drop the session's
    # connections unused, and the pool opens fresh ones once the database is back.
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session().invalidate()  # scoped_session does not proxy invalidate()


def _bind_urls_to_public_host() -> None:
    """A Host outside TRUSTED_HOSTS leaves the request with no URL adapter (Flask refuses to
    build one for that host); give the 400 page one for the public host so it can render."""
    if request_ctx.url_adapter is None:
        base = urlsplit(str(current_app.config.get("PUBLIC_BASE_URL") or "http://localhost"))
        request_ctx.url_adapter = current_app.url_map.bind(
            base.netloc, script_name=request.script_root or "/", url_scheme=base.scheme
        )


def init_app(app: Flask) -> None:
    @app.errorhandler(APIError)
    def api_error(error: APIError) -> Response:
        return error_json(error.code, error.message, error.status, error.field)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Response | tuple[str, int]:
        message = "Your form session expired. Go back, refresh the page and try again."
        if wants_json():
            return error_json("csrf", message, 400)
        return _page(400, message=message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | tuple[str, int]:
        if isinstance(error, SecurityError):
            _bind_urls_to_public_host()
        status = error.code or 500
        code, message = HTTP_CODES.get(status, ("error", error.description or "Error"))
        if wants_json():
            response = error_json(code, message, status)
            for key, value in error.get_headers():
                if key.lower() == "allow":  # 405 keeps telling the client what is allowed
                    response.headers[key] = value
            return response
        return _page(status, message=message)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def database_unavailable(error: Exception) -> Response | tuple[str, int]:
        _rollback_quietly()
        # The driver's first line says why ("connection refused", "database is locked");
        # the rest, and SQLAlchemy's own text, can carry the statement's parameters.
        cause = getattr(error, "orig", None) or error
        reason = (str(cause).splitlines() or [""])[0][:200]
        app.logger.error("database unavailable: %s: %s", type(cause).__name__, reason)
        return _unavailable("database_unavailable", HTTP_CODES[503][1])

    @app.errorhandler(IndexUnavailableError)
    def postcode_index_unavailable(error: IndexUnavailableError) -> Response | tuple[str, int]:
        app.logger.error("postcode index unavailable: %s", error)
        return _unavailable("geocoder_unavailable", "Postcode search is unavailable just now.")

    @app.errorhandler(StaleDataError)
    def edit_conflict(error: StaleDataError) -> Response | tuple[str, int]:
        # Views turn known races into their own 409 with the form kept; this is the net
        # under everything else, so a lost optimistic-lock race is never a 500.
        _rollback_quietly()
        app.logger.warning("optimistic lock conflict on %s", request.path)
        code, message = HTTP_CODES[409]
        if wants_json():
            return error_json(code, message, 409)
        return _page(409, message=message)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response | tuple[str, int]:
        if isinstance(error, HTTPException):  # pragma: no cover - handled above
            return http_error(error)
        app.logger.exception("unhandled error on %s", request.path)
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise error
        if wants_json():
            return error_json("server_error", HTTP_CODES[500][1], 500)
        return _page(500)
