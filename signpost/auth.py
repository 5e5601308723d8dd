"""Who is signed in: Flask-Login's user loader and the role guards routes attach."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from signpost.extensions import db, login_manager
from signpost.models import User


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    return db.session.execute(select(User).where(User.id == int(user_id))).scalar_one_or_none()


def init_app(app: Flask) -> None:
    login_manager.login_view = "provider.sign_in"
    login_manager.login_message = "Sign in to manage your listings."
    login_manager.login_message_category = "info"
