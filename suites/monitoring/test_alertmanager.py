"""Alertmanager: ready, its cluster settled (or clustering disabled), and a configuration loaded."""

import pytest

from opsgate.probes.http import HttpClient

pytestmark = pytest.mark.monitoring


@pytest.mark.runbook("monitoring/alertmanager-down")
def test_alertmanager_is_ready(alertmanager: HttpClient) -> None:
    alertmanager.call("GET", "/-/ready").expect_status(200)


@pytest.mark.runbook("monitoring/alertmanager-down")
def test_alertmanager_cluster_and_config(alertmanager: HttpClient) -> None:
    answer = alertmanager.call("GET", "/api/v2/status")
    answer.expect_status(200)
    status = answer.json() or {}
    cluster = status.get("cluster", {}).get("status")
    assert cluster in ("ready", "disabled"), f"Alertmanager cluster status is {cluster}: it cannot deduplicate"
    assert status.get("config", {}).get("original"), "Alertmanager reports no loaded configuration"
