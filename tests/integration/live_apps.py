"""Apps on their own database, for tests whose requests must really commit and race.

The shared test database wraps each test in one rolled-back transaction on one connection,
so it cannot show two requests overlapping. :func:`own_app` gives an app on a fresh,
migrated, seeded database: an SQLite file in a temporary folder, or (with
TEST_DATABASE_URL) a throwaway PostgreSQL schema whose connections carry their own
``application_name`` so a test can terminate exactly those backends.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from werkzeug.test import TestResponse

from signpost import create_app
from signpost.extensions import db
from signpost.seeding import seed_all
from tests.conftest import csrf_token_from

CRISIS_NUMBERS = ("999", "111", "116 123", "85258")


def _postgres(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _admin(sql: str, **params: Any) -> None:
    engine = create_engine(_postgres(os.environ["TEST_DATABASE_URL"]))
    with engine.begin() as conn:
        conn.execute(text(sql), params)
    engine.dispose()


@contextmanager
def own_app(tmp_path: Path, postcode_index: str, **config: Any) -> Iterator[Flask]:
    """An app on its own seeded database; ``app.config["APPLICATION_NAME"]`` names its
    PostgreSQL connections (None on SQLite)."""
    base = os.environ.get("TEST_DATABASE_URL")
    schema = None
    name = None
    if base:
        schema = f"own_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        name = f"signpost-{schema}"
        _admin(f"CREATE SCHEMA {schema}")
        sep = "&" if "?" in base else "?"
        url = f"{base}{sep}options=-csearch_path%3D{schema}&application_name={name}"
    else:
        url = f"sqlite:///{tmp_path / f'own-{uuid.uuid4().hex[:8]}.sqlite'}"
    # As in production, the server bounds how many requests work at once: on PostgreSQL
    # plenty, so races really overlap in the database; on SQLite, whose one writer makes
    # the rest wait, as many as two gunicorn workers with two threads each.
    pool = {"pool_size": 20, "max_overflow": 20} if base else {"pool_size": 4, "max_overflow": 0}
    settings: dict[str, Any] = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_timeout": 300, **pool},
        "POSTCODE_INDEX": postcode_index,
        "RATELIMIT_API": "100000 per minute",
        "APPLICATION_NAME": name,
    }
    settings.update(config)
    app = create_app(settings)
    try:
        with app.app_context():
            upgrade()
            seed_all(include_demo=True, echo=lambda *_: None)
            db.session.commit()
            db.session.remove()
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if schema:
            _admin(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        # Flask-Limiter keeps its storage on the one extension object: put the in-memory
        # store back for the apps of the tests that run after this one.
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def terminate_backends(app: Flask) -> int:
    """Kill this app's PostgreSQL connections from the server side (as a crash would)."""
    name = app.config["APPLICATION_NAME"]
    engine = create_engine(_postgres(os.environ["TEST_DATABASE_URL"]))
    with engine.begin() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        ).scalar_one()
    engine.dispose()
    return int(killed)


def signed_in_client(app: Flask, user_id: int, stamp: str) -> FlaskClient:
    """A client signed in as the user whose :func:`signpost.auth.session_stamp` is given."""
    from signpost.auth import SESSION_STAMP

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
        session[SESSION_STAMP] = stamp
    return client


def form_fields(html: str) -> tuple[str, str]:
    """(CSRF token, version) of the edit form on a page."""
    version = re.search(r'name="version" value="([^"]+)"', html)
    assert version, "page has no version field"
    return csrf_token_from(html), version.group(1)


def all_at_once(jobs: list[Callable[[], TestResponse]]) -> list[TestResponse]:
    """Run every job on its own thread, released together; their responses in order."""
    barrier = threading.Barrier(len(jobs))
    results: list[TestResponse | BaseException | None] = [None] * len(jobs)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=120)
            results[index] = jobs[index]()
        except BaseException as error:  # reported below, with the others
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    errors = [r for r in results if isinstance(r, BaseException) or r is None]
    assert not errors, f"{len(errors)} requests raised, first: {errors[0]!r}"
    return [r for r in results if isinstance(r, TestResponse)]


def has_crisis_lines(html: str) -> bool:
    plain = re.sub(r"<[^>]+>", " ", html)
    return all(re.search(rf"(?<!\d){re.escape(n)}(?!\d)", plain) for n in CRISIS_NUMBERS)
