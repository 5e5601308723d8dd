"""Shared fixtures: one app per test session on a real database.

SQLite (a file in a temporary folder) by default; PostgreSQL when TEST_DATABASE_URL is
set, as in CI. The schema is built by the real migrations. Each test runs inside a
transaction that is rolled back, so tests cannot see each other's writes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, g, request_started
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import settings
from sqlalchemy import text

from signpost import create_app
from signpost.directory import search_index
from signpost.extensions import db

ROOT = Path(__file__).resolve().parent.parent

# In CI every run tries the same examples, so a red run can be reproduced and a green run is not
# turned red by a new random draw; local runs keep exploring new examples.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _postcode_index(tmp_root: Path) -> str:
    """The built postcode index: the one `make postcodes` made, or build one for this run."""
    for candidate in (
        os.environ.get("SIGNPOST_POSTCODE_INDEX"),
        ROOT / "instance" / "postcodes.sqlite",
    ):
        if candidate and Path(candidate).exists():
            return str(candidate)
    from signpost.geo.index_build import build_index

    path = tmp_root / "postcodes.sqlite"
    build_index(path)
    return str(path)


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'signpost-test.sqlite'}"


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    from signpost.seeding import seed_all

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "POSTCODE_INDEX": _postcode_index(tmp_path_factory.mktemp("geo")),
            "SERVER_NAME": "localhost",
            # One process runs every suite: the production API limit would trip on the tests'
            # own traffic. Rate-limit tests set their own limits.
            "RATELIMIT_API": "100000 per minute",
            "RATELIMIT_PAGES": "100000 per minute",
            # Choice-gap figures for two postcode areas: the whole country is for `make bench`.
            "INSIGHTS_AREAS": ("LS", "NR"),
        }
    )
    with app.app_context():
        upgrade()
        seed_all(include_demo=True, echo=lambda *_: None)
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def db_session(app: Flask) -> Iterator[object]:
    """A session bound to an outer transaction that is rolled back after the test.

    Code under test may commit: with "create_savepoint" those commits only release
    savepoints inside the outer transaction.
    """
    with app.app_context():
        engine = db.engine
        connection = engine.connect()
        outer = connection.begin()
        engines = db._app_engines[app]
        # Flask-SQLAlchemy picks the bind from its engine map, so point it at our connection.
        engines[None] = connection  # type: ignore[assignment]
        original = db.session
        db.session = db._make_scoped_session({"join_transaction_mode": "create_savepoint"})

        def fresh_g(_sender: Flask, **_extra: object) -> None:
            # Requests reuse this test's app context, so give each one a clean ``g`` as in
            # production (Flask-Login and Flask-WTF cache the user and CSRF token there).
            g.__dict__.clear()

        try:
            with request_started.connected_to(fresh_g, app):
                yield db.session
        finally:
            db.session.remove()
            db.session = original
            engines[None] = engine
            outer.rollback()
            connection.close()
            # The rolled-back writes may sit in the per-worker search index: start afresh.
            search_index.init_app(app)


@pytest.fixture
def client(app: Flask, db_session: object) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form on a page: tests post like a browser does."""
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)
