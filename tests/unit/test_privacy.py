"""signpost.privacy: log lines keep the outward code of a postcode and the closed-vocabulary
parameters, and lose full postcodes and anything a person typed."""

from __future__ import annotations

import logging
import re

import pytest

from signpost import gunicorn_conf
from signpost.privacy import RedactingFilter, redact_line, redact_url

# (url, what the redacted form keeps, what it must not contain)
CASES = [
    (
        "/search?location=LS1+1BA&need=depression&age=30",
        ["/search?", "location=LS1", "need=depression", "age=30"],
        ["1BA", "LS1+1BA", "LS11BA"],
    ),
    ("/search?location=LS1%201BA&need=anxiety", ["LS1", "need=anxiety"], ["1BA"]),
    ("/search?location=ls1+1ba", ["LS1"], ["1ba", "1BA"]),
    ("/search?location=LS11BA", ["location="], ["1BA", "LS11"]),
    ("/search?location=++SW1A+1AA", ["SW1A"], ["1AA"]),
    ("/search?location=LS1-1BA", ["LS1"], ["1BA"]),
    ("/api/v1/match?location=M1+1AE&need=trauma&limit=5", ["M1", "limit=5"], ["1AE"]),
    ("/x?postcode=BD1+1AA", ["postcode=BD1"], ["1AA"]),
    ("/gp/handout?location=LS6+2AB&service=abc&service=def", ["service=abc", "LS6"], ["2AB"]),
    ("/search?location=LS1+1BA&location=BD1+1AA", ["LS1", "BD1"], ["1BA", "1AA"]),
    # Place names and other free text are dropped whole.
    ("/search?location=Little+Snoring&need=depression", ["need=depression"], ["Snoring"]),
    ("/search?q=my+husband+hits+me", ["q="], ["husband"]),
    ("/search?language=Tigrinya+and+a+bit+of+Amharic", ["language="], ["Tigrinya", "Amharic"]),
    ("/services/abc/report?details=John+Smith+07700", ["/services/abc/report"], ["Smith"]),
    # A closed-vocabulary parameter carrying free text is not a vocabulary value: drop it.
    ("/api/v1/match?need=my+neighbour+john+smith", ["need="], ["neighbour", "smith"]),
    # The CSRF token is a secret: not even its name survives.
    ("/sign-in?csrf_token=abc123&next=/provider", [], ["abc123", "csrf_token"]),
]


@pytest.mark.parametrize(
    ("url", "kept", "gone"), [pytest.param(*case, id=case[0][:45]) for case in CASES]
)
def test_redact_url(url: str, kept: list[str], gone: list[str]) -> None:
    redacted = redact_url(url)
    for part in kept:
        assert part in redacted, f"{part!r} missing from {redacted!r}"
    for part in gone:
        assert part.lower() not in redacted.lower(), f"{part!r} survived in {redacted!r}"


@pytest.mark.parametrize("url", ["/", "/therapies/cbt", "/services/5b3e-aa", "/healthz"])
def test_urls_without_a_query_are_unchanged(url: str) -> None:
    assert redact_url(url) == url


def test_redact_line_keeps_the_rest_of_an_access_log_line() -> None:
    line = (
        '127.0.0.1 - - [22/Nov/2026 10:00:00] "GET /search?location=LS1+1BA&need=depression'
        '&age=30 HTTP/1.1" 200 -'
    )
    redacted = redact_line(line)
    assert "1BA" not in redacted
    assert redacted.startswith('127.0.0.1 - - [22/Nov/2026 10:00:00] "GET /search?location=LS1')
    assert redacted.endswith(' HTTP/1.1" 200 -')


def _record(name: str, msg: str, args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)  # type: ignore[arg-type]


def test_filter_redacts_a_werkzeug_access_record() -> None:
    # werkzeug's WSGIRequestHandler.log_request: '"%s" %s %s' % (requestline, code, size)
    record = _record(
        "werkzeug",
        '127.0.0.1 - - [22/Nov/2026 10:00:00] "%s" %s %s',
        ("GET /search?location=LS1+1BA&need=depression&age=30 HTTP/1.1", "200", "-"),
    )
    assert RedactingFilter().filter(record) is True  # redacted, never dropped
    message = record.getMessage()
    assert "1BA" not in message
    assert "/search?location=LS1" in message and '" 200 -' in message


def test_filter_redacts_a_gunicorn_style_record_with_mapping_args() -> None:
    atoms = {
        "h": "127.0.0.1",
        "r": "GET /search?location=LS1+1BA&need=depression HTTP/1.1",
        "s": "200",
        "f": "https://signpost.example/gp?location=LS1%201BA&need=depression",
    }
    record = _record("gunicorn.access", '%(h)s "%(r)s" %(s)s "%(f)s"', (atoms,))
    assert RedactingFilter().filter(record) is True
    message = record.getMessage()
    assert "1BA" not in message
    assert message.startswith('127.0.0.1 "GET /search?location=LS1')


def test_filter_leaves_other_records_alone() -> None:
    record = _record("signpost", "database unavailable: %s", ("OperationalError",))
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "database unavailable: OperationalError"


def test_gunicorn_access_log_never_includes_the_query_or_referrer() -> None:
    # %(r)s is the request line, %(q)s the query string, %(f)s and %({referer}i)s the
    # referrer (often a search URL): none of them may be logged.
    log_format = gunicorn_conf.access_log_format
    assert not re.search(r"%\((r|q|f|\{referer\}i)\)s", log_format, re.IGNORECASE), log_format
    assert "%(U)s" in log_format
