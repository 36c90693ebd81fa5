"""Benchmark: the smoke gate's start-up, before and after the installable package, side by side in one run.

    .venv/bin/python -m perf.bench_startup [--runs 5]

"Start-up" is the time from just before the process starts to the moment its first check begins (its
`pytest_runtest_setup`), measured by a tiny pytest plugin the benchmark writes into a temporary directory and loads
with `-p` in every contender. Also reported: the CPU time the gate's process had used by then (what a busy machine
disturbs least) and the run's total wall time. The contenders, each `-m smoke --no-reports -p no:randomly` against
the reference stack (targets/local.yml with its paths made absolute):

  before       commit c6056b8 (one flat package, every dependency mandatory) exported with `git archive`, installed
               with `pip install <dir>` into a venv of its own, run as it was: `pytest` from that directory;
  after        the current package (this checkout, uncommitted work included) built as a wheel, installed without
               extras into a venv of its own, run as `opsgate` from an unrelated temporary directory;
  after [all]  the same wheel with every extra (containers, kubernetes, load, dr, trends): the same installed
               packages as before, so any difference from `before` is the new structure, not fewer packages.

The three venvs are kept in .stack/bench-venvs/ (a venv is rebuilt when its commit, its wheel's requirements or
the interpreter change; building them takes a few minutes the first time). Every venv gets the versions of
.venv's packages (as constraints), so the contenders differ only in opsgate. Bytecode is written
(PYTHONDONTWRITEBYTECODE is unset for the runs) and a first, uncounted round warms it and the page cache: the
figures are an installed gate's steady state. The contenders alternate so drift on the machine hits all alike.
Prints Markdown tables of medians with ratios to `before`, and, as of the first check, how many modules each
contender had loaded and which of the extras' packages it had imported (or only installed). Every run must pass
(exit 0): a failing check aborts the benchmark rather than timing an outage.
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perf.benchlib import ROOT, print_table, stack_up, timed

BEFORE_COMMIT = "c6056b8"
VENVS = ROOT / ".stack" / "bench-venvs"
OPTIONAL = ("docker", "kubernetes", "locust", "boto3", "matplotlib")  # the extras' packages, by import name
PROBE = "opsgate_bench_probe"
PROBE_FILE = "OPSGATE_BENCH_PROBE_FILE"
SMOKE = ["-m", "smoke", "--no-reports", "-p", "no:randomly", "-p", PROBE]
# Left out of the wheel's source copy: state, caches and earlier builds (setuptools ships stale build/lib files).
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv*", ".stack", "build", "dist", "*.egg-info", "__pycache__",
                                    "reports", ".pytest_cache", ".ruff_cache", "node_modules")
PROBE_SOURCE = f'''
"""Written by perf/bench_startup.py: when the first check begins, and what had been imported by then."""
import importlib.util
import json
import os
import sys
import time

import pytest

_state = {{"checks": None, "first_check": None}}


def _write():
    with open(os.environ["{PROBE_FILE}"], "w") as out:
        json.dump(_state, out)


def pytest_collection_finish(session):
    _state["checks"] = len(session.items)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if _state["first_check"] is None:
        _state["first_check"] = time.time()
        _state["cpu"] = time.process_time()
        _state["modules"] = len(sys.modules)
        _state["imported"] = [name for name in {OPTIONAL!r} if name in sys.modules]
        _state["installed"] = [name for name in {OPTIONAL!r} if importlib.util.find_spec(name) is not None]
        _write()


def pytest_terminal_summary(terminalreporter):
    _state["passed"] = len(terminalreporter.stats.get("passed", []))
    _write()
'''


@dataclass
class Contender:
    name: str
    command: list[str]  # the gate's command line, without SMOKE and the target
    cwd: Path
    target: Path
    first_check_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    wall_s: list[float] = field(default_factory=list)
    probe: dict[str, Any] = field(default_factory=dict)  # the last run's record

    def run(self, probe_dir: Path) -> None:
        """One sample. benchlib's `timed` runs in the checkout, so `env` moves to the contender's directory and
        sets the probe's environment (its own start-up, about a millisecond, is counted in both figures)."""
        record = probe_dir / "probe.json"
        record.unlink(missing_ok=True)
        env = ["env", "-C", str(self.cwd), "-u", "PYTHONDONTWRITEBYTECODE", f"PYTHONPATH={probe_dir}",
               f"{PROBE_FILE}={record}"]
        started = time.time()
        wall = timed([*env, *self.command, *SMOKE, f"--target={self.target}"])
        if not record.exists() or json.loads(record.read_text())["first_check"] is None:
            sys.exit(f"{self.name}: no check began (was the probe plugin loaded?)")
        self.probe = json.loads(record.read_text())
        self.first_check_s.append(self.probe["first_check"] - started)
        self.cpu_s.append(self.probe["cpu"])
        self.wall_s.append(wall)


