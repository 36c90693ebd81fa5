"""The gate as a team installs it: the wheel of this checkout, installed without extras into a fresh venv outside
the checkout, run with its `opsgate` command from a team's repository (docs/examples/team/: its own component, check
and runbook) against the reference stack. With Redis down and the team's bucket gone, both failures cite their
runbook (opsgate's packaged one and the team's), the HTML report shows both "What to do" blocks and the team's grid
cell; healed, the same command passes. The smoke-only install starts, checks, and refuses a selection whose extra
it lacks in one line. One wheel and one venv per module: pip's install of the gate's dependencies is most of the
time."""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from opsgate.core.runbook import Section, load_runbook
from opsgate.plugin.citation import what_to_do_html
from opsgate.target import load_target
from stack.core import Stack
from tests.conftest import ROOT
from tests.test_gate_script import caller_repository

pytestmark = pytest.mark.stack

EXAMPLE = ROOT / "docs" / "examples" / "team"
OPTIONAL = ("docker", "kubernetes", "locust", "boto3", "matplotlib")  # the extras' modules: none in the gate's install
TEAM_SETTINGS = """
extend:
  checks: [checks]
  runbook: runbook
custom:
  objectstore:
    url: http://127.0.0.1:19900
    bucket: opsgate-backups   # the fault s3-backup-unreadable deletes it
    timeout_s: 5
"""
SELECTION = "smoke or redis or objectstore"
INSTALL_TIMEOUT_S = 600


