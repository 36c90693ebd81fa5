"""The config on disk is valid and is the one running: a broken or unapplied change is caught before the next
reload takes the site down."""

import warnings

import pytest
from testinfra.host import Host

from opsgate.core.verdict import fail
from opsgate.probes.nginx import (
    NoMaster,
    changes_not_loaded,
    config_dump,
    config_test,
    describe_changes,
    running_master,
)
from opsgate.target import Nginx

pytestmark = pytest.mark.nginx


@pytest.mark.runbook("nginx/config-invalid")
def test_config_on_disk_passes_nginx_t(nginx_host: Host, nginx: Nginx) -> None:
    ok, output = config_test(nginx_host, nginx.config_path)
    assert ok, f"nginx -t fails on {nginx.config_path}: the next reload or restart will fail: {output}"


@pytest.mark.runbook("nginx/config-not-applied", "nginx/down")
def test_running_master_loaded_the_config_on_disk(nginx_host: Host, nginx: Nginx, https_port: int) -> None:
    try:
        master = running_master(nginx_host, https_port, nginx.config_path)
    except NoMaster as why:
        fail("nginx/down", f"no nginx master serves {nginx.https_url} on {nginx.host}: {why}")
    config = config_dump(nginx_host, nginx.config_path)
    if config.error:
        warnings.warn(f"{config.error}: only {nginx.config_path} was compared, not the files it includes", stacklevel=1)
    changes = changes_not_loaded(nginx_host, config.files, master)
    assert not changes, (
        f"{describe_changes(changes)}: changed after the running master (pid {master.pid}, {master.found_by}) last "
        f"loaded its config {master.workers_age_s:.0f} s ago: the change is not live and not yet tested by a reload"
    )
