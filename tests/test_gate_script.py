"""The reusable workflow's script, offline: .ci/gate.sh (what .github/workflows/gate.yml runs) against the reference
stack, with the target file outside the opsgate checkout, as a deploy repository has it. The install reuses this
checkout's .venv (OPSGATE_VENV) and installs no system package; the run is the workflow's. A good password
passes and writes a report; a wrong one, from the environment or from the OPSGATE_SECRETS JSON, fails the gate
with exit 1, and neither the console nor the report shows it (but for the JSON's masking command in GitHub
Actions, which the runner consumes)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from stack.core import Stack

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parent.parent
WRONG = "wrong-Pw#5e1x"  # a `#` is percent-encoded in the URL: both forms must stay out of the output


def outside_target(tmp_path: Path) -> Path:
    """targets/local.yml copied into tmp_path, its paths relative to targets/ made absolute."""
    text = (ROOT / "targets" / "local.yml").read_text()
    text = re.sub(r"(?<![\w/.])\.\./", f"{ROOT}/", text)  # ../.stack/..., unix://../.stack/docker/docker.sock
    target = tmp_path / "deploy" / "opsgate" / "local.yml"
    target.parent.mkdir(parents=True)
    target.write_text(text)
    return target


def gate(target: Path, reports: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # Neither ours nor the CI job's: no OPSGATE_* of this process, no job summary, no GitHub Actions log commands
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith("OPSGATE_") and key not in ("GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS", "CI")}
    environ.update(OPSGATE_VENV=str(ROOT / ".venv"), OPSGATE_SYSTEM_PACKAGES="0", OPSGATE_MARKERS="redis",
                   OPSGATE_CONTAINERS="no", OPSGATE_TARGET=target.name, OPSGATE_REPORTS_DIR=str(reports),
                   OPSGATE_EXPECTED_VERSION="", **env)  # empty, as a workflow input left blank: unset by the script
    return subprocess.run(["bash", str(ROOT / ".ci" / "gate.sh"), "all"], cwd=target.parent, env=environ,
                          capture_output=True, text=True, timeout=120)


def reports_written(reports: Path, since: float) -> list[Path]:
    """The run's HTML reports: in OPSGATE_REPORTS_DIR, or in reports/ where the gate does not know that yet."""
    found = list(reports.glob("redis-*.html"))
    return found or [path for path in (ROOT / "reports").glob("redis-*.html") if path.stat().st_mtime >= since]


def test_the_gate_script_passes_from_another_repository(stack: Stack, tmp_path: Path) -> None:
    target, started = outside_target(tmp_path), time.time() - 1
    result = gate(target, tmp_path / "reports")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "reusing the Python environment" in result.stderr  # the gate-only install was skipped, not redone
    assert re.search(r"\b6 passed\b", result.stdout)
    assert reports_written(tmp_path / "reports", started)


@pytest.mark.parametrize("delivery", ["env", "json"])
def test_a_wrong_password_fails_the_gate_and_is_never_shown(stack: Stack, tmp_path: Path, delivery: str) -> None:
    target, started = outside_target(tmp_path), time.time() - 1
    secret = {"OPSGATE_REDIS_PASSWORD": WRONG}
    # The JSON secret as GitHub Actions hands it over: the script masks each value (a log command the runner
    # consumes) before anything else can print it.
    env = secret if delivery == "env" else {"OPSGATE_SECRETS": json.dumps(secret), "GITHUB_ACTIONS": "true"}
    result = gate(target, tmp_path / "reports", **env)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    if delivery == "json":
        mask = f"::add-mask::{WRONG}\n"
        assert result.stderr.index(mask) < result.stderr.index("opsgate: pytest")  # masked before the run
        output = output.replace(mask, "", 1)
    assert "test_ping_within_budget FAILED" in output or "FAILED suites/redis" in output
    reports = reports_written(tmp_path / "reports", started)
    assert reports
    for text in [output, *(path.read_text() for path in reports)]:
        assert WRONG not in text and quote(WRONG, safe="") not in text
