"""A user can log in, call an authenticated endpoint, and refresh the session."""

import pytest

from fixtures.app import login, refresh, whoami
from fixtures.http import HttpClient
from fixtures.target import App

pytestmark = pytest.mark.smoke


@pytest.mark.runbook("app/auth-broken", "app/health-down", "app/not-ready", "app/server-errors",
                     "app/unexpected-status", "tls/handshake-failed")
def test_login_call_and_refresh(api: HttpClient, app: App) -> None:
    if app.credentials is None:
        pytest.skip("app.credentials not configured in target")
    tokens = login(api, app.credentials)
    assert whoami(api, tokens.access) == app.credentials.username, "the token belongs to another user"
    assert whoami(api, refresh(api, tokens)) == app.credentials.username, "the refreshed token belongs to another user"
