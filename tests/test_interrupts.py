"""Interrupts end the gate promptly and cleanly: SIGINT and SIGTERM against a gate stuck on dead servers (a
browser waiting for a page that never loads among them) end it, remove the browser's temp profile, and leave
the partial report named as interrupted while reports/latest.* keeps pointing at the last complete run."""

from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, gate_env, self_test_reports
from tests.test_bad_input import blackhole

REPORTS = self_test_reports()
GRACE_S = 20.0  # a hang guard proving the run ends, not a speed budget (the measured figure is printed)


def _profiles() -> set[str]:
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "opsgate-chromium-*")))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_gate_ends_cleanly_and_says_it_is_partial(sig: signal.Signals, tmp_path: Path) -> None:
    latest = REPORTS / "latest.xml"
    latest_before = os.readlink(latest) if latest.is_symlink() else None
    reports_before, profiles_before = set(REPORTS.glob("*")), _profiles()
    with blackhole() as port:
        target = tmp_path / "stuck.yml"
        stuck = f"https://127.0.0.1:{port}/"
        target.write_text(yaml.safe_dump({
            "name": "stuck", "environment": "staging",
            "app": {"base_url": stuck, "timeout_s": 60, "liveness": {"path": "/health"}},
            "frontend": {"url": stuck, "ready_selector": "#never", "timeout_s": 60},
        }))
        gate = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:randomly", "-m", "smoke",
                                 f"--target={target}"], cwd=ROOT, env=gate_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        time.sleep(4)  # collected, the browser started, a check waiting on the silent server
        began = time.monotonic()
        gate.send_signal(sig)
        try:
            output, _ = gate.communicate(timeout=GRACE_S)
        except subprocess.TimeoutExpired:
            gate.kill()
            pytest.fail(f"the gate did not end within {GRACE_S:g} s of {sig.name}")
    ended_after = time.monotonic() - began
    print(f"{sig.name}: the gate ended {ended_after:.1f} s after the signal")
    # the run's reports; the run history and its index are rewritten by every run, interrupted or not
    new_reports = set(REPORTS.glob("*")) - reports_before - {REPORTS / "history.jsonl", REPORTS / "index.html"}
    try:
        assert gate.returncode == pytest.ExitCode.INTERRUPTED, output[-2000:]
        assert "Traceback" not in output.split("KeyboardInterrupt")[0], output[-2000:]
        assert _profiles() - profiles_before == set(), "the browser's temp profile was left behind"
        assert new_reports and all("-interrupted." in path.name for path in new_reports), new_reports
        assert (os.readlink(latest) if latest.is_symlink() else None) == latest_before
    finally:
        for path in new_reports:
            path.unlink()
