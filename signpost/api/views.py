"""Open data API (Open Referral UK 3.0) and the match API."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

bp = Blueprint("api", __name__)


@bp.get("/")
def root() -> ResponseReturnValue:
    return jsonify({"version": "HSDS-UK-3.0"})
