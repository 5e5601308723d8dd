"""Users and roles at /admin/users: admins change roles and deactivate accounts, with a
revision for each change; a deactivated or demoted person loses access at once."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from signpost.models import Revision
from tests.integration import test_provider_fixtures as fx
from tests.integration.test_provider_fixtures import World, post, refresh, sign_in_as

world = fx.world


def test_admin_lists_everyone_with_their_organisations(client: FlaskClient, world: World) -> None:
    sign_in_as(client, world.admin)
    html = client.get("/admin/users").get_data(as_text=True)
    assert "editor@test.example" in html
    assert "Test Counselling Trust (editor)" in html


def test_promote_a_provider_to_moderator(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    sign_in_as(client, world.editor)
    assert client.get("/admin").status_code == 403
    sign_in_as(client, world.admin)
    response = post(
        client, f"/admin/users/{world.editor.id}", {"role": "moderator", "active": "yes"}
    )
    assert response.status_code == 302
    refresh(world.editor)
    assert world.editor.role == "moderator"
    revision = db_session.scalars(
        select(Revision).where(
            Revision.entity_type == "user", Revision.entity_id == str(world.editor.id)
        )
    ).one()
    assert revision.before == {"role": "provider", "active": True}
    assert revision.after == {"role": "moderator", "active": True}
    assert revision.user_id == world.admin.id
    sign_in_as(client, world.editor)
    assert client.get("/admin").status_code == 200


def test_a_deactivated_account_is_signed_out_at_once(
    app: object, client: FlaskClient, world: World
) -> None:
    editor_client = app.test_client()  # type: ignore[attr-defined]
    sign_in_as(editor_client, world.editor)
    assert editor_client.get("/provider").status_code == 200
    sign_in_as(client, world.admin)
    post(client, f"/admin/users/{world.editor.id}", {"role": "provider", "active": "no"})
    refresh(world.editor)
    assert world.editor.active is False
    response = editor_client.get("/provider")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_an_admin_cannot_lock_themselves_out(client: FlaskClient, world: World) -> None:
    sign_in_as(client, world.admin)
    response = post(client, f"/admin/users/{world.admin.id}", {"role": "provider", "active": "yes"})
    html = response.get_data(as_text=True)
    assert "<title>Error: " in html
    assert re.search(r'<a href="#role">\s*You cannot change your own role', html)
    refresh(world.admin)
    assert world.admin.role == "admin"


def test_role_must_be_chosen_from_the_list(client: FlaskClient, world: World) -> None:
    sign_in_as(client, world.admin)
    response = post(
        client, f"/admin/users/{world.editor.id}", {"role": "superuser", "active": "yes"}
    )
    assert re.search(r'<a href="#role">\s*Select a role', response.get_data(as_text=True))
    refresh(world.editor)
    assert world.editor.role == "provider"


def test_moderators_cannot_manage_users(client: FlaskClient, world: World) -> None:
    sign_in_as(client, world.moderator)
    assert client.get("/admin/users").status_code == 403
    response = post(client, f"/admin/users/{world.editor.id}", {"role": "admin", "active": "yes"})
    assert response.status_code == 403
    refresh(world.editor)
    assert world.editor.role == "provider"
