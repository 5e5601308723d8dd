"""Patient pages: start, search results, service pages, therapy explainers."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("patient", __name__)


@bp.get("/")
def start() -> str:
    return render_template("patient/start.html")


@bp.get("/therapies")
def therapies() -> str:
    return render_template("patient/therapies.html")


@bp.get("/privacy")
def privacy() -> str:
    return render_template("patient/privacy.html")
