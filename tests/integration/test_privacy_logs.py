"""A patient's search leaves no full postcode in any log record: neither the app's own
records nor the access log line of a real werkzeug server (through the RedactingFilter).

The requests only read, so they go to the session app without a rolled-back connection.
"""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.integration.test_gp_privacy import loggers_enabled

# The ways "LS1 1BA" can appear in a log line.
POSTCODE_FORMS = ("LS1 1BA", "LS1+1BA", "LS1%201BA", "LS11BA", "1BA", "1ba")
URLS = [
    "/search?location=LS1+1BA&need=depression&age=30",
    "/search?location=LS1%201BA&need=depression&age=30&language=Polish",
    "/search?location=LS11BA&need=nonsense&age=thirty",  # a bad search: the 400 page
    "/gp?location=LS1+1BA&need=depression&age=30",
    "/api/v1/match?location=LS1+1BA&need=depression&age=30",
]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of the werkzeug, gunicorn and app loggers (and their children)."""
    with loggers_enabled():
        for name in ("werkzeug", "gunicorn", "signpost"):
            caplog.set_level(logging.DEBUG, logger=name)
        yield caplog


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    """The session app behind a real werkzeug server, which writes access log lines."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def leaks(caplog: pytest.LogCaptureFixture) -> list[str]:
    messages = [record.getMessage() for record in caplog.records] + [caplog.text]
    return [m for m in messages if any(form.lower() in m.lower() for form in POSTCODE_FORMS)]


def fetch(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.mark.parametrize("url", URLS)
def test_requests_log_no_full_postcode(
    app: Flask, logs: pytest.LogCaptureFixture, url: str
) -> None:
    # A line of our own first: it proves records are captured (so "no leak" means something)
    # and that the app logger's RedactingFilter rewrites a URL in a message.
    app.logger.info("handling %s", url)
    status = app.test_client().get(url).status_code
    assert status < 500
    own = [r.getMessage() for r in logs.records if r.getMessage().startswith("handling ")]
    assert own and "?location=" in own[0], own
    assert not leaks(logs), leaks(logs)


def test_access_log_line_is_redacted(served: str, logs: pytest.LogCaptureFixture) -> None:
    status = fetch(f"{served}{URLS[0]}")
    assert status == 200
    access = [
        r.getMessage() for r in logs.records if r.name == "werkzeug" and "/search" in r.getMessage()
    ]
    assert access, [r.getMessage() for r in logs.records]
    line = access[0]
    assert "GET /search?location=LS1" in line, line  # the outward code is kept
    assert "need=depression" in line and '" 200 ' in line, line
    assert not leaks(logs), leaks(logs)


def test_a_bad_request_line_is_redacted_too(served: str, logs: pytest.LogCaptureFixture) -> None:
    status = fetch(f"{served}/search?location=LS1+1BA&need=not-a-need&age=200")
    assert 400 <= status < 500
    assert any(r.name == "werkzeug" for r in logs.records)
    assert not leaks(logs), leaks(logs)
