"""The `opsgate` command, as installed in this checkout's venv, from a directory that is not the checkout: the
job's default selection comes from the target, a missing target is one line, and the version is opsgate's."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from opsgate.target import load_target
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


def uncommented(text: str, *sections: str) -> str:
    """The starter with its commented `sections` turned on, as a user would: `# ` removed from their lines."""
    lines, inside = [], False
    for line in text.splitlines():
        inside = line in {f"# {section}:" for section in sections} or (inside and line.startswith("#   "))
        lines.append(line.removeprefix("# ") if inside else line)
    return "\n".join(lines) + "\n"


@pytest.mark.stack
def test_init_writes_a_starter_that_verifies_its_site_and_offers_backup_and_perf(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`opsgate init --ca-bundle`: the starter names the CA (relative to itself, as the loader reads it) and loads;
    its commented backup and perf sections, uncommented, are valid: the users' requests are the app's GET
    endpoints, their resource the collection with POST and its item URL as the OpenAPI document writes it."""
    (tmp_path / "certs").mkdir()
    (tmp_path / "deploy").mkdir()
    shutil.copy(ROOT / ".stack" / "pki" / "ca.pem", tmp_path / "certs" / "ca.pem")
    result = opsgate("init", "https://localhost:18443", "--ca-bundle", "certs/ca.pem", "-o", "deploy/staging.yml",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    starter = tmp_path / "deploy" / "staging.yml"
    text = starter.read_text()
    assert yaml.safe_load(text)["ca_bundle"] == "../certs/ca.pem"
    assert load_target(starter).ca_bundle == str(tmp_path / "certs" / "ca.pem"), "the loader finds it from there"
    assert "\n# backup:\n" in text and "\n# perf:\n" in text, "offered, not switched on"
    turned_on = tmp_path / "deploy" / "with-backup-and-perf.yml"
    turned_on.write_text(uncommented(text, "backup", "perf"))
    monkeypatch.setenv("OPSGATE_BACKUP_PASSWORD", "from-the-environment")
    target = load_target(turned_on)
    assert target.backup and target.backup.dumps and target.backup.pgbackrest and target.perf and target.app
    assert [(r.path, r.auth) for r in target.perf.requests] == [(e.path, e.auth) for e in target.app.endpoints]
    assert target.perf.resource and target.perf.resource.model_dump(include={"path", "item_path", "create"}) == {
        "path": "/api/v1/items", "item_path": "/api/v1/items/{item_id}", "create": {"name": "opsgate load test"}}


def test_init_refuses_a_ca_bundle_that_is_not_one_in_one_line(tmp_path: Path) -> None:
    result = opsgate("init", "https://localhost:18443", "--ca-bundle", str(ROOT / "README.md"), cwd=tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip() == f"opsgate init: --ca-bundle {ROOT / 'README.md'}: not a PEM file of CA certificates"
