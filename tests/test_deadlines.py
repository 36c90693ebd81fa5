"""Deadlines bound blocking calls (even in C code), nest correctly, and the gate's budget ends a run."""

from __future__ import annotations

import socket
import time

import pytest

from fixtures.deadline import DeadlineExceeded, deadline
from tests.conftest import run_pytest


def test_a_deadline_interrupts_a_blocking_read() -> None:
    left, right = socket.socketpair()
    with left, right, pytest.raises(DeadlineExceeded, match=r"reading: not done within 0\.3 s"):
        began = time.monotonic()
        with deadline(0.3, "reading"):
            left.recv(1)  # nothing ever arrives; no socket timeout is set
    assert time.monotonic() - began < 5


def test_an_outer_deadline_passes_through_an_inner_one() -> None:
    with pytest.raises(DeadlineExceeded, match="outer"), deadline(0.2, "outer"):
        try:
            with deadline(30, "inner"):
                time.sleep(5)
        except DeadlineExceeded as exc:
            pytest.fail(f"the inner block claimed the outer deadline: {exc}")


def test_a_finished_block_leaves_no_timer_behind() -> None:
    with deadline(0.2, "quick"):
        pass
    time.sleep(0.4)  # an armed timer would raise here


def test_the_gate_budget_reports_the_rest_as_not_run_and_fails() -> None:
    result = run_pytest("-m", "db", "--no-reports", "--gate-timeout=0.01", timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-2000:]
    assert "not run: the gate's budget of 0.01 s" in output and "checks not run; failing the gate" in output, output
