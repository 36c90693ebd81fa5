"""The app is alive, ready (every dependency it reports is ok) and runs the version the deploy expected."""

from collections.abc import Callable

import pytest

from fixtures.app import Readiness
from fixtures.http import HttpClient
from fixtures.target import App

pytestmark = pytest.mark.smoke


@pytest.mark.runbook("app/health-down", "app/server-errors", "app/unexpected-status", "tls/handshake-failed")
def test_app_is_live(api: HttpClient, app: App) -> None:
    api.call("GET", app.liveness_path).expect_status(200)


@pytest.mark.runbook("app/not-ready", "app/db-unavailable", "app/redis-unavailable", "app/migrations-pending",
                     "app/health-down", "app/server-errors", "app/unexpected-status", "tls/handshake-failed")
def test_app_is_ready(readiness: Readiness, record_metadata: Callable[[str, str], None]) -> None:
    record_metadata("App version", readiness.version or "unknown")
    readiness.expect_ready()


@pytest.mark.runbook("app/wrong-version", "app/health-down", "app/server-errors", "app/unexpected-status",
                     "tls/handshake-failed")
def test_app_runs_expected_version(readiness: Readiness, app: App) -> None:
    if app.expected_version is None:
        pytest.skip("app.expected_version not pinned in target: any version passes the gate")
    readiness.expect_answered()
    assert readiness.version == app.expected_version, (
        f"the app reports version {readiness.version}, but this deploy expected {app.expected_version}"
    )
