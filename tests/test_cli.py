"""The `opsgate` command, as installed in this checkout's venv, from a directory that is not the checkout: the
job's default selection comes from the target, a missing target is one line, and the version is opsgate's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, gate_env

OPSGATE = Path(sys.executable).parent / "opsgate"


def opsgate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(OPSGATE), *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env=gate_env())


def selected_suites(output: str) -> set[str]:
    """The suites of the checks `--collect-only -qq` lists: node ids relative to the installed suites folder,
    smoke/test_x.py::test_y."""
    return set(re.findall(r"^(\w+)/test_\w+\.py::", output, re.MULTILINE))


def test_without_m_the_gate_runs_the_suites_of_what_the_target_configures(tmp_path: Path) -> None:
    target = f"--target={ROOT / 'targets' / 'local.yml'}"
    result = opsgate(target, "--collect-only", "-qq", cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    # local.yml configures every component but kubernetes and grafana; the DR and load jobs are not the gate's
    assert selected_suites(result.stdout) == {"smoke", "nginx", "db", "redis", "monitoring", "containers"}
    dr = opsgate(target, "--job=dr", "--collect-only", "-qq", cwd=tmp_path)
    assert selected_suites(dr.stdout) == {"backup_restore"}, dr.stdout[-2000:]
    chosen = opsgate(target, "-m", "redis", "--collect-only", "-qq", cwd=tmp_path)
    assert selected_suites(chosen.stdout) == {"redis"}, chosen.stdout[-2000:]


def test_no_target_is_one_line_and_exit_4(tmp_path: Path) -> None:
    result = opsgate(cwd=tmp_path)
    assert result.returncode == 4
    assert result.stderr.strip() == ("ERROR: opsgate: no target file: pass --target=PATH or set OPSGATE_TARGET "
                                     "(there is no targets/local.yml here)")


def test_the_version_is_the_packages(tmp_path: Path) -> None:
    result = opsgate("--version", cwd=tmp_path)
    assert result.returncode == 0 and re.fullmatch(r"opsgate \d+\.\d+\.\d+ \(pytest [\d.]+\)\n", result.stdout)


def test_extras_names_what_the_selected_suites_need_for_what_the_target_configures(tmp_path: Path) -> None:
    """What .ci/gate.sh installs beside the package, from the components' declarations."""
    target = f"--target={ROOT / 'targets' / 'local.yml'}"
    said = {args: opsgate("extras", target, *args, cwd=tmp_path).stdout.strip()
            for args in ((), ("--job=dr",), ("--job=load",), ("-m", "smoke or redis"), ("-m", "kubernetes"))}
    # local.yml has a containers section (the gate's), backup (the DR job's) and perf (the load job's); no kubernetes
    assert said == {(): "containers", ("--job=dr",): "dr", ("--job=load",): "load", ("-m", "smoke or redis"): "",
                    ("-m", "kubernetes"): ""}
    broken = opsgate("extras", "--target=missing.yml", cwd=tmp_path)
    assert broken.returncode == 4 and broken.stderr.startswith("opsgate extras: missing.yml: cannot read")
