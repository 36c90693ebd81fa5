"""Monitoring suite fixtures: clients for the target's Prometheus and Alertmanager, and their host."""

from __future__ import annotations

import pytest
from testinfra.host import Host

from opsgate.plugin.checks import component, parametrize
from opsgate.plugin.options import TARGET_KEY
from opsgate.probes.hosts import host_for
from opsgate.probes.http import HttpClient
from opsgate.probes.prometheus import PrometheusApi
from opsgate.probes.verdicts import ALERTMANAGER
from opsgate.target import Alertmanager, Prometheus, Target


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    prometheus = metafunc.config.stash[TARGET_KEY].prometheus
    lists = {
        "job": ("expected_jobs", str),
        "rule_test_file": ("rule_tests", lambda path: path.rsplit("/", 1)[-1]),
        "exporter_up_metric": ("exporter_up_metrics", str),
        "mountpoint": ("node_mountpoints", str),
    }
    for argname, (key, ids) in lists.items():
        if argname in metafunc.fixturenames:
            parametrize(metafunc, argname, getattr(prometheus, key) if prometheus else [], ids, f"prometheus.{key}")


@pytest.fixture(scope="session")
def prometheus(target: Target) -> Prometheus:
    return component(target, "prometheus")


@pytest.fixture(scope="session")
def prom(prometheus: Prometheus, target: Target) -> PrometheusApi:
    return PrometheusApi(prometheus.url, ca_bundle=target.ca_bundle, timeout=prometheus.timeout_s)


@pytest.fixture(scope="session")
def prometheus_host(prometheus: Prometheus) -> Host:
    return host_for(prometheus.host)


@pytest.fixture(scope="session")
def alertmanager(target: Target) -> HttpClient:
    section: Alertmanager = component(target, "alertmanager")
    return HttpClient(
        section.url,
        ca_bundle=target.ca_bundle,
        timeout=section.timeout_s,
        verdicts=ALERTMANAGER,
    )
