"""The containers have memory headroom and quiet logs, and Docker's disk has room (`docker stats`, `docker logs`,
`docker system df`)."""

import pytest

from opsgate.plugin.checks import required
from opsgate.probes.containers import Engine, matching_lines
from opsgate.target import Target
from opsgate.target.containers import Containers, ContainerService

from .conftest import Project

pytestmark = pytest.mark.containers
QUOTED_LINES = 3


@pytest.mark.runbook("containers/memory-near-limit", "containers/engine-unreachable")
def test_memory_below_limit(service: ContainerService, project: Project, engine: Engine,
                            containers_config: Containers) -> None:
    """One stats sample per running container with a memory limit (without one, the host's checks watch it)."""
    near = []
    for container in project.present(service):
        if container.running and container.memory_limit:
            memory = engine.memory(container.id)
            if memory.pct >= containers_config.max_memory_pct:
                near.append(f"{container.name} uses {memory.used / 2**20:.1f} MiB of its {memory.limit / 2**20:.0f} "
                            f"MiB limit ({memory.pct:.0f}%, threshold {containers_config.max_memory_pct:g}%)")
    assert not near, "; ".join(near)


@pytest.mark.runbook("containers/error-logs", "containers/engine-unreachable")
def test_logs_have_no_errors(service: ContainerService, project: Project, engine: Engine,
                             containers_config: Containers) -> None:
    found = []
    for container in project.present(service):
        lines = matching_lines(engine.logs(container.id, containers_config.log_window_s),
                               containers_config.error_patterns)
        if lines:
            quoted = "\n  ".join(line[:300] for line in lines[-QUOTED_LINES:])
            found.append(f"{container.name}: {len(lines)} error line(s) in the last "
                         f"{containers_config.log_window_s:g} s, the last:\n  {quoted}")
    assert not found, "\n".join(found)


@pytest.mark.runbook("containers/disk-usage", "containers/engine-unreachable")
def test_docker_disk_usage_within_budget(engine: Engine, containers_config: Containers, target: Target) -> None:
    budget_gb = required(containers_config.max_disk_gb, "containers.max_disk_gb", target)
    usage = engine.disk_usage_bytes()
    total_gb = sum(usage.values()) / 1e9
    parts = ", ".join(f"{kind} {size / 1e9:.2f} GB" for kind, size in usage.items())
    assert total_gb <= budget_gb, f"Docker uses {total_gb:.2f} GB ({parts}); budget {budget_gb:g} GB"
