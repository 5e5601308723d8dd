"""Provider area: sign in, listings, edits."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("provider", __name__)


@bp.get("/provider")
def dashboard() -> str:
    return render_template("provider/dashboard.html")


@bp.get("/sign-out")
def sign_out() -> str:
    return render_template("provider/dashboard.html")
