"""Exporters: each reports its backend up, and the node exporter shows disk and memory headroom."""

import pytest

from opsgate.core.verdict import fail
from opsgate.plugin.checks import required
from opsgate.probes.http import HttpClient
from opsgate.probes.prometheus import PrometheusApi
from opsgate.target import Prometheus, Target

pytestmark = pytest.mark.monitoring


@pytest.mark.runbook("monitoring/exporter-down", "monitoring/prometheus-down")
def test_exporter_reports_its_backend_up(exporter_up_metric: str, prom: PrometheusApi) -> None:
    samples = prom.query(exporter_up_metric)
    assert samples, f"Prometheus has no {exporter_up_metric} series: the exporter is not scraped"
    down = [s["metric"].get("instance", "?") for s in samples if s["value"][1] != "1"]
    assert not down, f"{exporter_up_metric} is 0 on {', '.join(down)}: the exporter cannot reach its backend"


@pytest.mark.runbook("monitoring/host-resources", "monitoring/exporter-down", "monitoring/prometheus-down")
def test_node_filesystem_has_free_space(mountpoint: str, prom: PrometheusApi, prometheus: Prometheus) -> None:
    samples = prom.query(f'100 * node_filesystem_avail_bytes{{mountpoint="{mountpoint}"}} / node_filesystem_size_bytes')
    if not samples:
        fail("monitoring/exporter-down", f"no node_filesystem data for {mountpoint}: is the node exporter scraped?")
    low = [
        f"{s['metric'].get('instance')}: {float(s['value'][1]):.1f}% free"
        for s in samples
        if float(s["value"][1]) < prometheus.min_free_disk_pct
    ]
    assert not low, f"{mountpoint} below {prometheus.min_free_disk_pct:g}% free: {'; '.join(low)}"


@pytest.mark.runbook("monitoring/host-resources", "monitoring/exporter-down", "monitoring/prometheus-down")
def test_node_has_available_memory(prom: PrometheusApi, prometheus: Prometheus) -> None:
    samples = prom.query("100 * node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes")
    if not samples:
        fail("monitoring/exporter-down", "no node_memory data: is the node exporter scraped?")
    low = [
        f"{s['metric'].get('instance')}: {float(s['value'][1]):.1f}% available"
        for s in samples
        if float(s["value"][1]) < prometheus.min_available_memory_pct
    ]
    assert not low, f"memory below {prometheus.min_available_memory_pct:g}% available: {'; '.join(low)}"


@pytest.mark.runbook("monitoring/otel-collector-down")
def test_otel_collector_is_healthy(prometheus: Prometheus, target: Target) -> None:
    url = required(prometheus.otel_health_url, "prometheus.otel_health_url", target)
    answer = HttpClient(url, ca_bundle=target.ca_bundle, timeout=prometheus.timeout_s).call("GET", url)
    assert answer.status == 200, f"{answer.request}: " + (answer.detail or f"HTTP {answer.status}: {answer.snippet}")
