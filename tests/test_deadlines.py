"""Deadlines bound blocking calls (even in C code: libpq waiting on a PostgreSQL that logs in and then stalls),
nest correctly, and the gate's budget ends a run."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from opsgate.core import outages
from opsgate.core.deadline import DeadlineExceeded, deadline
from opsgate.core.verdict import CheckFailed
from opsgate.dr.pg_programs import CONNECT_TIMEOUT_S, PgPrograms, ProgramFailed
from opsgate.plugin.sweep import postgres_probe as pg_probe
from opsgate.plugin.sweep import sweep
from opsgate.probes.postgres import Database
from stack.components.postgres.server import PG_BIN
from tests.conftest import run_pytest
from tests.hostile import Hostile


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


@contextmanager
def stalling_postgres() -> Iterator[str]:
    with Hostile("pg-stall") as server:
        yield f"postgresql://monitor:pw@127.0.0.1:{server.port}/app"


def test_the_sweep_finds_a_postgres_that_logs_in_and_stalls() -> None:
    ledger = outages.open_ledger()
    try:
        with stalling_postgres() as dsn:
            began = time.monotonic()
            found = sweep([pg_probe("postgres", dsn, 1)])
            assert time.monotonic() - began < 5
    finally:
        outages.close_ledger(ledger)
    assert [(o.component, o.kind) for o in found] == [("postgres", "stalled")], found
    assert ledger.found == found


def test_a_query_that_never_gets_an_answer_ends_at_its_deadline_and_is_not_retried() -> None:
    with stalling_postgres() as dsn:
        database = Database(dsn, connect_timeout_s=2)
        with pytest.raises(CheckFailed, match="did not answer `SELECT 1` within") as first:
            database.value("SELECT 1")
        assert first.value.runbook == "db/unreachable"
        began = time.monotonic()
        with pytest.raises(CheckFailed, match="did not answer"):
            database.value("SELECT 2")  # the session is known dead: no second wait
        assert time.monotonic() - began < 1


def test_a_postgres_program_gives_up_on_a_silent_server_at_its_connect_timeout() -> None:
    """pg_dump, psql ... get libpq's connect timeout: a source that accepts and never answers fails in seconds, not
    at the step's deadline (backup.step_timeout_s, 600 s by default)."""
    programs = PgPrograms(PG_BIN, timeout_s=CONNECT_TIMEOUT_S + 30)
    with Hostile("silent") as server, pytest.raises(ProgramFailed, match="timeout expired"):
        began = time.monotonic()
        programs.run("psql", "-w", "-d", f"postgresql://app@127.0.0.1:{server.port}/app", "-c", "select 1")
    assert time.monotonic() - began < CONNECT_TIMEOUT_S + 5
