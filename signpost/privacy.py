"""Keep what a patient types, and secrets in links, out of the logs.

Search URLs carry a postcode and free text; password-reset and invitation links carry a
token in the path. Access logs (the development server's and gunicorn's) and our own log
lines only ever see a redacted form: the path with any token replaced, plus the outward
code of a postcode, never the full postcode, a token or any free text.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Flask

# Query parameters that are safe to log as they are: closed vocabularies and numbers.
SAFE_PARAMS = frozenset(
    {
        "need", "age", "severity", "modality", "relational", "delivery", "max_cost",
        "self_referral", "radius_km", "limit", "page", "per_page", "service", "format",
    }
)  # fmt: skip
_OUTCODE = re.compile(r"^\s*([A-Za-z]{1,2}[0-9][A-Za-z0-9]?)\b")
# A URL with a query; it runs on past spaces (a raw request line can carry "LS1 1BA") up to
# the protocol or a closing quote, so over-redaction is the failure mode, never leakage.
_URL_IN_LINE = re.compile(r'(\S*\?(?:[^"\s]|\s(?!HTTP/))*)')
# Safe parameters are only kept when the value looks like a slug or a number.
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9.\-]{1,40}$")
# Paths whose last part is a secret: /reset-password/<token>, /invitations/<token> and
# /provider/register/<token>, raw or percent-encoded, up to a query, a space or a quote.
_TOKEN_PATH = re.compile(r"(/(?:reset-password|invitations|provider/register)/)[^/?#\s\"]+")


def redact_path(text: str) -> str:
    return _TOKEN_PATH.sub(r"\1[redacted]", text)


def redact_query(query: str) -> str:
    """Keep safe parameters; reduce a location to its outward code; drop the rest."""
    kept: list[tuple[str, str]] = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key in SAFE_PARAMS and _SAFE_VALUE.match(value):
            kept.append((key, value))
        elif key in {"location", "postcode"}:
            match = _OUTCODE.match(value)
            kept.append((key, match.group(1).upper() if match else "[redacted]"))
        elif key == "csrf_token":
            continue
        else:
            kept.append((key, "[redacted]"))
    return urlencode(kept, safe="[]")


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return redact_path(url)
    return f"{redact_path(parts.path)}?{redact_query(parts.query)}"


def redact_line(line: str) -> str:
    return redact_path(_URL_IN_LINE.sub(lambda m: redact_url(m.group(1)), line))


class RedactingFilter(logging.Filter):
    """Rewrites a record's message so no query string or token survives unredacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_line(message) if "?" in message else redact_path(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True


def install_filter(logger_names: tuple[str, ...] = ("werkzeug", "gunicorn.access")) -> None:
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


def init_app(app: Flask) -> None:
    install_filter()
    if not any(isinstance(f, RedactingFilter) for f in app.logger.filters):
        app.logger.addFilter(RedactingFilter())
