"""On the app's host (testinfra: local://, ssh://, docker://, kubectl://): the app's port listens, and what holds
it is the app, identified by its full command line, not by any process that happens to share its name."""

import pytest
from testinfra.host import Host

from opsgate.probes.hosts import listeners_on, port_owners
from opsgate.target.app import App

pytestmark = pytest.mark.smoke


@pytest.mark.runbook("app/process-not-running")
def test_app_process_is_running(app_host: Host, app: App, app_port: int) -> None:
    port = port_owners(app_host, app_port)
    assert port.listening, f"nothing listens on TCP port {app_port} on {app.host}"
    if not port.owners:
        pytest.skip(f"port {app_port} listens on {app.host}, but its owner is not visible to the user opsgate runs "
                    f"as (run as root or as the app's user): cannot tell whether '{app.process}' holds it")
    assert port.matching(app.process), f"port {app_port} is held by {port}, not a process matching '{app.process}'"


@pytest.mark.runbook("app/process-not-running")
def test_app_port_is_listening(app_host: Host, app: App, app_port: int) -> None:
    assert listeners_on(app_host, app_port), f"nothing listens on TCP port {app_port} on {app.host}"
