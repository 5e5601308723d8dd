"""Configuration from the environment, read when the app is created (never at import)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Refused outside debug and testing (see load_config).
DEV_SECRET_KEY = "dev-only-not-secret"


class ConfigError(RuntimeError):
    """The app cannot start safely with the configuration it was given."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the config mapping; ``overrides`` (tests) win over the environment."""
    env = os.environ
    overrides = overrides or {}
    instance = Path(instance_path)
    debug = _bool(env.get("FLASK_DEBUG")) or bool(overrides.get("DEBUG"))
    testing = bool(overrides.get("TESTING"))

    config: dict[str, Any] = {
        "SECRET_KEY": env.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL")
        or f"sqlite:///{instance / 'signpost.sqlite'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "POSTCODE_INDEX": env.get("POSTCODE_INDEX") or str(instance / "postcodes.sqlite"),
        "REDIS_URL": env.get("REDIS_URL"),
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        "RATELIMIT_API": env.get("RATELIMIT_API", "600 per minute"),
        "RATELIMIT_SIGN_IN": env.get("RATELIMIT_SIGN_IN", "10 per minute"),
        "API_MAX_PER_PAGE": int(env.get("API_MAX_PER_PAGE", "100")),
        "STALE_FLAG_DAYS": int(env.get("STALE_FLAG_DAYS", "183")),
        "STALE_HIDE_DAYS": int(env.get("STALE_HIDE_DAYS", "365")),
        "MAIL_SERVER": env.get("MAIL_SERVER"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_FROM": env.get("MAIL_FROM", "signpost@example.org"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not (debug or testing) and _bool(env.get("SECURE_COOKIES"), True),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL"),
        # "index" (default) or "naive": the baseline kept only for `make bench` comparisons.
        "MATCHER": env.get("SIGNPOST_MATCHER", "index"),
    }
    config.update(overrides)

    if not config["SECRET_KEY"]:
        if debug or config.get("TESTING"):
            config["SECRET_KEY"] = DEV_SECRET_KEY
        else:
            raise ConfigError(
                "SECRET_KEY is not set. Set it in the environment before starting Signpost "
                "in production (FLASK_DEBUG=1 allows a development key)."
            )
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):  # Heroku-style URLs
        uri = "postgresql://" + uri.removeprefix("postgres://")
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    config["SQLALCHEMY_DATABASE_URI"] = uri
    return config
