"""Signed, time-limited tokens for emailed links (itsdangerous).

A password-reset token carries the user id and a fingerprint of the current password hash,
so it stops working as soon as the password changes: each link works once. An invitation
token carries the invitation's id; the database row makes it single-use and revocable. A
registration token carries the email address it was sent to: opening it proves the person
reads that inbox, and registering with it creates the account, so it works once.
"""

from __future__ import annotations

import hashlib
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

RESET_SALT = "signpost.password-reset"
INVITATION_SALT = "signpost.invitation"
REGISTRATION_SALT = "signpost.registration"
RESET_MAX_AGE = 60 * 60  # one hour
INVITATION_MAX_AGE = 7 * 24 * 60 * 60  # one week
REGISTRATION_MAX_AGE = 24 * 60 * 60  # one day


class TokenError(ValueError):
    """The link is not valid. ``expired`` tells an old link from a broken one."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the password hash: changes whenever the password does."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:20]


def _serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt)


def _load(secret_key: str, salt: str, token: str, max_age: int) -> Any:
    try:
        return _serializer(secret_key, salt).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise TokenError(expired=True) from error
    except BadSignature as error:
        raise TokenError(expired=False) from error


def make_reset_token(secret_key: str, user_id: int, password_hash: str) -> str:
    return _serializer(secret_key, RESET_SALT).dumps(
        {"u": user_id, "p": password_fingerprint(password_hash)}
    )


def read_reset_token(secret_key: str, token: str, max_age: int = RESET_MAX_AGE) -> tuple[int, str]:
    """(user id, password fingerprint) from a reset token, or TokenError."""
    data = _load(secret_key, RESET_SALT, token, max_age)
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise TokenError(expired=False)
    return data["u"], str(data.get("p", ""))


def make_invitation_token(secret_key: str, invitation_id: int) -> str:
    return _serializer(secret_key, INVITATION_SALT).dumps({"i": invitation_id})


def read_invitation_token(secret_key: str, token: str, max_age: int = INVITATION_MAX_AGE) -> int:
    data = _load(secret_key, INVITATION_SALT, token, max_age)
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        raise TokenError(expired=False)
    return data["i"]


def make_registration_token(secret_key: str, email: str) -> str:
    return _serializer(secret_key, REGISTRATION_SALT).dumps({"e": email})


def read_registration_token(
    secret_key: str, token: str, max_age: int = REGISTRATION_MAX_AGE
) -> str:
    data = _load(secret_key, REGISTRATION_SALT, token, max_age)
    if not isinstance(data, dict) or not isinstance(data.get("e"), str):
        raise TokenError(expired=False)
    return data["e"]
