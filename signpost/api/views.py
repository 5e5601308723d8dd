"""Open data API (Open Referral UK 3.0) and the match API, under ``/api/v1``.

Public, read-only JSON: every response carries ``Access-Control-Allow-Origin: *`` (errors
and preflights included), every route is rate limited by ``RATELIMIT_API``, and errors use
the shape of :mod:`signpost.errors`. The ORUK endpoints live in :mod:`signpost.api.oruk_views`
and the OpenAPI description in :mod:`signpost.api.openapi`.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from signpost.rate_limits import api_limit
from signpost.urls import absolute_url

bp = Blueprint("api", __name__)

ORUK_VERSION = "HSDS-UK-3.0"
ORUK_PROFILE_URL = "https://github.com/OpenReferralUK/uk-profile"
_HEADER_LIST = re.compile(r"^[A-Za-z0-9\-, ]{0,200}$")


# One budget per client across every API route (the match API included), not per route.
api_limit(bp)


@bp.before_app_request
def _preflight() -> ResponseReturnValue | None:
    if request.method == "OPTIONS" and request.path.startswith("/api/"):
        return Response(status=204)
    return None


@bp.after_app_request
def _cors(response: Response) -> Response:
    if not request.path.startswith("/api/"):
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "Retry-After"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        asked = request.headers.get("Access-Control-Request-Headers", "")
        if asked and _HEADER_LIST.match(asked):
            response.headers["Access-Control-Allow-Headers"] = asked
        response.headers["Access-Control-Max-Age"] = "86400"
    if response.status_code == 429:
        response.headers.setdefault("Retry-After", "60")
    return response


@bp.get("/")
def root() -> ResponseReturnValue:
    return jsonify(
        {
            "version": ORUK_VERSION,
            "profile": ORUK_PROFILE_URL,
            "openapi_url": absolute_url("api.openapi"),
        }
    )


# Routes registered on ``bp`` by the modules below (imported for their side effects).
from signpost.api import openapi, oruk_views  # noqa: E402, F401

# isort: split
# The match API (signpost/api/match.py, PRODUCT §6) registers here:
from signpost.api import match  # noqa: E402, F401

# isort: split
# Choice-gap insights as open data (signpost/insights/api.py) register here:
from signpost.insights import api as insights_api  # noqa: E402, F401
