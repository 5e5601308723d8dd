"""GP mode keeps nothing about the patient: no database writes, no full postcode in logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from signpost.extensions import db
from tests.integration.test_gp import gp_url, parse, with_services

POSTCODE_FORMS = ("LS1 1BA", "LS1+1BA", "LS1%201BA", "LS11BA", "ls1 1ba", "1BA")
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


def row_counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
    }


@contextmanager
def loggers_enabled() -> Iterator[None]:
    """Every logger on, as in a served app.

    Running the migrations in the session fixture calls ``logging.config.fileConfig``, which
    disables the loggers that existed then (werkzeug's among them), so without this a test
    of what gets logged would see nothing and pass whatever the app logged.
    """
    disabled = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and logger.disabled
    ]
    for logger in disabled:
        logger.disabled = False
    try:
        yield
    finally:
        for logger in disabled:
            logger.disabled = True


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record at every level, from every logger."""
    caplog.set_level(logging.DEBUG)
    with loggers_enabled():
        yield caplog


@pytest.fixture
def statements(db_session: Session) -> Iterator[list[str]]:
    """Every SQL statement the app runs during the test."""
    seen: list[str] = []

    def record(conn: Connection, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def gp_journey(client: FlaskClient) -> None:
    """Search, a bad search, a handout, a handout with nothing ticked, the record text."""
    page = parse(client.get(gp_url()).text)
    chosen = page.service_ids[:5]
    assert len(chosen) == 5
    assert client.get(gp_url(need="")).status_code == 400
    assert client.get(with_services("/gp/handout", chosen)).status_code == 200
    assert client.get(with_services("/gp/handout", [])).status_code == 400
    assert client.get(with_services("/gp/handout", ["unknown", *chosen[:2]])).status_code == 200
    assert client.get(with_services("/gp/record", chosen[:2])).status_code == 200


def test_a_gp_journey_writes_nothing(
    client: FlaskClient, db_session: Session, statements: list[str]
) -> None:
    before = row_counts(db_session)
    assert before["services"] > 0
    statements.clear()
    gp_journey(client)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    writes = [s for s in statements if s.lstrip().upper().startswith(WRITES)]
    assert reads, "the listener saw no queries, so it proves nothing"
    assert writes == []
    assert row_counts(db_session) == before


def test_a_gp_journey_logs_no_full_postcode(
    client: FlaskClient, logs: pytest.LogCaptureFixture
) -> None:
    gp_journey(client)
    # An access log line for a GP URL, as the development server and gunicorn write it.
    page = parse(client.get(gp_url()).text)
    url = with_services("/gp/handout", page.service_ids[:2])
    logging.getLogger("werkzeug").info('127.0.0.1 - - "GET %s HTTP/1.1" 200 -', url)
    assert "/gp/handout?location=LS1" in logs.text  # the line was logged, redacted
    for form in POSTCODE_FORMS:
        assert form not in logs.text
