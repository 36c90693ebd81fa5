"""Run an opsgate suite in a subprocess against the reference stack and read its JUnit verdicts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT, run_pytest

LOCAL_TARGET = ROOT / "targets" / "local.yml"


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


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in patch.items():
        merged[key] = _merge(base.get(key, {}), value) if isinstance(value, dict) else value
    return merged


def patched_target(name: str, patch: dict[str, Any]) -> Path:
    """targets/local.yml with `patch` merged in, written beside .stack/ so its relative paths still hold."""
    if not patch:
        return LOCAL_TARGET
    path = ROOT / ".stack" / f"matrix-{name}.yml"
    path.write_text(yaml.safe_dump(_merge(yaml.safe_load(LOCAL_TARGET.read_text()), patch)))
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


def matches(pattern: str, check: str) -> bool:
    """`*` is the only wildcard: check ids are full of [ ] that fnmatch would read as character classes."""
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), check) is not None
