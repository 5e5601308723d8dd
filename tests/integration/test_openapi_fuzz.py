"""Schema-driven fuzzing of the API from its own OpenAPI description (schemathesis).

Every operation is called through the WSGI app with generated valid (positive) and invalid
(negative) parameters: no response may be a 5xx, and every response must match its
documented status code, content type, headers (CORS) and schema. Bounded so the whole
module runs in well under a minute.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from signpost.api.openapi import build_spec

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 50
CALLS: dict[str, int] = {}
SPEC = build_spec("http://localhost/api/v1", 100)


def _has_query(path: str) -> bool:
    parameters = SPEC["paths"][path]["get"].get("parameters", [])
    return any(p.get("in") == "query" for p in parameters)


# Negative cases need a parameter to make invalid: by-id paths only take a path id, and an
# empty id is not a URL. They are left out of the table, not skipped.
CASES = [
    (path, mode)
    for path in sorted(SPEC["paths"])
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or _has_query(path)
]


@pytest.fixture
def api_schema(app: Flask, db_session: object, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setitem(app.config, "RATELIMIT_API", "1000000 per minute")
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.mark.parametrize(("path", "mode"), CASES)
def test_api_never_fails_and_always_matches_its_description(
    app: Flask, api_schema: Any, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path]["GET"]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        CALLS[path] = CALLS.get(path, 0) + 1
        response = case.call()
        case.validate_response(response, checks=CHECKS)

    run()
