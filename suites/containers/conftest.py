"""Containers suite fixtures: one Docker Engine client per run and one look at the Compose project, from the
target's `containers` section; one check per expected service."""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import cached_property

import pytest

from opsgate.plugin.checks import component, parametrize
from opsgate.plugin.options import TARGET_KEY
from opsgate.probes.containers import ContainerFacts, Engine
from opsgate.target import Target
from opsgate.target.containers import Containers, ContainerService


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    containers: Containers | None = metafunc.config.stash[TARGET_KEY].containers
    services = containers.services if containers else ()
    for argname, chosen, key in (
        ("service", [s for s in services if not s.one_shot], "containers.services"),
        ("job", [s for s in services if s.one_shot], "containers.services (one_shot)"),
        ("deployed", [s for s in services if containers and containers.image_tag_of(s)],
         "containers.expected_image_tag"),
    ):
        if argname in metafunc.fixturenames:  # without the section, each check skips as "containers not configured"
            parametrize(metafunc, argname, chosen, lambda service: service.name, key if containers else "containers")


class Project:
    """The Compose project as the engine lists it, looked at once per run (and once more, after the restart
    window, for the restart counts); asked from inside the checks, so an engine that does not answer fails each
    of them with its runbook id rather than erroring their setup."""

    def __init__(self, engine: Engine, config: Containers) -> None:
        self.engine = engine
        self.config = config

    @cached_property
    def _containers(self) -> list[ContainerFacts]:
        return self.engine.project(self.config.compose_project)

    def of(self, service: ContainerService) -> list[ContainerFacts]:
        """The service's containers, without those `docker compose run` made (a shell, a one-off task)."""
        return [c for c in self._containers if c.service == service.name and not c.one_off]

    def present(self, service: ContainerService) -> list[ContainerFacts]:
        """The service's containers, for a check that judges them: without any there is nothing to judge (the
        replicas check fails for it), so the check skips saying so rather than passing."""
        if not (containers := self.of(service)):
            pytest.skip(f"service {service.name} has no container in Compose project {self.config.compose_project}: "
                        "nothing to look at (test_service_runs_its_replicas fails for it)")
        return containers

    @cached_property
    def restart_counts_later(self) -> dict[str, int]:
        """Each container's restart count `restart_window_s` after the first look."""
        _ = self._containers
        time.sleep(self.config.restart_window_s)
        return {c.id: c.restart_count for c in self.engine.project(self.config.compose_project)}


@pytest.fixture(scope="session")
def containers_config(target: Target) -> Containers:
    return component(target, "containers")


@pytest.fixture(scope="session")
def engine(containers_config: Containers) -> Iterator[Engine]:
    engine = Engine(containers_config.docker_host, containers_config.timeout_s)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def project(engine: Engine, containers_config: Containers) -> Project:
    return Project(engine, containers_config)
