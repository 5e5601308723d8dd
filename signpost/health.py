"""``/healthz``: is the app up, and can it reach each thing it depends on?

Every dependency is checked on each call and reported as "ok" or "unavailable". The
database and the postcode index are required (without them there is no search), so either
one down gives a 503. The rate-limit store is not: Signpost keeps serving and counts in
memory while it is away, so the status is "degraded" with a 200.
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from signpost.extensions import db, limiter
from signpost.geo.geocoder import IndexUnavailableError
from signpost.search.service import geocoder

REQUIRED = ("database", "postcode_index")


def _database() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        try:
            db.session.rollback()
        except SQLAlchemyError:
            current_app.logger.warning("rollback failed after a database error")
        return False


def _postcode_index() -> bool:
    found = geocoder()
    try:
        return found.index_path.is_file() and bool(found.meta())
    except (IndexUnavailableError, OSError):
        return False
    except Exception:  # a corrupt or replaced file: sqlite3 errors are not worth a 500 here
        current_app.logger.exception("postcode index check failed")
        return False


def _rate_limit_store() -> bool:
    try:
        return bool(limiter.storage.check())
    except Exception:  # the storage client's own connection errors, whatever the backend
        return False


def init_app(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        results = {
            "database": _database(),
            "postcode_index": _postcode_index(),
            "rate_limit_store": _rate_limit_store(),
        }
        checks = {name: "ok" if ok else "unavailable" for name, ok in results.items()}
        if not all(results[name] for name in REQUIRED):
            status, code = "unavailable", 503
        elif not all(results.values()):
            status, code = "degraded", 200
        else:
            status, code = "ok", 200
        return jsonify({"status": status, "checks": checks, "required": list(REQUIRED)}), code
