"""Every endpoint the target lists answers with the expected status and JSON keys, within its latency budget."""

from collections.abc import Callable

import pytest

from fixtures.http import HttpClient
from fixtures.target import App, Endpoint

pytestmark = pytest.mark.smoke


@pytest.mark.runbook("app/health-down", "app/not-ready", "app/server-errors", "app/unexpected-status",
                     "app/slow-responses", "app/auth-broken", "tls/handshake-failed")
def test_endpoint_answers(endpoint: Endpoint, api: HttpClient, app: App, session_token: Callable[[], str]) -> None:
    answer = api.call(endpoint.method, endpoint.path, token=session_token() if endpoint.auth else None)
    answer.expect_status(endpoint.status)
    answer.expect_json_keys(endpoint.json_keys)
    answer.expect_within(endpoint.max_ms or app.max_ms)
