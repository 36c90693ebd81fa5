"""Every endpoint the target lists answers with the expected status and body, from the app itself, within its
latency budget, and matches the response schema the app's own OpenAPI document declares."""

from collections.abc import Callable
from typing import Any

import pytest

from opsgate.core.verdict import fail
from opsgate.probes.http import Answer
from opsgate.probes.openapi import operation_for, response_schema, schema_errors
from opsgate.target.app import App, Endpoint

pytestmark = pytest.mark.smoke
ANSWER_RUNBOOKS = ("app/health-down", "app/not-ready", "app/server-errors", "app/unexpected-status",
                   "app/answered-by-frontend", "app/login-refused", "app/auth-broken", "tls/handshake-failed")


@pytest.mark.runbook(*ANSWER_RUNBOOKS, "app/slow-responses")
def test_endpoint_answers(endpoint: Endpoint, endpoint_answer: Callable[[Endpoint], Answer], app: App) -> None:
    answer = endpoint_answer(endpoint)
    answer.expect(endpoint)
    answer.expect_within(endpoint.max_ms or app.max_ms)


@pytest.mark.runbook("app/contract-broken", *ANSWER_RUNBOOKS)
def test_endpoint_matches_the_apps_openapi(endpoint: Endpoint, endpoint_answer: Callable[[Endpoint], Answer],
                                           openapi: Callable[[], dict[str, Any]]) -> None:
    document = openapi()
    operation = operation_for(document, endpoint.method, endpoint.path)
    if operation is None:
        fail("app/contract-broken", f"the app's OpenAPI document declares no {endpoint.method} {endpoint.path}: "
                                    "the route was removed or renamed, or the target names a path the app lacks")
    answer = endpoint_answer(endpoint)
    answer.expect_status(endpoint.status)
    answer.expect_from_app(endpoint.content_type)
    schema = response_schema(operation, endpoint.status)
    if schema is None:
        pytest.skip(f"the app's OpenAPI declares no JSON schema for {operation.template} answering {endpoint.status}")
    errors = schema_errors(document, schema, answer.json())
    assert not errors, f"{answer.request} does not match the app's own OpenAPI schema: {'; '.join(errors)}"