def pip(python: Path, *args: str) -> None:
    """`python -m pip ARGS`, its output shown only when it fails."""
    result = subprocess.run([str(python), "-m", "pip", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"pip {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}")


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


def fresh_venv(venv: Path, key: str) -> bool:
    """Whether `venv` must be (and now has been) created anew: it is missing, or was built for another `key`."""
    stamp = venv / "bench-key"
    if stamp.exists() and stamp.read_text() == key:
        return False
    shutil.rmtree(venv, ignore_errors=True)
    print(f"creating {venv.relative_to(ROOT)} (a few minutes)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    stamp.write_text(key)
    return True


def constraints() -> Path:
    """.venv's package versions, so every contender imports the same releases of the same packages."""
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], check=True,
                            capture_output=True, text=True).stdout
    path = VENVS / "constraints.txt"
    path.write_text("".join(line + "\n" for line in frozen.splitlines()
                            if line and not line.startswith(("#", "-e", "opsgate"))))
    return path


def before_venv(pins: Path) -> tuple[Path, Path]:
    """c6056b8's checkout and its venv: `pip install <checkout>`, every dependency mandatory then. The checkout is
    exported and opsgate reinstalled (from the wheel pip built the first time) on every run, since .stack/ lies
    inside the work tree, where a tree-wide edit may reach them."""
    commit = git("rev-parse", BEFORE_COMMIT)
    source, venv = VENVS / f"before-{BEFORE_COMMIT}", VENVS / f"before-{BEFORE_COMMIT}-venv"
    wheels = VENVS / f"before-{BEFORE_COMMIT}-wheel"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    python = venv / "bin" / "python"
    fresh = fresh_venv(venv, f"{commit} {sys.version}")
    if fresh or not any(wheels.glob("opsgate-*.whl")):  # what `pip install <checkout>` builds, kept
        shutil.rmtree(wheels, ignore_errors=True)
        pip(python, "wheel", "--no-deps", "-w", str(wheels), str(source))
        for built in (source / "build", *source.glob("*.egg-info")):  # pip builds in the tree: leave it as exported
            shutil.rmtree(built)
    wheel = str(next(wheels.glob("opsgate-*.whl")))
    pip(python, "install", *(["-c", str(pins), wheel] if fresh else ["--force-reinstall", "--no-deps", wheel]))
    return source, venv


def build_wheel(workdir: Path) -> Path:
    """The checkout as it is now (uncommitted work included), as a wheel built from a clean copy of it."""
    copy = workdir / "source"
    shutil.copytree(ROOT, copy, ignore=NOT_SOURCE, symlinks=True)
    pip(Path(sys.executable), "wheel", "--no-deps", "--no-build-isolation", "-w", str(workdir / "wheel"), str(copy))
    return next((workdir / "wheel").glob("opsgate-*.whl"))


