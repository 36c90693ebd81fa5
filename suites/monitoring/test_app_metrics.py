"""The app's own metrics: /metrics exposes the families dashboards and alerts use, and Prometheus has them."""

import pytest

from opsgate.plugin.checks import required
from opsgate.probes.http import HttpClient
from opsgate.probes.prometheus import PrometheusApi, exposed_families
from opsgate.target import Prometheus, Target

pytestmark = pytest.mark.monitoring
MISSING = "monitoring/app-metrics-missing"


@pytest.mark.runbook(MISSING, "app/health-down", "app/unexpected-status")
def test_app_exposes_required_metric_families(prometheus: Prometheus, target: Target) -> None:
    url = required(prometheus.app_metrics_url, "prometheus.app_metrics_url", target)
    answer = HttpClient(url, ca_bundle=target.ca_bundle, timeout=prometheus.timeout_s).call("GET", url)
    answer.expect_status(200)
    missing = sorted(set(prometheus.app_metric_families) - exposed_families(answer.text))
    assert not missing, f"{answer.request} lacks metric families: {', '.join(missing)}"


@pytest.mark.runbook(MISSING, "monitoring/prometheus-down")
def test_prometheus_has_the_app_series(prom: PrometheusApi, prometheus: Prometheus, target: Target) -> None:
    job = required(prometheus.app_job, "prometheus.app_job", target)
    up = prom.query(f'up{{job="{job}"}}')
    assert up and all(sample["value"][1] == "1" for sample in up), f'up{{job="{job}"}} is not 1: {up}'
    rate = prom.query(f'sum(rate(http_requests_total{{job="{job}"}}[1m]))')
    assert rate, f"Prometheus has no request rate for job {job}: http_requests_total is not scraped"
