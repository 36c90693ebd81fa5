"""On the app's host (testinfra: local://, ssh://, docker://, kubectl://): the process runs and its port listens."""

import pytest
from testinfra.host import Host

from fixtures.hosts import listening_on, processes_matching
from fixtures.target import App

pytestmark = pytest.mark.smoke


@pytest.mark.runbook("app/process-not-running")
def test_app_process_is_running(app_host: Host, app: App) -> None:
    assert processes_matching(app_host, app.process), f"no process matching '{app.process}' runs on {app.host}"


@pytest.mark.runbook("app/process-not-running")
def test_app_port_is_listening(app_host: Host, app: App) -> None:
    assert listening_on(app_host, app.port), f"nothing listens on TCP port {app.port} on {app.host}"
