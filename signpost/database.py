"""Engine set-up that differs by database.

SQLite is the embedded default, so it must behave like the real thing: foreign keys on,
WAL so readers do not block the writer, a busy timeout instead of instant "database is
locked", and SQLAlchemy's recipe for working SAVEPOINTs with the pysqlite driver.

Write transactions start with ``BEGIN IMMEDIATE``: they take SQLite's write lock before
their first read, so two overlapping saves queue on the busy timeout and both succeed. A
deferred transaction that read first and then tries to write fails at once (SQLite cannot
wait there without risking a deadlock), which turned every overlap into an outage page.
A request is a writer unless its method is safe (GET, HEAD, OPTIONS); work outside a
request (commands, imports) is a writer too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from signpost.extensions import db

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def begin_statement() -> str:
    """The SQLite BEGIN for a transaction started now: deferred only for safe requests."""
    if has_request_context() and request.method in READ_ONLY_METHODS and not g.get("_writing"):
        return "BEGIN"
    return "BEGIN IMMEDIATE"


@contextmanager
def write_transaction() -> Iterator[None]:
    """Let a safe request write: transactions begun inside take the write lock first.

    For the rare write a GET makes (an anonymous counter). The caller ends its read
    transaction before entering, so the write begins afresh and waits its turn.
    """
    if not has_request_context():
        yield
        return
    g._writing = True
    try:
        yield
    finally:
        g._writing = False


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin_statement())


def _release_session(_error: BaseException | None) -> None:
    """End the request's session even when its connection died under it.

    Flask-SQLAlchemy's own teardown rolls back the open transaction; on a connection the
    server has ended, that rollback raises after the response was made and turns it into
    a bare 500. Runs first (teardowns run in reverse order of registration).
    """
    try:
        db.session.close()
    except SQLAlchemyError:
        db.session().invalidate()  # scoped_session does not proxy invalidate()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_release_session)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
