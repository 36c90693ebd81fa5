"""Faults of the PostgreSQL server itself: stopped, slow statements, invalid index, full disk, missing
extension, sequence headroom, replica lag."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable

import psycopg

from stack import process
from stack.components.postgres.server import PG_FILESYSTEM, admin_connection
from stack.components.redis import flush_cache
from stack.config import app_dsn
from stack.model import Controller, Fault
from stack.probes import require
from stack.process import NotReady

# Faults wait until the bad state is this old; targets/local.yml sets its time thresholds below it.
SESSION_AGE_S = 4.0
FILLER = PG_FILESYSTEM / "filler.bin"
SLOW_STATEMENT = "SELECT pg_sleep(0.15) /* opsgate fault: slow statement */"
SLOW_STATEMENT_CALLS = 6
INVALID_INDEX_TABLE = "opsgate_fault_dupes"
LAG_TABLE = "opsgate_fault_lag"


def app_db(statement: str) -> Callable[[Controller], None]:
    """Run one statement as the superuser in the app database."""

    def run(_stack: Controller) -> None:
        with admin_connection("app") as conn:
            conn.execute(statement)

    return run


def _stop_postgres(stack: Controller) -> None:
    stack.stop("postgres")
    flush_cache()  # a cached item list would keep answering for up to 30 s and hide the outage from readers


def _run_slow_statement(_stack: Controller) -> None:
    """Enough calls of a 150 ms statement for pg_stat_statements to hold a slow mean (local target: 100 ms)."""
    with psycopg.connect(app_dsn(), connect_timeout=5, autocommit=True) as conn:
        for _ in range(SLOW_STATEMENT_CALLS):
            conn.execute(SLOW_STATEMENT)


def _fail_concurrent_index_build(_stack: Controller) -> None:
    """CREATE UNIQUE INDEX CONCURRENTLY over duplicates fails and leaves the index behind, invalid."""
    with admin_connection("app") as conn:
        conn.execute(f"DROP TABLE IF EXISTS {INVALID_INDEX_TABLE}")
        conn.execute(f"CREATE TABLE {INVALID_INDEX_TABLE} AS SELECT 1 AS v FROM generate_series(1, 2)")
        with contextlib.suppress(psycopg.errors.UniqueViolation):  # the failure is the point: the index stays
            conn.execute(f"CREATE UNIQUE INDEX CONCURRENTLY {INVALID_INDEX_TABLE}_v ON {INVALID_INDEX_TABLE} (v)")


def _fill_data_filesystem(_stack: Controller) -> None:
    """Fill the data directory's size-limited filesystem until 5% is free (the local threshold is 10%)."""
    if not os.path.ismount(PG_FILESYSTEM):
        raise RuntimeError(f"{PG_FILESYSTEM} is not the stack's size-limited filesystem (stack up as root mounts it)")
    usage = shutil.disk_usage(PG_FILESYSTEM)
    with FILLER.open("wb") as filler:
        os.posix_fallocate(filler.fileno(), 0, usage.free - usage.total // 20)


def _pause_replay(_stack: Controller) -> None:
    """Pause WAL replay on the replica, then write on the primary: the replica receives but does not apply.
    A first write before the pause gives the replica a replayed transaction to measure the lag from."""

    def write() -> str:
        with admin_connection("app") as conn:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {LAG_TABLE} (at timestamptz)")
            conn.execute(f"INSERT INTO {LAG_TABLE} VALUES (now())")
            return conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]

    def replica_value(query: str) -> object:
        with admin_connection("app", replica=True) as conn:
            return conn.execute(query).fetchone()[0]

    def lag_at_least(seconds: float) -> Callable[[], None]:
        def probe() -> None:
            lag = replica_value(
                "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
                " ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END"
            )
            if lag < seconds:
                raise NotReady(f"replay lag {lag} s")

        return probe

    written = write()
    process.wait_ready(
        "postgres-replica",
        lambda: require(
            replica_value(f"SELECT pg_last_wal_replay_lsn() >= '{written}'::pg_lsn"), "first write not replayed yet"
        ),
        deadline=20,
    )
    replica_value("SELECT pg_wal_replay_pause()")
    write()
    process.wait_ready("postgres-replica", lag_at_least(SESSION_AGE_S), deadline=SESSION_AGE_S + 20)


def _resume_replay(_stack: Controller) -> None:
    with admin_connection("app", replica=True) as conn:
        conn.execute("SELECT pg_wal_replay_resume()")
    with admin_connection("app") as conn:
        conn.execute(f"DROP TABLE IF EXISTS {LAG_TABLE}")


FAULTS = (
    Fault(
        "postgres-down",
        "PostgreSQL is stopped (and the read cache flushed)",
        _stop_postgres,
        ("postgres", "postgres-replica"),
    ),
    Fault(
        "pg-slow-statement",
        f"'{SLOW_STATEMENT}' runs {SLOW_STATEMENT_CALLS} times",
        _run_slow_statement,
        undo=app_db("SELECT pg_stat_statements_reset()"),
    ),
    Fault(
        "pg-invalid-index",
        "a CREATE UNIQUE INDEX CONCURRENTLY fails and leaves an invalid index",
        _fail_concurrent_index_build,
        undo=app_db(f"DROP TABLE IF EXISTS {INVALID_INDEX_TABLE}"),
    ),
    Fault(
        "pg-disk-low",
        "a file fills the data directory's filesystem to 95%",
        _fill_data_filesystem,
        undo=lambda _stack: FILLER.unlink(missing_ok=True),
    ),
    Fault(
        "pg-extension-missing",
        "DROP EXTENSION pg_stat_statements in the app database",
        app_db("DROP EXTENSION IF EXISTS pg_stat_statements"),
        undo=app_db("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"),
    ),
    Fault(
        "pg-sequence-near-max",
        "the items id sequence is set to 95% of its range",
        app_db("SELECT setval('items_id_seq', (9223372036854775807 * 0.95)::bigint)"),
        undo=app_db("SELECT setval('items_id_seq', (SELECT coalesce(max(id), 1) FROM items))"),
    ),
    Fault(
        "pg-replica-lag",
        "WAL replay pauses on the replica while the primary writes",
        _pause_replay,
        undo=_resume_replay,
    ),
)
