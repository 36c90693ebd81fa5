"""The config on disk is valid and is the one running: a broken or unapplied change is caught before the next
reload takes the site down."""

import pytest
from testinfra.host import Host

from fixtures.nginx import RELOAD_CLOCK_SLACK_S, config_test, running_master, seconds_since_modified
from fixtures.target import Nginx
from fixtures.verdict import fail

pytestmark = pytest.mark.nginx


@pytest.mark.runbook("nginx/config-invalid")
def test_config_on_disk_passes_nginx_t(nginx_host: Host, nginx: Nginx) -> None:
    ok, output = config_test(nginx_host, nginx.config_path)
    assert ok, f"nginx -t fails on {nginx.config_path}: the next reload or restart will fail: {output}"


@pytest.mark.runbook("nginx/config-not-applied", "nginx/down")
def test_running_master_loaded_the_config_on_disk(nginx_host: Host, nginx: Nginx) -> None:
    master = running_master(nginx_host, nginx.config_path)
    if master is None:
        fail("nginx/down", f"no nginx master process runs {nginx.config_path} on {nginx.host}")
    changed_ago = seconds_since_modified(nginx_host, nginx.config_path)
    assert changed_ago + RELOAD_CLOCK_SLACK_S >= master.workers_age_s, (
        f"{nginx.config_path} changed {changed_ago:.0f} s ago, after the running master (pid {master.pid}) last "
        f"loaded its config {master.workers_age_s:.0f} s ago: the change is not live and not yet tested by a reload"
    )
