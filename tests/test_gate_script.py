"""The reusable workflow's script, offline: .ci/gate.sh (what .github/workflows/gate.yml runs) against the reference
stack from a deploy repository of its own, as the workflow runs it: the caller's checkout is the current directory
and holds the target file, the run is the installed `opsgate` command there (its rootdir, its ./reports). The
install reuses this checkout's .venv (OPSGATE_VENV: opsgate installed, with every extra) and installs no system
package. A good password passes and writes the report into the caller's directory; a wrong one, from the
environment or from the OPSGATE_SECRETS JSON, fails the gate with exit 1, and neither the console nor the report
shows it (but for the JSON's masking command in GitHub Actions, which the runner consumes). Without markers the
script adds none: the target decides (opsgate's --job)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from stack.core import Stack

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parent.parent
WRONG = "wrong-Pw#5e1x"  # a `#` is percent-encoded in the URL: both forms must stay out of the output


def caller_repository(tmp_path: Path, *, redis_only: bool = False) -> tuple[Path, Path]:
    """A deploy repository (its folder, its target file deploy/opsgate/local.yml): targets/local.yml with its paths
    relative to targets/ made absolute, or only its name, environment and redis section."""
    text = (ROOT / "targets" / "local.yml").read_text()
    if redis_only:
        local = yaml.safe_load(text)
        text = yaml.safe_dump({"name": "redis-only", "environment": local["environment"], "redis": local["redis"]})
    text = re.sub(r"(?<![\w/.])\.\./", f"{ROOT}/", text)  # ../.stack/..., unix://../.stack/docker/docker.sock
    caller = tmp_path / "deploy"
    target = caller / "opsgate" / "local.yml"
    target.parent.mkdir(parents=True)
    target.write_text(text)
    return caller, target


def gate(caller: Path, target: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # Neither ours nor the CI job's: no OPSGATE_* of this process, no job summary, no GitHub Actions log commands
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith("OPSGATE_") and key not in ("GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS", "CI")}
    environ.update({"OPSGATE_VENV": str(ROOT / ".venv"), "OPSGATE_SYSTEM_PACKAGES": "0", "OPSGATE_MARKERS": "redis",
                    "OPSGATE_TARGET": str(target.relative_to(caller)),  # as the workflow passes it: in the checkout
                    "OPSGATE_EXPECTED_VERSION": "",  # empty, as a workflow input left blank: unset by the script
                    **env})
    return subprocess.run(["bash", str(ROOT / ".ci" / "gate.sh"), "all"], cwd=caller, env=environ,
                          capture_output=True, text=True, timeout=120)


def command_line(result: subprocess.CompletedProcess[str]) -> str:
    """The opsgate command the script printed and ran."""
    found = re.findall(r"^opsgate: (opsgate .*)$", result.stderr, re.MULTILINE)
    assert len(found) == 1, result.stderr[-3000:]
    return found[0]


def test_the_gate_script_runs_opsgate_in_the_callers_repository(stack: Stack, tmp_path: Path) -> None:
    caller, target = caller_repository(tmp_path)
    result = gate(caller, target)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "reusing the Python environment" in result.stderr  # the gate-only install was skipped, not redone
    assert command_line(result) == f"opsgate --target={target} --gate-timeout=600 -m redis   (in {caller})"
    assert f"rootdir: {caller}\n" in result.stdout  # pytest's rootdir is the caller's checkout, not opsgate's
    assert re.search(r"\b6 passed\b", result.stdout)
    assert list((caller / "reports").glob("redis-*.html"))  # ./reports of the caller (no OPSGATE_REPORTS_DIR)


@pytest.mark.parametrize("delivery", ["env", "json"])
def test_a_wrong_password_fails_the_gate_and_is_never_shown(stack: Stack, tmp_path: Path, delivery: str) -> None:
    caller, target = caller_repository(tmp_path)
    secret = {"OPSGATE_REDIS_PASSWORD": WRONG}
    # The JSON secret as GitHub Actions hands it over: the script masks each value (a log command the runner
    # consumes) before anything else can print it.
    env = secret if delivery == "env" else {"OPSGATE_SECRETS": json.dumps(secret), "GITHUB_ACTIONS": "true"}
    result = gate(caller, target, OPSGATE_REPORTS_DIR="out/reports", **env)  # relative: to the caller's checkout
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    if delivery == "json":
        mask = f"::add-mask::{WRONG}\n"
        assert result.stderr.index(mask) < result.stderr.index("opsgate: opsgate ")  # masked before the run
        output = output.replace(mask, "", 1)
    assert "test_ping_within_budget FAILED" in output
    reports = list((caller / "out" / "reports").glob("redis-*.html"))
    assert reports
    for text in [output, *(path.read_text() for path in reports)]:
        assert WRONG not in text and quote(WRONG, safe="") not in text


def test_without_markers_the_target_decides(stack: Stack, tmp_path: Path) -> None:
    """OPSGATE_MARKERS left blank (an empty workflow input): the script passes no -m, and opsgate's default job
    runs the suites of what the target configures, here Redis alone."""
    caller, target = caller_repository(tmp_path, redis_only=True)
    result = gate(caller, target, OPSGATE_MARKERS="")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "extras: none" in result.stderr  # a Redis target needs none of the package's extras
    assert command_line(result) == f"opsgate --target={target} --gate-timeout=600   (in {caller})"
    assert re.search(r"\b6 passed\b", result.stdout)
    assert list((caller / "reports").glob("gate-*.html"))  # the run is named after its job


def test_the_job_is_passed_to_opsgate(stack: Stack, tmp_path: Path) -> None:
    """OPSGATE_JOB=dr becomes --job=dr: a target without a backup section has nothing for that job (exit 4)."""
    caller, target = caller_repository(tmp_path, redis_only=True)
    result = gate(caller, target, OPSGATE_MARKERS="", OPSGATE_JOB="dr")
    assert result.returncode == 4, result.stdout[-3000:] + result.stderr[-2000:]
    assert command_line(result) == f"opsgate --target={target} --gate-timeout=600 --job=dr   (in {caller})"
    assert "configures none of the dr job's components" in result.stdout + result.stderr
