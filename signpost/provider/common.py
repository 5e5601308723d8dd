"""Small helpers the provider and admin views share: rendering forms, who is signed in."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from flask import current_app, render_template
from flask_login import current_user

from signpost.geo.geocoder import Geocoder
from signpost.listings import ACTION_LABELS, Change, diff
from signpost.models import Revision, User
from signpost.provider.forms import SignpostForm

_GEOCODER_KEY = "signpost.geocoder"  # the same single geocoder the search uses


def me() -> User:
    """The signed-in user (views call this only behind a login guard)."""
    return cast(User, current_user._get_current_object())  # type: ignore[attr-defined]


def today() -> date:
    return date.today()


def geocoder() -> Geocoder:
    found = current_app.extensions.get(_GEOCODER_KEY)
    if found is None:
        found = Geocoder(current_app.config["POSTCODE_INDEX"])
        current_app.extensions[_GEOCODER_KEY] = found
    return cast(Geocoder, found)


def render_page(
    template: str, *, form: SignpostForm | None = None, status: int = 200, **context: Any
) -> tuple[str, int]:
    """Render a page; a form with errors gets "Error: " in the title (see layout.html)."""
    errors = list(context.pop("error_list", []) or [])
    has_errors = bool(errors) or (form is not None and form.has_errors)
    html = render_template(
        template, form=form, error_list=errors, form_has_errors=has_errors, **context
    )
    return html, status


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("-", " ").capitalize())


def revision_changes(revision: Revision) -> list[Change]:
    """What a revision changed, field by field (a removal shows only its "before")."""
    before = revision.before or None
    after = revision.after if revision.after is not None else dict.fromkeys(before or {})
    return diff(before, after)


def history_helpers() -> dict[str, Any]:
    """Template helpers for history pages (a blueprint context processor)."""
    return {"action_label": action_label, "revision_changes": revision_changes}
