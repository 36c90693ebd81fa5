"""The Kubernetes checks against recorded answers of the Kubernetes API (tests/kubernetes_api/), each case in a real
gate run. Needs neither a cluster nor the reference stack: the target holds only name, environment and kubernetes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsgate.target import TargetError, load_target
from tests.gate import GateRun, matches, run_gate, runs_at_once
from tests.kubernetes_server import TOKEN, recorded_kubernetes
from tests.test_bad_input import free_port

WORKLOADS = [{"name": "app"}, {"kind": "StatefulSet", "name": "postgres", "image_tag": "15.6"},
             {"kind": "DaemonSet", "name": "fluent-bit",  # by digest, as a deploy pinning images would
              "image_tag": "sha256:7e9a1c3b5d7f9e2a4c6b8d0f1e3a5c7b9d2f4e6a8c0b1d3f5e7a9c2b4d6f8e0a"}]
PER_WORKLOAD = ("test_rollout_is_complete", "test_pods_are_ready", "test_containers_do_not_crash_loop",
                "test_no_container_was_oom_killed", "test_containers_run_the_expected_image")
CHECKS = 1 + len(PER_WORKLOAD) * len(WORKLOADS) + 1  # the API, five per workload, the migration Job
REVOKED = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXZva2VkIn0.UmV2b2tlZFRva2VuMDAwMDAwMDA"


def check(name: str, workload: str) -> str:
    return f"test_workloads::{name}[{workload}]"


@dataclass(frozen=True)
class Case:
    name: str
    recordings: str | None  # the variant replayed at the API's URL; None: nothing listens there
    expect: dict[str, str]  # check pattern -> runbook id its failure must cite; every other check passes
    token: str = TOKEN
    kubeconfig: bool = False  # reach the API through a kubeconfig context instead of api_url and token
    workloads: tuple[dict[str, Any], ...] = tuple(WORKLOADS)


CASES = [
    Case("healthy", "healthy", {}),
    Case("kubeconfig", "healthy", {}, kubeconfig=True),
    Case("pod-not-ready", "pod-not-ready", {check("test_pods_are_ready", "app"): "kubernetes/pod-not-ready"}),
    # A crash-looping pod is not Ready either: both checks cite the crash loop, the cause.
    Case("crash-loop", "crash-loop", {check("test_pods_are_ready", "app"): "kubernetes/crash-loop",
                                      check("test_containers_do_not_crash_loop", "app"): "kubernetes/crash-loop"}),
    Case("oom-killed", "oom-killed", {check("test_no_container_was_oom_killed", "postgres"): "kubernetes/oom-killed"}),
    Case("rollout-stuck", "rollout-stuck", {check("test_rollout_is_complete", "app"): "kubernetes/rollout-stuck"}),
    Case("wrong-image", "wrong-image",
         {check("test_containers_run_the_expected_image", "app"): "kubernetes/wrong-image"}),
    Case("image-pull-failed", "image-pull-failed",
         {check("test_pods_are_ready", "app"): "kubernetes/image-pull-failed"}),
    # A sidecar of its own version: left out of the image check when the workload names its own containers.
    Case("sidecar-left-out", "sidecar", {}, workloads=({**WORKLOADS[0], "image_containers": ["app"]}, *WORKLOADS[1:])),
    Case("sidecar-judged", "sidecar",
         {check("test_containers_run_the_expected_image", "app"): "kubernetes/wrong-image"}),
    Case("job-failed", "job-failed", {"test_workloads::test_job_succeeded[migrate]": "kubernetes/job-failed"}),
    Case("bad-token", "healthy", {"test_workloads::*": "kubernetes/api-unreachable"}, token=REVOKED),
    Case("unreachable", None, {"test_workloads::*": "kubernetes/api-unreachable"}),
]


def kubeconfig(path: Path, url: str) -> Path:
    """A kubeconfig whose current context is another cluster: only `kubernetes.context` reaches the recordings."""
    clusters = {"replay": url, "elsewhere": f"http://127.0.0.1:{free_port()}"}
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "elsewhere",
        "clusters": [{"name": name, "cluster": {"server": server}} for name, server in clusters.items()],
        "users": [{"name": "opsgate", "user": {"token": TOKEN}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": "opsgate", "namespace": "shop"}}
                     for name in clusters],
    }))
    return path


def target_file(case: Case, url: str, directory: Path) -> Path:
    section: dict[str, Any] = {"namespace": "shop", "workloads": list(case.workloads), "expected_image_tag": "2.3.1",
                               "jobs": ["migrate"], "timeout_s": 2}
    if case.kubeconfig:
        section |= {"kubeconfig": str(kubeconfig(directory / "kubeconfig", url)), "context": "replay"}
    else:
        section |= {"api_url": url, "token": "${OPSGATE_T_K8S_TOKEN}"}
    path = directory / f"kubernetes-{case.name}.yml"
    path.write_text(yaml.safe_dump({"name": f"kubernetes-{case.name}", "environment": "test", "kubernetes": section}))
    return path


def gate_run(case: Case, directory: Path) -> GateRun:
    with recorded_kubernetes(case.recordings) as url:
        return run_gate("kubernetes", directory, target=target_file(case, url, directory),
                        env={"OPSGATE_T_K8S_TOKEN": case.token}, extra=("suites/kubernetes",))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[GateRun, Path]]:
    """Every case's gate run, side by side (each has its own replay server)."""
    return runs_at_once({case.name: partial(gate_run, case) for case in CASES}, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_kubernetes_checks_give_the_recorded_verdicts(case: Case, runs: dict[str, tuple[GateRun, Path]]) -> None:
    run, tmp_path = runs[case.name]
    verdicts = {name: v for name, v in run.verdicts.items() if name.startswith("test_workloads::")}
    assert len(verdicts) == CHECKS, run.output[-3000:]
    assert run.returncode == (1 if case.expect else 0), run.output[-3000:]

    for name, verdict in verdicts.items():
        runbook = next((rb for pattern, rb in case.expect.items() if matches(pattern, name)), None)
        if runbook is None:
            assert verdict.outcome == "passed", f"{name} must pass under {case.name}: {verdict.message[:300]}"
            continue
        assert verdict.outcome == "failed", f"{name} must fail under {case.name}, not {verdict.outcome}"
        assert verdict.runbook == runbook, f"{name} cites {verdict.runbook}, expected {runbook}: {verdict.message}"
        assert f"runbook {runbook}" in verdict.message, f"{name}'s message must end with the runbook id"
        assert "Traceback" not in verdict.message and "urllib3" not in verdict.message, verdict.message
    for pattern in case.expect:
        assert any(matches(pattern, name) for name in verdicts), f"{pattern} matched no check"
    if case.name == "bad-token":  # the API answers the sweep: the first check finds it; the rest follow from it
        assert f"opsgate: 1 root cause, {CHECKS - 1} consequences" in run.output, run.output[-3000:]
    if case.name == "unreachable":  # found dead by the start-of-run sweep: every check follows from it
        assert f"opsgate: 1 root cause, {CHECKS} consequences" in run.output, run.output[-3000:]

    seen = run.output + (tmp_path / "kubernetes.xml").read_text()
    assert TOKEN not in seen and case.token not in seen, "the gate's output shows the token"


REFUSED_SECTIONS = {
    "both-ways": ({"api_url": "https://k8s.test", "kubeconfig": "kubeconfig"}, "api_url excludes kubeconfig"),
    "token-without-url": ({"token": "abcdefgh"}, "token and ca_bundle go with api_url"),
    "token-in-clear": ({"api_url": "http://k8s.test", "token": "abcdefgh"}, "cross the network to k8s.test in clear"),
    "workload-twice": ({"workloads": [{"name": "app"}, {"kind": "StatefulSet", "name": "app"}]}, "listed twice: app"),
    "unknown-kind": ({"workloads": [{"kind": "CronJob", "name": "nightly"}]},
                     r"workloads\[0\].kind: Input should be 'Deployment'"),
}


@pytest.mark.parametrize("case", REFUSED_SECTIONS)
def test_kubernetes_section_is_refused_when_inconsistent(case: str, tmp_path: Path) -> None:
    section, expected = REFUSED_SECTIONS[case]
    path = tmp_path / "target.yml"
    path.write_text(yaml.safe_dump({"name": "t", "environment": "test", "kubernetes": section}))
    with pytest.raises(TargetError, match=expected):
        load_target(path)
