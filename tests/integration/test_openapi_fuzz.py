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
PATHS = sorted(build_spec("http://localhost/api/v1", 100)["paths"])


@pytest.fixture
def api_schema(app: Flask, db_session: object, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setitem(app.config, "RATELIMIT_API", "1000000 per minute")
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("path", PATHS)
def test_api_never_fails_and_always_matches_its_description(
    app: Flask, api_schema: Any, path: str, mode: GenerationMode
) -> None:
    if path == "/match" and "api.match" not in app.view_functions:
        pytest.skip("the match API is not registered yet")
    operation = api_schema[path]["GET"]
    if mode is GenerationMode.NEGATIVE and not operation.query:
        pytest.skip("no query parameters to make invalid (an empty path id is not a URL)")

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
