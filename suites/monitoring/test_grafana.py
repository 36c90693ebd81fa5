"""Grafana: healthy, the gate's credentials accepted, the Prometheus datasource healthy and querying the same
Prometheus the gate checks, the expected dashboards provisioned. Contract-tested against recorded answers of
Grafana's API (tests/grafana_api/): the reference stack runs no Grafana. Self-sufficient: no conftest needed."""

import pytest

from opsgate.plugin.checks import component, parametrize, required
from opsgate.plugin.options import TARGET_KEY
from opsgate.probes.grafana import GrafanaApi
from opsgate.target import Target

pytestmark = pytest.mark.monitoring
# Every call but /api/health authenticates: it can also fail on the credentials, or on reaching Grafana at all.
AUTHENTICATED = ("grafana/auth-failed", "grafana/unhealthy", "tls/handshake-failed")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "dashboard" in metafunc.fixturenames:
        grafana = metafunc.config.stash[TARGET_KEY].grafana
        parametrize(metafunc, "dashboard", grafana.dashboards if grafana else [], str, "grafana.dashboards")


@pytest.fixture(scope="module")
def grafana(target: Target) -> GrafanaApi:
    return GrafanaApi(component(target, "grafana"), ca_bundle=target.ca_bundle)


@pytest.fixture(scope="module")
def datasource_uid(grafana: GrafanaApi, target: Target) -> str:
    return required(grafana.grafana.datasource_uid, "grafana.datasource_uid", target)


@pytest.mark.runbook("grafana/unhealthy", "tls/handshake-failed")
def test_grafana_is_healthy(grafana: GrafanaApi) -> None:
    grafana.expect_healthy()


@pytest.mark.runbook("grafana/datasource-error", *AUTHENTICATED)
def test_grafana_datasource_is_healthy(grafana: GrafanaApi, datasource_uid: str) -> None:
    grafana.expect_datasource_healthy(datasource_uid)


@pytest.mark.runbook("grafana/query-mismatch", "grafana/datasource-error", "monitoring/prometheus-down", *AUTHENTICATED)
def test_grafana_queries_reach_the_same_prometheus(grafana: GrafanaApi, datasource_uid: str, target: Target) -> None:
    grafana.expect_same_jobs(datasource_uid, component(target, "prometheus"), ca_bundle=target.ca_bundle)


@pytest.mark.runbook("grafana/dashboard-missing", *AUTHENTICATED)
def test_grafana_dashboard_is_provisioned(grafana: GrafanaApi, dashboard: str) -> None:
    grafana.expect_dashboard(dashboard)
