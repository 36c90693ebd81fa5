"""Self-test fixtures: the reference stack, brought up once per run through its Python API."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from stack.core import Stack

ROOT = Path(__file__).resolve().parent.parent
# The self-tests' own CI job summary and artifact are not their gates': a gate run here must not append to them.
CI_ONLY = ("GITHUB_STEP_SUMMARY", "OPSGATE_REPORT_ARTIFACT")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stack: self-tests that drive the reference stack")


# Modules that change the stack's shape run last, in this order: the variant takes the whole stack over and
# gives it back as the default; the debian extension then comes and goes beside that default.
SHAPE_MODULES = ("test_variant_shape.py", "test_debian_shape.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return SHAPE_MODULES.index(item.path.name) + 1 if item.path.name in SHAPE_MODULES else 0

    items.sort(key=rank)  # stable: every other test keeps its order


@pytest.fixture(scope="session")
def stack() -> Stack:
    """The running reference stack; `up` is idempotent and heals any fault a crashed test left behind."""
    stack = Stack()
    stack.up()
    return stack


@functools.cache
def self_test_reports() -> Path:
    """Where the gates the self-tests run write their reports (one folder per test process, removed at its end):
    never over the operator's reports/latest.*"""
    path = Path(tempfile.mkdtemp(prefix="opsgate-self-test-reports-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def gate_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a gate a self-test runs: ours, reports in self_test_reports(), then `env`."""
    inherited = {key: value for key, value in os.environ.items() if key not in CI_ONLY}
    return {**inherited, "OPSGATE_REPORTS_DIR": str(self_test_reports()), **(env or {})}


def run_pytest(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run opsgate's pytest in a subprocess from the repo root, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=gate_env(env),
    )
