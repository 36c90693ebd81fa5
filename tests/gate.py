"""Run an opsgate suite in a subprocess against the reference stack and read its JUnit verdicts."""

from __future__ import annotations

import contextlib
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from opsgate.plugin.inconclusive import EXIT_INCONCLUSIVE
from stack.core import Stack
from tests.conftest import ROOT, run_pytest
from tests.hostile import Hostile
from tests.matrix import Row

LOCAL_TARGET = ROOT / "targets" / "local.yml"
VARIANT_TARGET = ROOT / "targets" / "variant.yml"  # the stack's variant shape
DEBIAN_TARGET = ROOT / "targets" / "debian.yml"  # the stack's debian shape


@dataclass(frozen=True)
class Verdict:
    outcome: str  # "passed" | "failed" | "error" | "skipped"
    runbook: str | None
    message: str


@dataclass(frozen=True)
class GateRun:
    returncode: int
    verdicts: dict[str, Verdict]  # "<module>::<test name>" -> verdict
    output: str

    def failed(self) -> dict[str, Verdict]:
        return {check: v for check, v in self.verdicts.items() if v.outcome == "failed"}

    def inconclusive(self) -> dict[str, Verdict]:
        return {check: v for check, v in self.verdicts.items()
                if v.outcome == "skipped" and "INCONCLUSIVE:" in v.message}


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in patch.items():
        merged[key] = _merge(base.get(key, {}), value) if isinstance(value, dict) else value
    return merged


def patched_target(name: str, patch: dict[str, Any], base: Path = LOCAL_TARGET) -> Path:
    """`base` with `patch` merged in, written beside .stack/ so its relative paths still hold."""
    if not patch:
        return base
    path = ROOT / ".stack" / f"matrix-{name}.yml"
    path.write_text(yaml.safe_dump(_merge(yaml.safe_load(base.read_text()), patch)))
    return path


def read_junit(path: Path) -> dict[str, Verdict]:
    verdicts = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        check = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        outcome, message = "passed", ""
        for kind in ("failure", "error", "skipped"):
            element = case.find(kind)
            if element is not None:
                outcome = "failed" if kind == "failure" else kind
                message = f"{element.get('message', '')}\n{element.text or ''}"
                break
        verdicts[check] = Verdict(outcome, properties.get("runbook"), message)
    return verdicts


def run_gate(marker: str, workdir: Path, *, target: Path = LOCAL_TARGET, env: dict[str, str] | None = None,
             extra: tuple[str, ...] = ()) -> GateRun:
    junit = workdir / f"{marker}.xml"
    result = run_pytest("-m", marker, f"--target={target}", "--no-reports", f"--junitxml={junit}", *extra,
                        env=env)
    verdicts = read_junit(junit) if junit.exists() else {}
    return GateRun(result.returncode, verdicts, result.stdout + result.stderr)


def runs_at_once(cases: dict[str, Callable[[Path], GateRun]], tmp_path_factory: pytest.TempPathFactory,
                 at_once: int = 4) -> dict[str, tuple[GateRun, Path]]:
    """Independent gate runs side by side (they mostly wait on imports and sockets), each in a folder of its own:
    each case's (run, folder), by name."""
    folders = {name: tmp_path_factory.mktemp(name) for name in cases}
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        started = {name: pool.submit(run, folders[name]) for name, run in cases.items()}
    return {name: (future.result(), folders[name]) for name, future in started.items()}


def matches(pattern: str, check: str) -> bool:
    """`*` is the only wildcard: check ids are full of [ ] that fnmatch would read as character classes."""
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), check) is not None


def _filled(patch: Any, where: str) -> Any:
    """`patch` with "{hostile}" in its strings replaced by the row's hostile server's host:port."""
    if isinstance(patch, dict):
        return {key: _filled(value, where) for key, value in patch.items()}
    return patch.replace("{hostile}", where) if isinstance(patch, str) else patch


# A fault's observation, read straight from the servers (not through opsgate's checks): what to observe, the
# healthy observation, the broken one.
Observation = tuple[Callable[[], object], object, object]


def assert_fault_observed(stack: Stack, name: str, observation: Observation) -> None:
    """The stack is healthy, `name` injected breaks it, healed it is healthy again, as observed."""
    observe, healthy, broken = observation
    assert observe() == healthy, "the stack must be healthy before the fault"
    stack.inject(name)
    try:
        assert name in stack.active_faults()
        assert observe() == broken
    finally:
        stack.heal(name)
    assert observe() == healthy
    assert name not in stack.active_faults()


def assert_row(row: Row, stack: Stack, healthy: dict[str, GateRun], workdir: Path, base: Path) -> GateRun:
    """Inject the row's fault, run its suite, heal; exactly the row's checks fail, each citing its section, those
    whose fact the fault takes away skip saying so, and every other check keeps the outcome it had on the healthy
    stack. The run, for a row's own assertions."""
    with contextlib.ExitStack() as servers:
        patch = row.target_patch
        if row.hostile:
            patch = _filled(patch, f"127.0.0.1:{servers.enter_context(Hostile(row.hostile)).port}")
        if row.fault:
            stack.inject(row.fault)
        began = time.monotonic()
        try:
            run = run_gate(row.suite, workdir, target=patched_target(row.name, patch, base), env=row.env)
        finally:
            if row.fault:
                stack.heal(row.fault)
        took_s = time.monotonic() - began
    assert run.verdicts, run.output[-3000:]
    if row.within_s is not None:
        assert took_s <= row.within_s, f"{row.name}: the run took {took_s:.0f} s; it must end within {row.within_s:g} s"
        assert "opsgate: 1 root cause," in run.output, f"{row.name} must be one root cause: {run.output[-2000:]}"
    exit_code = EXIT_INCONCLUSIVE if row.inconclusive else 1
    assert run.returncode == exit_code, f"the gate must exit {exit_code} under {row.name}: {run.output[-2000:]}"
    errors = {check: v.message[:300] for check, v in run.verdicts.items() if v.outcome == "error"}
    assert not errors, f"checks crashed instead of failing: {errors}"

    failed = run.inconclusive() if row.inconclusive else run.failed()
    for pattern, runbook in row.expect.items():
        hits = [check for check in failed if matches(pattern, check)]
        assert hits, f"{pattern} should {'be inconclusive' if row.inconclusive else 'fail'} under {row.name}; " \
            f"those that did: {sorted(failed)}"
        for check in hits:
            assert failed[check].runbook == runbook, f"{check} cites {failed[check].runbook}, expected {runbook}"
            assert f"runbook {runbook}" in failed[check].message, f"{check}'s message must end with the runbook id"
    for pattern, reason in row.skip.items():
        hits = {check: v for check, v in run.verdicts.items() if matches(pattern, check)}
        assert hits, f"{pattern} should skip under {row.name}; the checks: {sorted(run.verdicts)}"
        for check, verdict in hits.items():
            assert verdict.outcome == "skipped" and reason in verdict.message, \
                f"{check} must skip saying {reason!r} under {row.name}: {verdict.outcome}: {verdict.message[:300]}"
    unexpected = {
        check: f"{healthy[row.suite].verdicts.get(check)} -> {verdict.outcome}: {verdict.message[:200]}"
        for check, verdict in run.verdicts.items()
        if not any(matches(pattern, check) for pattern in (*row.expect, *row.skip))
        and verdict.outcome != getattr(healthy[row.suite].verdicts.get(check), "outcome", None)
    }
    assert not unexpected, f"checks outside the row changed state: {unexpected}"
    return run
