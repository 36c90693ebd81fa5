"""The app is alive (and it is the app that answers), ready when it reports readiness, and runs the version
the deploy expected."""

from collections.abc import Callable

import pytest

from opsgate.probes.app import ReadinessReport, version_in
from opsgate.probes.http import HttpClient
from opsgate.target import Target
from opsgate.target.app import App

pytestmark = pytest.mark.smoke


@pytest.mark.runbook("app/health-down", "app/answered-by-frontend", "app/server-errors", "app/not-ready",
                     "app/unexpected-status", "tls/handshake-failed")
def test_app_is_live(api: HttpClient, app: App) -> None:
    api.call("GET", app.liveness.path).expect(app.liveness)


@pytest.mark.runbook("app/not-ready", "app/db-unavailable", "app/redis-unavailable", "app/migrations-pending",
                     "app/health-down", "app/answered-by-frontend", "app/server-errors", "app/unexpected-status",
                     "tls/handshake-failed")
def test_app_is_ready(readiness: ReadinessReport) -> None:
    readiness.expect_ready()


@pytest.mark.runbook("app/wrong-version", "app/health-down", "app/answered-by-frontend", "app/not-ready",
                     "app/server-errors", "app/unexpected-status", "tls/handshake-failed")
def test_app_runs_expected_version(api: HttpClient, app: App, target: Target,
                                   record_metadata: Callable[[str, str], None]) -> None:
    if app.expected_version is None:
        pytest.skip(f"app.expected_version not configured in target {target.name}: any version passes the gate")
    source = app.version or app.readiness
    if source is None:
        pytest.skip(f"app.version (or app.readiness) not configured in target {target.name}: nowhere to read it")
    answer = api.call("GET", source.path)
    if answer.status != 503:  # a report that is not ready still says its version
        answer.expect_reachable()
    answer.expect_from_app(source.content_type)
    version = version_in(answer, app.version_field)
    record_metadata("App version", version or "unknown")
    assert version == app.expected_version, (
        f"{answer.request} reports version {version}, but this deploy expected {app.expected_version}"
    )
