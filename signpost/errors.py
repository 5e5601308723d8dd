"""One error path: JSON in the API's error shape under /api/, a friendly page elsewhere.

Every error page still shows the crisis lines (the base template carries them), and a
database that went away gives a 503 that recovers on its own once it is back.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, SecurityError

from signpost.extensions import db


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


def _page(status: int, **context: object) -> tuple[str, int]:
    template = {404: "404", 403: "403", 429: "429", 503: "503"}.get(status, "error")
    return render_template(f"errors/{template}.html", status=status, **context), status


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
        # Drop broken connections so the next request reconnects: recovery without restart.
        db.session.rollback()
        app.logger.error("database unavailable: %s", type(error).__name__)
        if wants_json():
            response = error_json("database_unavailable", HTTP_CODES[503][1], 503)
            response.headers["Retry-After"] = "30"
            return response
        return _page(503)

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
