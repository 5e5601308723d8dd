"""GP consultation mode."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("gp", __name__)


@bp.get("")
def consultation() -> str:
    return render_template("gp/consultation.html")