def wheel_requirements(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        parsed = email.parser.Parser().parsestr(archive.read(metadata).decode())
    return "\n".join(sorted(parsed.get_all("Requires-Dist") or []))


def after_venv(wheel: Path, extras: str, pins: Path) -> Path:
    """A venv with the wheel (and `extras`): built anew when the wheel's requirements change, otherwise only the
    wheel is reinstalled."""
    venv = VENVS / f"after-{extras or 'gate'}-venv"
    key = hashlib.sha256(f"{extras}\n{wheel_requirements(wheel)}\n{sys.version}".encode()).hexdigest()
    python = venv / "bin" / "python"
    if fresh_venv(venv, key):
        pip(python, "install", "-c", str(pins), f"{wheel}[{extras}]" if extras else str(wheel))
    else:
        pip(python, "install", "--force-reinstall", "--no-deps", str(wheel))
    return venv


def absolute_target(source: Path, destination: Path) -> Path:
    """A copy of `source` (a targets/local.yml) whose paths relative to targets/ point into this checkout."""
    text = re.sub(r"(?<![\w/.])\.\./", f"{ROOT}/", source.read_text())  # as tests/test_gate_script.py does
    destination.write_text(text)
    return destination


def evidence(contenders: list[Contender]) -> None:
    print(f"\n| contender | checks | modules loaded | {' | '.join(OPTIONAL)} |\n"
          f"|---|---:|---:|{'---|' * len(OPTIONAL)}")
    for contender in contenders:
        probe = contender.probe
        cells = ["imported" if name in probe["imported"] else "installed, not imported"
                 if name in probe["installed"] else "not installed" for name in OPTIONAL]
        print(f"| {contender.name} | {probe['passed']}/{probe['checks']} passed | {probe['modules']} | "
              f"{' | '.join(cells)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    began = time.perf_counter()
    stack_up()
    VENVS.mkdir(parents=True, exist_ok=True)
    pins = constraints()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as temp:
        work = Path(temp)
        (work / "probe").mkdir()
        (work / "probe" / f"{PROBE}.py").write_text(PROBE_SOURCE)
        source, before = before_venv(pins)
        wheel = build_wheel(work)
        gate, full = after_venv(wheel, "", pins), after_venv(wheel, "all", pins)
        elsewhere = work / "team-repository"  # no pyproject.toml, no conftest.py: nothing of opsgate's
        elsewhere.mkdir()
        before_target = absolute_target(source / "targets" / "local.yml", work / "before-local.yml")
        after_target = absolute_target(ROOT / "targets" / "local.yml", work / "after-local.yml")
        contenders = [
            Contender(f"before ({BEFORE_COMMIT}, pytest in its checkout)", [str(before / "bin" / "pytest")],
                      source, before_target),
            Contender("after (opsgate, no extras)", [str(gate / "bin" / "opsgate")], elsewhere, after_target),
            Contender("after (opsgate[all])", [str(full / "bin" / "opsgate")], elsewhere, after_target),
        ]
        changed = len(git("status", "--porcelain").splitlines())
        print(f"before: {BEFORE_COMMIT}; after: {git('rev-parse', '--short', 'HEAD')} with {changed} uncommitted "
              f"change(s) in the work tree")
        print(f"venvs ready after {time.perf_counter() - began:.0f} s; warm-up round (not counted)", flush=True)
        for contender in contenders:
            contender.run(work / "probe")
        for contender in contenders:
            for samples in (contender.first_check_s, contender.cpu_s, contender.wall_s):
                samples.clear()
        for round_ in range(runs):
            for contender in contenders:
                contender.run(work / "probe")
            print(f"round {round_ + 1}/{runs}: " + ", ".join(
                f"{c.first_check_s[-1]:.2f} s to first check, {c.wall_s[-1]:.2f} s in all" for c in contenders),
                flush=True)
    baseline = contenders[0].name
    print("\nProcess start to first check (smoke gate, reference stack):")
    print_table({c.name: c.first_check_s for c in contenders}, baseline)
    print("\nCPU time of the gate's process by its first check (user + system; less disturbed by a busy machine):")
    print_table({c.name: c.cpu_s for c in contenders}, baseline)
    print("\nTotal wall time of the run:")
    print_table({c.name: c.wall_s for c in contenders}, baseline)
    print("\nImported by the time the first check began:")
    evidence(contenders)
    spread = "; ".join(f"{c.name} {min(c.first_check_s):.2f}-{max(c.first_check_s):.2f} s" for c in contenders)
    print(f"\nrange to first check: {spread}\nthe benchmark took {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
