"""Every rate limit in one place: what counts, keyed by what, and how many.

Keys are the client's address (``request.remote_addr``, which ProxyFix corrects when
``PROXY_FIX_HOPS`` proxies are trusted) or, for sign-in, the account being tried.

Signing in is limited two ways. Per address, every attempt counts. Per account, only
failed attempts count, and a browser that has signed in to (or reset the password of)
that account before carries a signed "device" cookie that exempts it. So guesses spread
over many addresses are slowed for strangers, but nobody can lock the real person out:
their own browser still gets in, and a reset link makes any browser theirs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from signpost.extensions import limiter

F = TypeVar("F", bound=Callable[..., Any])

DEVICE_COOKIE = "signpost_device"
DEVICE_SALT = "signpost.device"
DEVICE_MAX_AGE = 365 * 24 * 60 * 60
DEVICE_ACCOUNTS = 5  # a shared computer remembers the last few accounts used on it


def _config_limit(name: str) -> Callable[[], str]:
    """The limit in setting ``name`` (defaults in signpost.config), read per request."""

    def limit() -> str:
        return str(current_app.config[name])

    limit.__name__ = name.lower()
    return limit


api = _config_limit("RATELIMIT_API")
pages = _config_limit("RATELIMIT_PAGES")
sign_in = _config_limit("RATELIMIT_SIGN_IN")
sign_in_account = _config_limit("RATELIMIT_SIGN_IN_ACCOUNT")
report = _config_limit("RATELIMIT_REPORT")


# -- keys and conditions -------------------------------------------------------------------------


def _account(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]


def account_key() -> str:
    """The account a sign-in form names, wherever the attempt comes from."""
    return "account:" + _account(request.form.get("email", "")[:254])


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def _device_accounts() -> list[str]:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        accounts = _serializer().loads(raw, max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return []
    return [a for a in accounts if isinstance(a, str)] if isinstance(accounts, list) else []


def known_device() -> bool:
    """This browser has signed in to the account the form names before."""
    return _account(request.form.get("email", "")[:254]) in _device_accounts()


def remember_device(response: Response, email: str) -> Response:
    """Mark this browser as one the account's owner uses (after a good sign-in or reset)."""
    mine = _account(email)
    others = [a for a in _device_accounts() if a != mine]
    accounts = [mine, *others[: DEVICE_ACCOUNTS - 1]]
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer().dumps(accounts),
        max_age=DEVICE_MAX_AGE,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )
    return response


def _failed(response: Response) -> bool:
    # A failed attempt shows the form again (200); success redirects, a block is a 429.
    return response.status_code == 200


# -- the limits, as decorators ---------------------------------------------------------------------


def sign_in_limits(view: F) -> F:
    per_account = limiter.limit(
        sign_in_account,
        methods=["POST"],
        key_func=account_key,
        exempt_when=known_device,
        deduct_when=_failed,
    )
    per_address = limiter.limit(sign_in, methods=["POST"])
    return per_address(per_account(view))  # type: ignore[return-value]


def email_limits(view: F) -> F:
    """Forms that send an email to an address: per client, and per address mailed."""
    per_account = limiter.limit(
        sign_in, methods=["POST"], key_func=account_key, exempt_when=known_device
    )
    return limiter.limit(sign_in, methods=["POST"])(per_account(view))  # type: ignore[return-value]


def form_limit(limit: Callable[[], str]) -> Callable[[F], F]:
    """A public form's POSTs, per client address."""
    return limiter.limit(limit, methods=["POST"])  # type: ignore[return-value]


#: The pages that run a search (results, GP screen, handout, record text): per client.
heavy_page = limiter.shared_limit(pages, scope="pages", methods=["GET", "HEAD"])


def api_limit(blueprint: Any) -> None:
    """One budget per client across every API route, not per route."""
    limiter.shared_limit(api, scope="api", methods=["GET", "HEAD"])(blueprint)