def _run(args: list[str | Path], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run a setup step; its output, or the test fails showing it."""
    result = subprocess.run([str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=INSTALL_TIMEOUT_S)
    assert result.returncode == 0, f"{args}: exit {result.returncode}\n{result.stdout[-2000:]}{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checkout's wheel. setuptools' build folders go to tmp (DIST_EXTRA_CONFIG, a setup.cfg it reads last):
    a build/ in the checkout keeps every file it ever copied, and ships modules moved or deleted since."""
    out = tmp_path_factory.mktemp("wheel")
    scratch = out / "setuptools"
    scratch.mkdir()
    (scratch / "setup.cfg").write_text(f"[build]\nbuild_base = {scratch / 'build'}\n[egg_info]\negg_base = {scratch}\n")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", out, ROOT],
         env={**os.environ, "DIST_EXTRA_CONFIG": str(scratch / "setup.cfg")})
    [built] = out.glob("opsgate-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the checkout with the wheel and its dependencies, no extra. This interpreter's pip
    installs into it (`--python`: no pip of its own to set up, a few seconds), not byte-compiled (a quarter of the
    install's time: the gate's first run compiles what it imports)."""
    home = tmp_path_factory.mktemp("gate-venv") / "venv"
    assert ROOT not in home.parents
    _run([sys.executable, "-m", "venv", "--without-pip", home])
    _run([sys.executable, "-m", "pip", "--python", home / "bin" / "python", "install", "-q", "--no-compile", wheel],
         env=_clean_env())
    return home


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what would leak the checkout or a CI job into the installed gate."""
    leaks = ("PYTHONPATH", "VIRTUAL_ENV", "CI", "PYTHONHOME")
    env = {key: value for key, value in os.environ.items() if key not in leaks
           and not key.startswith(("OPSGATE_", "GITHUB_", "PYTEST_"))}
    return {**env, **extra}


def opsgate(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command, from `cwd` (the team's repository), reports in `cwd`/reports."""
    return subprocess.run([str(venv / "bin" / "opsgate"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=_clean_env(OPSGATE_REPORTS_DIR=str(cwd / "reports")))


def _wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_holds_the_package_its_suites_and_data_and_nothing_else(wheel: Path) -> None:
    names = _wheel_names(wheel)
    expected = {f"opsgate/{path.relative_to(ROOT / 'fixtures')}" for path in (ROOT / "fixtures").rglob("*.py")}
    expected |= {f"opsgate/suites/{path.relative_to(ROOT / 'suites')}" for path in (ROOT / "suites").rglob("*.py")}
    expected |= {f"opsgate/runbook/{page.name}" for page in (ROOT / "fixtures" / "runbook").glob("*.md")}
    expected |= {"opsgate/pytest.ini", "opsgate/target/schema.json", "opsgate/load/locustfile.py"}
    # A folder missing from pyproject.toml's `packages` list ships none of its modules.
    assert sorted(expected - names) == []
    # Nothing else: no tests/, stack/ or perf/bench_*, and no stale copy of a module moved or deleted since.
    assert sorted(name for name in names - expected if not re.match(r"opsgate-[^/]+\.dist-info/", name)) == []
    assert not [name for name in names if re.match(r"(tests|stack|perf)/|.*/bench_", name)]
    entry_points = next(name for name in names if name.endswith(".dist-info/entry_points.txt"))
    with zipfile.ZipFile(wheel) as archive:
        assert "opsgate = opsgate.cli:main" in archive.read(entry_points).decode()


def test_the_install_without_extras_has_none_of_their_modules(venv: Path, tmp_path: Path) -> None:
    probe = ("import importlib.util, json, opsgate; print(json.dumps({'opsgate': opsgate.__file__, 'found': "
             f"[m for m in {OPTIONAL!r} if importlib.util.find_spec(m)]}}))")
    found = json.loads(_run([venv / "bin" / "python", "-c", probe], cwd=tmp_path, env=_clean_env()))
    assert Path(found["opsgate"]).is_relative_to(venv), "the wheel's opsgate, not the checkout's"
    assert found["found"] == []


def test_the_examples_target_file_is_valid_with_the_teams_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSGATE_PROD_REDIS_PASSWORD", "example-redis-pw")
    spec = importlib.util.spec_from_file_location("team_example_conftest", EXAMPLE / "checks" / "conftest.py")
    assert spec and spec.loader
    declared = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(declared)
    [component] = declared.pytest_opsgate_components()
    target = load_target(EXAMPLE / "prod.yml.example", {"objectstore": component.settings})
    assert component.configured(target).bucket == "shop-uploads"
    assert (target.extend.checks, target.extend.runbook) == ((str(EXAMPLE / "checks"),), str(EXAMPLE / "runbook"))


@dataclass(frozen=True)
class Team:
    repo: Path  # the team's repository: the run's cwd
    target: str  # its target file, relative to repo
    plain_repo: Path  # another repository,
    plain_target: Path  # whose target file has no extend: and no custom:


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Team:
    """docs/examples/team/ as a team's repository: opsgate/local.yml (targets/local.yml, its paths absolute, with
    extend: and custom:), opsgate/checks/, opsgate/runbook/."""
    repo, target = caller_repository(tmp_path_factory.mktemp("team"))
    target.write_text(target.read_text() + TEAM_SETTINGS)
    for folder in ("checks", "runbook"):
        shutil.copytree(EXAMPLE / folder, target.parent / folder, ignore=shutil.ignore_patterns("__pycache__"))
    assert sorted(str(path.relative_to(repo)) for path in repo.rglob("*")) == [
        "opsgate", "opsgate/checks", "opsgate/checks/conftest.py", "opsgate/checks/test_objectstore.py",
        "opsgate/local.yml", "opsgate/runbook", "opsgate/runbook/objectstore.md"]
    return Team(repo, str(target.relative_to(repo)), *caller_repository(tmp_path_factory.mktemp("plain")))


def test_the_default_gate_names_the_extra_it_lacks_in_one_line(venv: Path, team: Team) -> None:
    # No -m: the gate job selects the suites of every configured component, containers too (targets/local.yml)
    result = opsgate(venv, team.repo, f"--target={team.target}")
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert (result.returncode, len(lines)) == (4, 1), result.stdout[-3000:] + result.stderr[-2000:]
    assert "the containers checks need the extra 'containers'" in lines[0]
    assert "pip install 'opsgate[containers]'" in lines[0]


def test_the_smoke_only_install_checks_smoke(venv: Path, team: Team, stack: Stack) -> None:
    result = opsgate(venv, team.plain_repo, "-m", "smoke", f"--target={team.plain_target.relative_to(team.plain_repo)}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", result.stdout)


def test_a_dead_store_is_one_root_cause_and_its_checks_consequences(venv: Path, team: Team,
                                                                     tmp_path: Path) -> None:
    repo = shutil.copytree(team.repo, tmp_path / "repo", ignore=shutil.ignore_patterns("reports", "__pycache__"))
    target = repo / team.target
    target.write_text(target.read_text().replace("url: http://127.0.0.1:19900", "url: http://127.0.0.1:1"))
    result = opsgate(venv, repo, f"--target={team.target}", "-m", "objectstore")
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    assert "ROOT CAUSE objectstore down: connection refused: nothing listens on 127.0.0.1:1" in result.stdout
    assert "opsgate: 1 root cause, 2 consequences" in result.stdout
    assert result.stdout.count("\u2192 runbook objectstore/down: ") == 2


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str
    page: str  # the HTML report
    junit: str


def _team_run(venv: Path, team: Team) -> Run:
    result = opsgate(venv, team.repo, f"--target={team.target}", "-m", SELECTION)
    output = result.stdout + result.stderr
    report = re.search(r"Generated html report: file://(\S+\.html)", result.stdout)
    assert report and Path(report[1]).parent == team.repo / "reports", output[-3000:]
    assert f"rootdir: {team.repo}" in output and "/site-packages/opsgate/pytest.ini" in output  # the installed one
    page = Path(report[1]).read_text()
    return Run(result.returncode, output, page, Path(report[1]).with_suffix(".xml").read_text())


@pytest.fixture(scope="module")
def runs(venv: Path, team: Team, stack: Stack) -> tuple[Run, Run]:
    """The team's run with Redis down and its bucket deleted (healed whatever happens), then healed."""
    stack.inject("redis-down")
    try:
        stack.inject("s3-backup-unreadable")
        try:
            broken = _team_run(venv, team)
        finally:
            stack.heal("s3-backup-unreadable")
    finally:
        stack.heal("redis-down")
    return broken, _team_run(venv, team)


@pytest.fixture(scope="module")
def runbook() -> dict[str, Section]:
    """opsgate's runbook and the team's, as the run reads them."""
    return load_runbook(EXAMPLE / "runbook")


def test_both_failures_cite_their_runbook_on_the_console(runs: tuple[Run, Run], runbook: dict[str, Section]) -> None:
    broken, _ = runs
    assert broken.returncode == 1, broken.output[-5000:]
    assert f"\u2192 runbook redis/unreachable: {runbook['redis/unreachable'].hint}" in broken.output
    assert f"\u2192 runbook objectstore/bucket-missing: {runbook['objectstore/bucket-missing'].hint}" in broken.output
    assert "HEAD http://127.0.0.1:19900/opsgate-backups answered 404" in broken.output
    assert "(no such section!)" not in broken.output
    assert "ROOT CAUSE redis down" in broken.output
    assert "FAILED ON ITS OWN opsgate/checks/test_objectstore.py::test_uploads_bucket_exists" in broken.output
    assert "test_objectstore.py::test_store_answers PASSED" in broken.output, "the store itself still answers"


def _extras(page: str, check: str) -> list[str]:
    """The HTML blocks pytest-html shows under `check` (a node id's end), from the JSON its page renders."""
    blob = json.loads(html.unescape(re.search(r'data-jsonblob="([^"]*)"', page)[1]))
    [runs] = [runs for nodeid, runs in blob["tests"].items() if nodeid.endswith(check)]
    return [extra["content"] for run in runs for extra in run.get("extras", []) if extra["format_type"] == "html"]


def _cell(page: str, label: str) -> str:
    """A grid cell's state and text, e.g. 'failed: object store 1 of 2 failed'."""
    found = re.search(rf'class="opsgate-cell opsgate-([a-z-]+)"[^>]*><b>{label}</b>([^<]*)</div>', page)
    assert found, f"no grid cell {label}"
    return f"{found[1]}: {label} {found[2]}"


def test_the_report_shows_both_what_to_do_blocks_and_the_teams_cell(runs: tuple[Run, Run],
                                                                   runbook: dict[str, Section]) -> None:
    broken, healed = runs
    assert what_to_do_html(runbook["redis/unreachable"]) in _extras(broken.page, "::test_ping_within_budget")
    assert what_to_do_html(runbook["objectstore/bucket-missing"]) in _extras(broken.page,
                                                                              "::test_uploads_bucket_exists")
    assert _cell(broken.page, "object store") == "failed: object store 1 of 2 failed"
    assert _cell(broken.page, "Redis") == "failed: Redis 6 of 6 failed"
    assert _cell(healed.page, "object store") == "passed: object store 2 passed"


def test_healed_the_same_command_passes_and_the_team_checks_record_what_they_measured(
        runs: tuple[Run, Run]) -> None:
    _, healed = runs
    assert healed.returncode == 0, healed.output[-5000:]
    assert re.search(r'<property name="bucket" value="opsgate-backups: HTTP 200 in \d+ ms"', healed.junit)
    assert re.search(r'<property name="store_answer" value="HTTP 200 in \d+ ms"', healed.junit)
