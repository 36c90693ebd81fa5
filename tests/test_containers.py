"""The containers suite's machinery and the `docker://` host specs, on the stack's own Docker Engine (the fault
matrix proves each check; these prove what it leans on)."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsgate.probes.containers import ONE_OFF_LABEL, PROJECT_LABEL, SERVICE_LABEL, ImageFacts, memory_use
from stack.components.containers import PROJECT, PROXY_CONF, client
from stack.components.containers.images import CURRENT, REPOSITORY
from stack.core import Stack
from tests.gate import matches, patched_target, run_gate

pytestmark = pytest.mark.stack
NGINX_T = "test_config::test_config_on_disk_passes_nginx_t"


def test_docker_host_spec_runs_nginx_t_inside_the_container(stack: Stack, tmp_path: Path) -> None:
    """The nginx suite's `nginx -t`, through testinfra's docker backend, in the rig's proxy container (the host's
    nginx, its config bound in): it passes on the config there and fails, citing its runbook, once it is broken."""
    target = patched_target("docker-host-spec", {"nginx": {"host": f"docker://{PROJECT}_proxy_1",
                                                           "config_path": "/etc/rig-nginx/nginx.conf"}})
    only = ("suites/nginx/test_config.py::test_config_on_disk_passes_nginx_t",)
    healthy = run_gate("nginx", tmp_path / "healthy", target=target, extra=only)
    assert [v.outcome for check, v in healthy.verdicts.items() if matches(NGINX_T, check)] == ["passed"], \
        healthy.output[-2000:]
    config = PROXY_CONF / "nginx.conf"
    config.write_text(config.read_text().replace("events {}", "events {"))
    try:
        broken = run_gate("nginx", tmp_path / "broken", target=target, extra=only)
    finally:
        stack.converge("dockerd")
    verdict = next(v for check, v in broken.verdicts.items() if matches(NGINX_T, check))
    assert (verdict.outcome, verdict.runbook) == ("failed", "nginx/config-invalid"), broken.output[-2000:]
    assert "/etc/rig-nginx/nginx.conf" in verdict.message


def test_a_health_check_still_starting_is_waited_for_then_fails_and_one_off_containers_are_not_replicas(
        stack: Stack, tmp_path: Path) -> None:
    """A service whose health check stays `starting` (a 60 s start period) fails after `health_wait_s`, quoting the
    wait; a `docker compose run` container of web that exited 1 is not counted against web's replicas."""
    engine = client()
    labels = {PROJECT_LABEL: PROJECT, SERVICE_LABEL: "slow"}
    started = [
        engine.containers.run(f"{REPOSITORY}:{CURRENT}", ["sleep", "300"], detach=True, network_mode="host",
                              labels=labels, healthcheck={"test": ["CMD", "false"], "interval": 30 * 10**9,
                                                          "start_period": 60 * 10**9}),
        engine.containers.run(f"{REPOSITORY}:{CURRENT}", ["sh", "-c", "exit 1"], detach=True, network_mode="host",
                              labels={PROJECT_LABEL: PROJECT, SERVICE_LABEL: "web", ONE_OFF_LABEL: "True"}),
    ]
    try:
        target = patched_target("starting", {"containers": {"health_wait_s": 2, "services": [
            {"name": "web"}, {"name": "slow"}]}})
        run = run_gate("containers", tmp_path, target=target, extra=("suites/containers/test_services.py",))
    finally:
        for container in started:
            container.remove(force=True)
    failed = {check: v for check, v in run.verdicts.items() if v.outcome == "failed"}
    assert list(failed) == ["test_services::test_service_is_healthy[slow]"], run.output[-2000:]
    assert "is starting after 2 s" in failed["test_services::test_service_is_healthy[slow]"].message
    assert run.verdicts["test_services::test_service_runs_its_replicas[web]"].outcome == "passed"


@pytest.mark.parametrize(("expected", "holds"), [
    ("1.0", True), ("0.9", False), ("opsgate-rig:1.0", True), ("other:1.0", False),
    ("sha256:abc", True), ("sha256:def", True), ("repo@sha256:def", True), ("sha256:fed", False),
])
def test_an_image_is_matched_by_tag_reference_or_digest(expected: str, holds: bool) -> None:
    image = ImageFacts("sha256:abc", ("opsgate-rig:1.0", "registry.example.com:5000/rig:1.0"), ("rig@sha256:def",))
    assert image.has(expected) is holds


@pytest.mark.parametrize("stats", [
    {"memory_stats": {"usage": 100 << 20, "limit": 200 << 20, "stats": {"total_inactive_file": 20 << 20}}},  # v1
    {"memory_stats": {"usage": 100 << 20, "limit": 200 << 20, "stats": {"inactive_file": 20 << 20}}},  # v2
])
def test_memory_use_counts_as_docker_stats_does(stats: dict[str, dict[str, object]]) -> None:
    """Usage without inactive page cache, of the limit: what `docker stats` prints on cgroup v1 and v2."""
    memory = memory_use(stats)
    assert (memory.used, memory.pct) == (80 << 20, 40.0)
