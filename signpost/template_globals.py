"""What every template can use: crisis lines, the demo banner switch, navigation."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError

from signpost import crisis
from signpost.contact_links import contact_links, lower_first, upper_first
from signpost.extensions import db

_DEMO_KEY = "signpost.demo_present"


def set_person(nation: str | None, age: int | None) -> None:
    """Record where the person is and their age for this request, so every part of the
    page (strip, "Get help now" box, handout) shows the crisis lines that fit them."""
    g.person_nation = nation
    g.person_age = age


def crisis_now() -> tuple[crisis.CrisisLine, ...]:
    return crisis.crisis_lines(g.get("person_nation"), g.get("person_age"))


def crisis_elsewhere() -> tuple[crisis.CrisisLine, ...]:
    return crisis.other_nation_lines(g.get("person_nation"))


def person_nation() -> crisis.Nation | None:
    return crisis.nation(g.get("person_nation"))


def demo_data_present() -> bool:
    """True when any listing is demo data, so every page says it is a demonstration.

    Error pages never ask the database: they use what the last page that did found.
    """
    if "demo_present" not in g:
        last_known = bool(current_app.extensions.get(_DEMO_KEY, False))
        if g.get("error_page"):
            return last_known
        from signpost.models import Service

        try:
            g.demo_present = (
                db.session.execute(select(Service.id).where(Service.demo).limit(1)).first()
                is not None
            )
            current_app.extensions[_DEMO_KEY] = g.demo_present
        except SQLAlchemyError:
            db.session.rollback()
            g.demo_present = last_known
    return bool(g.demo_present)


def nav_items() -> list[dict[str, Any]]:
    items = [
        ("Find therapy", "patient.start", "/"),
        ("Types of therapy", "patient.therapies", "/therapies"),
        ("For GPs", "gp.consultation", "/gp"),
    ]
    return [
        {
            "text": text,
            "href": url_for(endpoint),
            "current": request.path == prefix
            or (prefix != "/" and request.path.startswith(prefix)),
        }
        for text, endpoint, prefix in items
    ]


def _user_in_memory() -> Any:
    """The signed-in user if showing them needs no database read, else None."""
    user = g.get("_login_user")
    state = inspect(user, raiseerr=False) if user is not None else None
    # After a failed transaction the user's attributes are expired: reading any of them
    # (even ``is_authenticated``, which reads ``active``) would query the database the
    # error page is reporting as away. No mapped state: the anonymous user.
    if state is None or state.unloaded & {"email", "role", "active"}:
        return None
    return user if user.is_authenticated else None


def header_account() -> dict[str, Any] | None:
    user = _user_in_memory() if g.get("error_page") else current_user
    if user is not None and user.is_authenticated:
        items = [{"text": user.email, "icon": True}]
        if user.is_moderator:
            items.append({"text": "Moderation", "href": url_for("admin.queue")})
        items.append({"text": "Your listings", "href": url_for("provider.dashboard")})
        # Signing out is a POST with the CSRF token (a link could be followed by anyone's
        # page); a hidden input is allowed inside the header's button.
        token = Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())
        items.append({"html": token + "Sign out", "action": url_for("provider.sign_out")})
        return {"items": items}
    return None


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        contact_links=contact_links, upper_first=upper_first, lower_first=lower_first
    )
    app.jinja_env.globals.update(
        crisis_now=crisis_now,
        crisis_elsewhere=crisis_elsewhere,
        person_nation=person_nation,
        demo_data_present=demo_data_present,
        nav_items=nav_items,
        header_account=header_account,
    )
