"""Moderation."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("admin", __name__)


@bp.get("")
def queue() -> str:
    return render_template("admin/queue.html")
