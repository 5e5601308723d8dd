"""Absolute URLs, from one place.

Emails, QR codes and the API's ``url`` fields leave the site, so they must never be built
from the request's Host header (anyone can set it: a reset link could be mailed pointing at
an attacker's host). They use ``PUBLIC_BASE_URL``; only a development server without it
falls back to the request's own host (production refuses to start without it).
"""

from __future__ import annotations

from flask import current_app, has_request_context, url_for


def absolute_url(endpoint: str, **values: object) -> str:
    """The full address of ``endpoint`` as people outside the site should see it."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    if has_request_context():
        path = url_for(endpoint, **values)
    else:  # a CLI command (reminder emails): no request, so no script root either
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return str(base).rstrip("/") + path
