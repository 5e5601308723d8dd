"""Configuration from the environment, read when the app is created (never at import)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Refused outside debug and testing (see load_config).
DEV_SECRET_KEY = "dev-only-not-secret"


class ConfigError(RuntimeError):
    """The app cannot start safely with the configuration it was given."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str | None) -> list[str] | None:
    items = [item.strip() for item in (value or "").split(",") if item.strip()]
    return items or None


def _check_public_address(config: dict[str, Any], *, production: bool) -> None:
    """Every absolute link (emails, QR codes, the API) is built on PUBLIC_BASE_URL, never on
    the request's Host header, which anyone can set. Production needs it, and then only
    requests for that host (or those in TRUSTED_HOSTS) are answered."""
    base = config.get("PUBLIC_BASE_URL")
    if not base:
        if production:
            raise ConfigError(
                "PUBLIC_BASE_URL is not set. Set it to the address people use, like "
                "https://signpost.example.org, before starting Signpost in production."
            )
        return
    parts = urlsplit(str(base))
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path.strip("/"):
        raise ConfigError(
            f"PUBLIC_BASE_URL must be a scheme and host only, like https://signpost.example.org "
            f"(got {base!r})."
        )
    config["PUBLIC_BASE_URL"] = f"{parts.scheme}://{parts.netloc}"
    if production and not config.get("TRUSTED_HOSTS"):
        config["TRUSTED_HOSTS"] = [parts.hostname]


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
        # How long an SQLite write waits for another to finish before giving up.
        "SQLITE_BUSY_TIMEOUT_MS": int(env.get("SQLITE_BUSY_TIMEOUT_MS", "30000")),
        "POSTCODE_INDEX": env.get("POSTCODE_INDEX") or str(instance / "postcodes.sqlite"),
        "REDIS_URL": env.get("REDIS_URL"),
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        # Redis away must not take the site down: count in memory until it is back, and never
        # let a limiter failure fail the request. Short timeouts so a hung Redis is "away" too.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        "RATELIMIT_API": env.get("RATELIMIT_API", "600 per minute"),
        "RATELIMIT_SIGN_IN": env.get("RATELIMIT_SIGN_IN", "10 per minute"),
        "RATELIMIT_SIGN_IN_ACCOUNT": env.get("RATELIMIT_SIGN_IN_ACCOUNT", "10 per 15 minutes"),
        "RATELIMIT_PAGES": env.get("RATELIMIT_PAGES", "300 per minute"),
        "RATELIMIT_REPORT": env.get("RATELIMIT_REPORT", "5 per minute"),
        "API_MAX_PER_PAGE": int(env.get("API_MAX_PER_PAGE", "100")),
        "STALE_FLAG_DAYS": int(env.get("STALE_FLAG_DAYS", "183")),
        "STALE_HIDE_DAYS": int(env.get("STALE_HIDE_DAYS", "365")),
        # Capacity and waits older than this show their date next to "Taking new referrals".
        "CAPACITY_DATE_DAYS": int(env.get("CAPACITY_DATE_DAYS", "90")),
        "MAIL_SERVER": env.get("MAIL_SERVER"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_FROM": env.get("MAIL_FROM", "signpost@example.org"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not (debug or testing) and _bool(env.get("SECURE_COOKIES"), True),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL") or None,
        "TRUSTED_HOSTS": _list(env.get("TRUSTED_HOSTS")),
        # Proxies in front of the app that set X-Forwarded-For and -Proto (0: none).
        "PROXY_FIX_HOPS": int(env.get("PROXY_FIX_HOPS", "0")),
        # "index" (default) or "naive": the baseline kept only for `make bench` comparisons.
        "MATCHER": env.get("SIGNPOST_MATCHER", "index"),
        # Anonymous demand counters (district, need, age band, ISO week): "0" turns them off.
        "INSIGHTS_DEMAND_COUNTERS": _bool(env.get("INSIGHTS_DEMAND_COUNTERS"), True),
        # Bring the insights up to date in a background thread (tests do it in line).
        "INSIGHTS_BACKGROUND": not testing,
        # Limit the insights to these postcode areas (tests); empty: the whole country.
        "INSIGHTS_AREAS": tuple(
            a.strip().upper() for a in env.get("INSIGHTS_AREAS", "").split(",") if a.strip()
        ),
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
    _check_public_address(config, production=not (debug or config.get("TESTING")))
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):  # Heroku-style URLs
        uri = "postgresql://" + uri.removeprefix("postgres://")
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    config["SQLALCHEMY_DATABASE_URI"] = uri
    return config
