"""Who is signed in: Flask-Login's user loader and the role guards routes attach.

Guards:

* ``@login_required`` (Flask-Login): any signed-in, active user. Organisation membership is
  then checked by loading records through the user's memberships (404 otherwise).
* ``@moderator_required``: moderators and admins (the whole /admin blueprint has it).
* ``@admin_required``: admins only (users and roles).

Sessions can be ended by the server. A session records a stamp made from the user's
password hash and ``session_generation`` when it signs in, and the user loader checks it on
every request: signing out raises the generation (ending that user's sessions everywhere,
so a copied cookie stops working), a new password changes the hash, and a deactivated
account is signed out at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Flask, abort, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from signpost.accounts.tokens import password_fingerprint
from signpost.extensions import db, login_manager
from signpost.models import User

F = TypeVar("F", bound=Callable[..., Any])

SESSION_STAMP = "_pw"


def session_stamp(user: User) -> str:
    """Changes whenever the password does or the user's sessions are revoked."""
    return password_fingerprint(f"{user.session_generation or 0}:{user.password_hash}")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not (user_id.isascii() and user_id.isdigit()):
        return None
    user = db.session.execute(select(User).where(User.id == int(user_id))).scalar_one_or_none()
    if user is None or not user.active:
        return None
    if session.get(SESSION_STAMP) != session_stamp(user):
        return None  # signed out, or the password changed, since this session began
    return user


def sign_in(user: User) -> None:
    """Start a fresh session for ``user`` (a new session, so none can be fixed in advance)."""
    session.clear()
    login_user(user)
    session[SESSION_STAMP] = session_stamp(user)


def sign_out() -> None:
    """End this session, and every other session of the same user, on the server."""
    if current_user.is_authenticated:
        revoke_sessions(cast(User, current_user._get_current_object()))  # type: ignore[attr-defined]
    logout_user()
    session.clear()


def revoke_sessions(user: User) -> None:
    user.session_generation = (user.session_generation or 0) + 1
    db.session.commit()


def _role_guard(allowed: Callable[[User], bool]) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not allowed(cast(User, current_user)):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


moderator_required = _role_guard(lambda user: user.is_moderator)
admin_required = _role_guard(lambda user: user.is_admin)


def require_moderator() -> Any:
    """A ``before_request`` hook form of :func:`moderator_required` for a whole blueprint."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_moderator:
        abort(403)
    return None


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (never another host), else None.

    Control characters are refused too: CR/LF cannot go in a Location header, and browsers
    drop tabs and newlines from URLs, so a slash, a tab and "/evil.example" would become
    "//evil.example".
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def init_app(app: Flask) -> None:
    login_manager.login_view = "provider.sign_in"
    login_manager.login_message = "Sign in to manage your listings."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    # No "remember me" is offered; if it ever is, its cookie gets the session's flags.
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config.get("SESSION_COOKIE_SECURE"))
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
