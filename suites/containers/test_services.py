"""Every expected service of the Compose project runs its replicas, healthy and stable, on the image the deploy
rolled out; one-shot jobs exited 0 (what `docker compose ps` and `docker inspect` show)."""

import time

import pytest

from opsgate.core.verdict import fail
from opsgate.probes.containers import ContainerFacts, Engine
from opsgate.target.containers import Containers, ContainerService

from .conftest import Project

pytestmark = pytest.mark.containers


def _states(containers: list[ContainerFacts]) -> str:
    return ", ".join(f"{c.name} {c.status}" + (f" (exit {c.exit_code})" if c.status == "exited" else "")
                     for c in containers)


@pytest.mark.runbook("containers/exited", "containers/service-missing", "containers/restart-loop",
                     "containers/engine-unreachable")
def test_service_runs_its_replicas(service: ContainerService, project: Project, containers_config: Containers) -> None:
    containers = project.of(service)
    if not containers:
        fail("containers/service-missing", f"service {service.name} has no container in Compose project "
             f"{containers_config.compose_project}: it was removed, renamed or never deployed")
    running = [c for c in containers if c.running]
    if len(running) >= service.replicas:
        return
    restarting = [c for c in containers if c.status == "restarting"]
    if restarting:
        fail("containers/restart-loop", f"service {service.name}: {len(running)} of {service.replicas} running; "
             f"{_states(restarting)} after {max(c.restart_count for c in restarting)} restarts (crash loop)")
    fail("containers/exited", f"service {service.name}: {len(running)} of {service.replicas} running; "
         f"{_states([c for c in containers if not c.running])}")


@pytest.mark.runbook("containers/job-failed", "containers/service-missing", "containers/engine-unreachable")
def test_one_shot_job_succeeded(job: ContainerService, project: Project, containers_config: Containers) -> None:
    containers = project.of(job)
    if not containers:
        fail("containers/service-missing", f"job {job.name} has no container in Compose project "
             f"{containers_config.compose_project}: it never ran")
    unfinished = [c for c in containers if c.status != "exited" or c.exit_code != 0]
    assert not unfinished, f"job {job.name} did not exit 0: {_states(unfinished)}"


def _settled(container: ContainerFacts, engine: Engine, until: float) -> ContainerFacts:
    """The container once its health check has left `starting`, or as it is at monotonic time `until`."""
    while container.health == "starting" and time.monotonic() < until:
        time.sleep(0.5)
        container = engine.container(container.id) or container
    return container


@pytest.mark.runbook("containers/unhealthy", "containers/engine-unreachable")
def test_service_is_healthy(service: ContainerService, project: Project, engine: Engine,
                            containers_config: Containers) -> None:
    """Judged where a health check is defined, on the running containers (the replicas check counts the rest);
    all of the service's containers share one wait for `starting`."""
    running = [c for c in project.present(service) if c.running]
    if running and not any(c.health for c in running):
        pytest.skip(f"service {service.name} defines no healthcheck: its containers report no health to judge "
                    "(add a HEALTHCHECK to the image or a healthcheck: to the Compose service)")
    until = time.monotonic() + containers_config.health_wait_s
    checked = [_settled(c, engine, until) for c in running if c.health]
    unhealthy = [c for c in checked if c.health != "healthy"]
    assert not unhealthy, "; ".join(
        f"{c.name} is {c.health}" + (f" after {containers_config.health_wait_s:g} s" if c.health == "starting" else "")
        + f"; last health check: {c.health_output or '(no output)'}" for c in unhealthy)


@pytest.mark.runbook("containers/restart-loop", "containers/engine-unreachable")
def test_service_is_stable(service: ContainerService, project: Project, containers_config: Containers) -> None:
    containers = project.present(service)
    too_many = [c for c in containers if c.restart_count > containers_config.max_restarts]
    assert not too_many, "; ".join(f"{c.name} restarted {c.restart_count} times (threshold "
                                   f"{containers_config.max_restarts})" for c in too_many)
    later = project.restart_counts_later
    growing = [c for c in containers if later.get(c.id, c.restart_count) > c.restart_count]
    assert not growing, "; ".join(f"{c.name} restarted {later[c.id] - c.restart_count} more time(s) within "
                                  f"{containers_config.restart_window_s:g} s" for c in growing)


@pytest.mark.runbook("containers/oom-killed", "containers/engine-unreachable")
def test_no_process_was_oom_killed(service: ContainerService, project: Project, engine: Engine,
                                   containers_config: Containers) -> None:
    """OOMKilled says the main process was killed; a worker process the kernel killed shows only as an event."""
    containers = project.present(service)
    events = engine.oom_events({c.id for c in containers}, containers_config.log_window_s)
    killed = [f"{c.name}: its main process was OOM-killed (exit {c.exit_code}, memory limit "
              f"{c.memory_limit // 2**20} MiB)" for c in containers if c.oom_killed]
    killed += [f"{c.name}: {events[c.id]} process(es) killed by the OOM killer in the last "
               f"{containers_config.log_window_s:g} s" for c in containers if c.id in events and not c.oom_killed]
    assert not killed, "; ".join(killed)


@pytest.mark.runbook("containers/wrong-image", "containers/engine-unreachable")
def test_service_runs_the_expected_image(deployed: ContainerService, project: Project, engine: Engine,
                                         containers_config: Containers) -> None:
    expected = containers_config.image_tag_of(deployed)
    assert expected is not None
    wrong = []
    for container in project.present(deployed):
        image = engine.image(container.image_id)
        if not image.has(expected):
            now = ", ".join(image.tags) or "no tag any more: the tag moved after the container was created"
            wrong.append(f"{container.name} runs {container.image_ref} ({container.image_id[7:19]}: {now})")
    assert not wrong, f"service {deployed.name} should run {expected}: " + "; ".join(wrong)
