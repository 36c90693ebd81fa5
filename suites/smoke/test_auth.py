"""The test user can log in the way the target (or the app's OpenAPI) says, call as itself, and refresh."""

from collections.abc import Callable

import pytest

from opsgate.core.jsonpath import json_at
from opsgate.probes.app import identity, login, refresh
from opsgate.probes.http import HttpClient
from opsgate.target.app import App, Login

pytestmark = pytest.mark.smoke


@pytest.mark.runbook("app/login-refused", "app/auth-broken", "app/health-down", "app/not-ready",
                     "app/server-errors", "app/unexpected-status", "app/answered-by-frontend", "tls/handshake-failed")
def test_login_call_and_refresh(api: HttpClient, app: App, login_flow: Callable[[], Login]) -> None:
    flow = login_flow()
    assert app.credentials is not None  # login_flow skips without them
    session = login(api, flow, app.credentials)
    tokens = [session.access] + ([refresh(api, flow, session)] if flow.refresh else [])
    for token in tokens if flow.identity else []:
        answer = identity(api, flow, token)
        if flow.identity.field:
            who = json_at(answer.json(), flow.identity.field)
            assert who == app.credentials.username, f"{answer.request}: the token belongs to {who!r}, not the test user"
