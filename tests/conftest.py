"""Self-test fixtures: the reference stack, brought up once per run through its Python API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stack.core import Stack

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def stack() -> Stack:
    """The running reference stack; `up` is idempotent and heals any fault a crashed test left behind."""
    stack = Stack()
    stack.up()
    return stack


def run_pytest(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run opsgate's pytest in a subprocess from the repo root, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
