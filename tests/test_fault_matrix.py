"""The fault matrix: each check passes on the healthy stack and fails, citing its runbook id, on its fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from stack.core import Stack
from stack.shapes import DEFAULT
from tests.gate import LOCAL_TARGET, GateRun, assert_row, matches, run_gate
from tests.matrix import NOT_EXERCISED, ROWS, Row

pytestmark = pytest.mark.stack
FAULTS = [fault.name for fault in DEFAULT.faults]  # the self-tests run the default shape
SUITES = sorted({row.suite for row in ROWS})


def test_every_fault_has_a_matrix_row() -> None:
    """A fault nobody runs the suites against proves nothing."""
    assert set(FAULTS) - {row.fault for row in ROWS} == set()


@pytest.fixture(scope="module")
def healthy(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, GateRun]:
    """Each suite's run against the healthy stack: the baseline every fault row is compared with."""
    return {suite: run_gate(suite, tmp_path_factory.mktemp(f"healthy-{suite}")) for suite in SUITES}


@pytest.mark.parametrize("suite", SUITES)
def test_healthy_stack_passes_the_whole_suite(healthy: dict[str, GateRun], suite: str) -> None:
    run = healthy[suite]
    assert run.returncode == 0, run.output[-3000:]
    assert run.verdicts, "the suite executed no checks"
    not_passed = {
        check: v.outcome
        for check, v in run.verdicts.items()
        if v.outcome != "passed" and not any(matches(pattern, check) for pattern in NOT_EXERCISED)
    }
    assert not not_passed, f"on the healthy stack every check must pass, not be skipped: {not_passed}"


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_fault_fails_exactly_its_checks(row: Row, stack: Stack, healthy: dict[str, GateRun], tmp_path: Path) -> None:
    assert_row(row, stack, healthy, tmp_path, LOCAL_TARGET)
