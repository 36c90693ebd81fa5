"""Prometheus itself: up and ready, recent enough, a valid config that loaded, every expected job scraped."""

import time

import pytest
from testinfra.host import Host

from opsgate.plugin.checks import required
from opsgate.probes.prometheus import PrometheusApi, target_problems, version_tuple
from opsgate.target import Prometheus, Target

pytestmark = pytest.mark.monitoring
DOWN = "monitoring/prometheus-down"


@pytest.mark.runbook(DOWN)
def test_prometheus_is_healthy_and_ready(prom: PrometheusApi) -> None:
    for path in ("/-/healthy", "/-/ready"):
        prom.get(path).expect_status(200)


@pytest.mark.runbook("monitoring/prometheus-version", DOWN)
def test_prometheus_version_is_supported(prom: PrometheusApi, prometheus: Prometheus) -> None:
    version = prom.data("/api/v1/status/buildinfo")["version"]
    assert version_tuple(version) >= version_tuple(prometheus.min_version), (
        f"Prometheus {version} runs; the target requires {prometheus.min_version}+"
    )


@pytest.mark.runbook("monitoring/config-invalid")
def test_config_on_disk_passes_promtool(prometheus_host: Host, prometheus: Prometheus, target: Target) -> None:
    config_path = required(prometheus.config_path, "prometheus.config_path", target)
    result = prometheus_host.run("promtool check config %s", config_path)
    assert result.rc == 0, (
        f"promtool check config fails on {config_path}: the next reload will be rejected: "
        + " ".join((result.stdout + result.stderr).split())[-400:]
    )


@pytest.mark.runbook("monitoring/config-invalid", DOWN)
def test_last_config_reload_succeeded(prom: PrometheusApi) -> None:
    runtime = prom.data("/api/v1/status/runtimeinfo")
    assert runtime["reloadConfigSuccess"], (
        f"the last config reload failed (last successful load {runtime.get('lastConfigTime')}): "
        "Prometheus runs an older config than the one on disk"
    )


@pytest.mark.runbook("monitoring/target-down", DOWN)
def test_job_targets_are_up_and_fresh(job: str, prom: PrometheusApi) -> None:
    problems = target_problems(prom.targets(), job, time.time())
    assert not problems, f"job {job}: " + "; ".join(problems)
