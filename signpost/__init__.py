"""Signpost: find talking therapy in the UK, with the full NICE choice explained."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader
from werkzeug.middleware.proxy_fix import ProxyFix

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The one app factory. ``config`` overrides the environment (tests use it)."""
    from signpost import auth, cli, database, errors, health, privacy, security, template_globals
    from signpost.config import load_config
    from signpost.directory import search_index
    from signpost.extensions import csrf, db, limiter, login_manager, migrate

    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(load_config(app.instance_path, config))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    hops = int(app.config["PROXY_FIX_HOPS"])
    if hops:
        # Only the client address and scheme: the host comes from PUBLIC_BASE_URL, and a
        # proxy that does not set X-Forwarded-Host would pass on whatever a client sent.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    # NHS.UK frontend's Jinja macros expect ChainableUndefined (see its README).
    app.jinja_options = {
        "undefined": ChainableUndefined,
        "loader": ChoiceLoader(
            [FileSystemLoader(str(ROOT / "templates")), PackageLoader("nhsuk_frontend_jinja")]
        ),
        "autoescape": True,
        "trim_blocks": True,
        "lstrip_blocks": True,
    }

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "signpost" / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    _log_limiter_warnings()

    auth.init_app(app)
    privacy.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    template_globals.init_app(app)
    health.init_app(app)
    cli.init_app(app)
    search_index.init_app(app)
    _register_blueprints(app)
    return app


def _log_limiter_warnings() -> None:
    """Flask-Limiter says "storage unreachable, falling back to memory" on its own logger,
    which has no handler of its own: send it where the app's log goes."""
    from flask.logging import default_handler

    logger = logging.getLogger("flask-limiter")
    if default_handler not in logger.handlers:
        logger.addHandler(default_handler)
    logger.setLevel(logging.INFO)


def _register_blueprints(app: Flask) -> None:
    from signpost.admin.views import bp as admin_bp
    from signpost.api.views import bp as api_bp
    from signpost.gp.views import bp as gp_bp
    from signpost.insights.views import bp as insights_bp
    from signpost.patient.views import bp as patient_bp
    from signpost.provider.views import bp as provider_bp

    app.register_blueprint(patient_bp)
    app.register_blueprint(gp_bp, url_prefix="/gp")
    app.register_blueprint(provider_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(insights_bp)
