"""Kubernetes suite fixtures: one API client per run, and one check per workload and per Job the target lists."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from opsgate.plugin.checks import component, parametrize
from opsgate.plugin.options import TARGET_KEY
from opsgate.target import Target
from opsgate.target.kubernetes import Kubernetes

if TYPE_CHECKING:
    from opsgate.probes.kubernetes import KubernetesApi


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    section = metafunc.config.stash[TARGET_KEY].kubernetes
    lists: dict[str, tuple[str, Callable[[Any], str]]] = {
        "workload": ("workloads", lambda workload: workload.name), "job": ("jobs", str)}
    for argname, (key, ids) in lists.items():
        if argname in metafunc.fixturenames:  # without the section, each check skips as "kubernetes not configured"
            parametrize(metafunc, argname, getattr(section, key) if section else [], ids,
                        f"kubernetes.{key}" if section else "kubernetes")


@pytest.fixture(scope="session")
def kubernetes_config(target: Target) -> Kubernetes:
    return component(target, "kubernetes")


@pytest.fixture(scope="session")
def kube(kubernetes_config: Kubernetes) -> Iterator[KubernetesApi]:
    # Imported here: loading the Kubernetes client takes 0.15 s, which every gate run would pay at collection.
    from opsgate.probes.kubernetes import KubernetesApi

    api = KubernetesApi(kubernetes_config)
    yield api
    api.close()
