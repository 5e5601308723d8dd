"""Absolute URLs come from PUBLIC_BASE_URL, never from the Host header; production refuses
to start without it and answers only its own host; ProxyFix trusts a configured number of
proxies, so each client behind them gets its own rate-limit budget."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from signpost import create_app
from signpost.auth import SESSION_STAMP, session_stamp
from signpost.config import ConfigError, load_config
from signpost.extensions import limiter
from signpost.mail import record_messages
from signpost.urls import absolute_url
from tests.conftest import csrf_token_from
from tests.integration import test_provider_fixtures as fx
from tests.integration.test_errors import assert_crisis_lines
from tests.integration.test_provider_fixtures import World, make_user

PUBLIC = "https://signpost.example.org"
EVIL = "http://evil.example"
world = fx.world


@pytest.fixture
def public_base(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """PUBLIC_BASE_URL set, and no SERVER_NAME, so the Host header reaches the app."""
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    limiter.reset()


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FLASK_DEBUG", "PUBLIC_BASE_URL", "TRUSTED_HOSTS", "PROXY_FIX_HOPS"):
        monkeypatch.delenv(name, raising=False)


def links(body: str) -> list[str]:
    return re.findall(r"https?://\S+", body)


def test_a_reset_link_ignores_the_host_header(
    app: Flask, client: FlaskClient, db_session: Session, public_base: None
) -> None:
    make_user(db_session, "victim@test.example")
    db_session.commit()
    page = client.get("/forgot-password", base_url=EVIL)
    with record_messages(app) as outbox:
        client.post(
            "/forgot-password",
            base_url=EVIL,
            data={
                "csrf_token": csrf_token_from(page.get_data(as_text=True)),
                "email": "victim@test.example",
            },
        )
    [message] = outbox
    [link] = links(message.body)
    assert link.startswith(f"{PUBLIC}/reset-password/"), link
    assert "evil.example" not in message.body


def test_an_invitation_link_ignores_the_host_header(
    app: Flask, client: FlaskClient, world: World, public_base: None
) -> None:
    with client.session_transaction(base_url=EVIL) as session:
        session["_user_id"] = str(world.owner.id)
        session[SESSION_STAMP] = session_stamp(world.owner)
    page = client.get(f"/provider/organisations/{world.org.id}/members", base_url=EVIL)
    with record_messages(app) as outbox:
        client.post(
            f"/provider/organisations/{world.org.id}/members",
            base_url=EVIL,
            data={
                "csrf_token": csrf_token_from(page.get_data(as_text=True)),
                "email": "new@test.example",
                "role": "editor",
            },
        )
    [message] = outbox
    [link] = links(message.body)
    assert link.startswith(f"{PUBLIC}/invitations/"), link


def test_api_and_handout_urls_ignore_the_host_header(
    client: FlaskClient, public_base: None
) -> None:
    root = client.get("/api/v1/", base_url=EVIL).get_json()
    assert root["openapi_url"] == f"{PUBLIC}/api/v1/openapi.json"
    spec = client.get("/api/v1/openapi.json", base_url=EVIL).get_json()
    assert spec["servers"] == [{"url": f"{PUBLIC}/api/v1"}]
    handout = client.get(
        "/gp/handout?location=LS1+1BA&need=depression&age=34&service=none", base_url=EVIL
    ).get_data(as_text=True)
    assert "evil.example" not in handout


def test_absolute_urls_outside_a_request_use_the_public_address(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC)
    with app.app_context():  # a CLI command: no request, no Host header at all
        assert absolute_url("provider.sign_in") == f"{PUBLIC}/sign-in"


def test_production_refuses_to_start_without_a_public_address(
    tmp_path: Path, production_env: None
) -> None:
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        load_config(str(tmp_path), {"SECRET_KEY": "x" * 32})
    with pytest.raises(ConfigError, match="scheme and host only"):
        load_config(str(tmp_path), {"SECRET_KEY": "x" * 32, "PUBLIC_BASE_URL": "signpost.org"})
    config = load_config(str(tmp_path), {"SECRET_KEY": "x" * 32, "PUBLIC_BASE_URL": PUBLIC + "/"})
    assert config["PUBLIC_BASE_URL"] == PUBLIC
    # Only the public host is answered, unless TRUSTED_HOSTS names others.
    assert config["TRUSTED_HOSTS"] == ["signpost.example.org"]


def test_trusted_hosts_from_the_environment(
    tmp_path: Path, production_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.setenv("TRUSTED_HOSTS", "signpost.example.org, localhost")
    config = load_config(str(tmp_path), {"SECRET_KEY": "x" * 32})
    assert config["TRUSTED_HOSTS"] == ["signpost.example.org", "localhost"]


def test_an_unknown_host_gets_a_400(
    app: Flask, monkeypatch: pytest.MonkeyPatch, public_base: None
) -> None:
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["signpost.example.org"])
    client = app.test_client()
    page = client.get("/", base_url=EVIL)
    assert page.status_code == 400
    assert_crisis_lines(page)
    api = client.get("/api/v1/", base_url=EVIL)
    assert api.status_code == 400
    assert api.get_json()["error"]["code"] == "bad_request"
    assert client.get("/", base_url=PUBLIC).status_code == 200


# -- ProxyFix -------------------------------------------------------------------------------------


@pytest.fixture
def proxied(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """A second app behind one trusted proxy (its requests here need no database)."""
    behind = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.sqlite'}",
            "POSTCODE_INDEX": app.config["POSTCODE_INDEX"],
            "PROXY_FIX_HOPS": 1,
            "RATELIMIT_API": "2 per minute",
        }
    )
    limiter.reset()
    yield behind
    limiter.reset()


def _api(client: FlaskClient, forwarded_for: str) -> int:
    return client.get("/api/v1/", headers={"X-Forwarded-For": forwarded_for}).status_code


def test_behind_a_proxy_each_client_has_its_own_budget(proxied: Flask) -> None:
    client = proxied.test_client()
    assert [_api(client, "198.51.100.1") for _ in range(3)] == [200, 200, 429]
    assert _api(client, "198.51.100.2") == 200
    # Only the last hop is trusted: a client cannot pick its address by sending its own.
    assert _api(client, "203.0.113.50, 198.51.100.1") == 429


def test_without_trusted_proxies_the_header_is_ignored(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "RATELIMIT_API", "2 per minute")
    limiter.reset()
    client = app.test_client()
    assert [_api(client, f"198.51.100.{n}") for n in range(3)] == [200, 200, 429]
    limiter.reset()
