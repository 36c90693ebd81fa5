"""Kubernetes: the API answers the gate; each workload has rolled out, its pods are Ready, its containers neither
crash-loop nor were OOM-killed and run the image the deploy rolled out; the one-shot Jobs succeeded. Read-only.
Contract-tested against recorded answers of the Kubernetes API (tests/kubernetes_api/), not a live cluster."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import pytest

from opsgate.core.verdict import fail
from opsgate.plugin.checks import required
from opsgate.target import Target
from opsgate.target.kubernetes import Kubernetes, Workload

if TYPE_CHECKING:  # the client is loaded only when a check runs (see conftest.py)
    from opsgate.probes.kubernetes import Container, KubernetesApi, Pod

pytestmark = pytest.mark.kubernetes
API = "kubernetes/api-unreachable"
WORKLOAD = ("kubernetes/rollout-stuck", API)  # how reading a workload fails: it does not exist, or no API
PULL_FAILURES = {"ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"}


def _containers(pods: Iterable[Pod]) -> list[tuple[Pod, Container]]:
    return [(pod, container) for pod in pods for container in pod.containers]


def _trouble(pod: Pod) -> str:
    """What keeps a pod from Ready, in the kubelet's words."""
    said = [f"container {c.name} waiting: {c.reason}" + (f" ({c.message[:240]})" if c.message else "")
            for c in pod.containers if c.state == "waiting" and c.reason]
    said += [f"container {c.name} runs but is not ready: its readiness probe fails"
             for c in pod.containers if c.state == "running" and not c.ready and not c.init]
    return f"pod {pod.name} on {pod.node}: {'; '.join(said) or pod.condition}"


@pytest.mark.runbook(API)
def test_kubernetes_api_answers(kube: KubernetesApi, record_metadata: Callable[[str, str], None]) -> None:
    record_metadata("Kubernetes", kube.version())


@pytest.mark.runbook(*WORKLOAD)
def test_rollout_is_complete(kube: KubernetesApi, workload: Workload) -> None:
    rollout = kube.workload(workload).rollout
    why = []
    if rollout.observed_generation < rollout.generation:
        why.append(f"its controller has not acted on generation {rollout.generation} yet (it last saw "
                   f"{rollout.observed_generation})")
    if rollout.updated < rollout.desired or rollout.current > rollout.updated:
        why.append(f"{rollout.updated} of {rollout.desired} replicas run the current pod template, "
                   f"{max(rollout.current - rollout.updated, 0)} the previous one")
    if rollout.stalled:
        why.append(rollout.stalled)
    assert not why, f"{rollout.ref} has not finished rolling out: {'; '.join(why)}"


@pytest.mark.runbook("kubernetes/pod-not-ready", "kubernetes/image-pull-failed", "kubernetes/crash-loop", *WORKLOAD)
def test_pods_are_ready(kube: KubernetesApi, workload: Workload) -> None:
    state = kube.workload(workload)
    expected = state.rollout.desired if workload.replicas is None else workload.replicas
    unready = [pod for pod in state.pods if not pod.ready]
    if not unready and len(state.pods) >= expected:
        return
    waiting = {container.reason for _, container in _containers(unready) if container.state == "waiting"}
    runbook = ("kubernetes/image-pull-failed" if waiting & PULL_FAILURES
               else "kubernetes/crash-loop" if "CrashLoopBackOff" in waiting else "kubernetes/pod-not-ready")
    wanted = "its spec's replicas" if workload.replicas is None else f"kubernetes.workloads[{workload.name}].replicas"
    fail(runbook, f"{len(state.pods) - len(unready)} of {expected} pods ({wanted}) of {state.rollout.ref} are Ready"
                  + "".join(f"; {_trouble(pod)}" for pod in unready))


@pytest.mark.runbook("kubernetes/crash-loop", *WORKLOAD)
def test_containers_do_not_crash_loop(kube: KubernetesApi, workload: Workload, kubernetes_config: Kubernetes) -> None:
    state, most = kube.workload(workload), kubernetes_config.max_restarts
    crashing = [f"pod {pod.name}: container {c.name} restarted {c.restarts} times (kubernetes.max_restarts {most})"
                + (", now in CrashLoopBackOff" if c.reason == "CrashLoopBackOff" else "")
                + (f"; it last exited {c.last_exit_code} ({c.last_reason})" if c.last_reason else "")
                for pod, c in _containers(state.pods) if c.restarts > most or c.reason == "CrashLoopBackOff"]
    assert not crashing, f"{state.rollout.ref}: {'; '.join(crashing)}"


@pytest.mark.runbook("kubernetes/oom-killed", *WORKLOAD)
def test_no_container_was_oom_killed(kube: KubernetesApi, workload: Workload) -> None:
    state = kube.workload(workload)
    killed = [f"pod {pod.name}: container {c.name} was OOMKilled {f'at {c.last_finished}' if c.last_finished else ''}"
              f" (memory limit {c.memory_limit or 'none: the node ran out'}); restart count now {c.restarts}"
              for pod, c in _containers(state.pods) if c.oom_killed]
    assert not killed, f"{state.rollout.ref}: {'; '.join(killed)}"


@pytest.mark.runbook("kubernetes/wrong-image", *WORKLOAD)
def test_containers_run_the_expected_image(kube: KubernetesApi, workload: Workload, kubernetes_config: Kubernetes,
                                           target: Target) -> None:
    wanted = required(kubernetes_config.image_tag_of(workload), "kubernetes.expected_image_tag", target)
    state = kube.workload(workload)
    wrong = [f"pod {pod.name}: container {c.name} runs {c.image}" + (f" ({c.image_id.rsplit('@', 1)[-1]})"
                                                                    if c.image_id else "")
             for pod, c in _containers(state.pods)
             if not c.init and (not workload.image_containers or c.name in workload.image_containers)
             and not c.runs(wanted)]
    assert not wrong, f"{state.rollout.ref} should run image {wanted}: {'; '.join(wrong)}"


@pytest.mark.runbook("kubernetes/job-failed", API)
def test_job_succeeded(kube: KubernetesApi, job: str, kubernetes_config: Kubernetes) -> None:
    found = kube.job(job)
    assert found, (f"job/{job} does not exist in namespace {kubernetes_config.namespace}: it never ran, or "
                   "ttlSecondsAfterFinished removed it")
    exits = dict.fromkeys(f"container {c.name} exited {c.exit_code} ({': '.join(filter(None, (c.reason, c.message)))})"
                          for pod in found.pods for c in pod.containers if c.state == "terminated" and c.exit_code)
    assert not found.failure, f"job/{job} failed ({found.failure})" + (
        f"; its {len(found.pods)} pods: {'; '.join(exits)}" if exits else "")
    assert found.succeeded >= found.completions, (
        f"job/{job} has not finished: {found.succeeded} of {found.completions} completions, {found.active} pods active"
    )
