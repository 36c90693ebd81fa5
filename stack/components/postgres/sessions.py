"""Faults of misbehaving clients: sessions held in a bad state by the `holder` helper process (exhausted
connection slots, idle in transaction, a long query, a lock wait) and an orphaned prepared transaction."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import psycopg

from stack import process
from stack.components.postgres.faults import SESSION_AGE_S
from stack.components.postgres.holder import APPLICATION
from stack.components.postgres.server import admin_connection
from stack.config import ROOT, app_dsn
from stack.model import Controller, Fault
from stack.process import NotReady

PG_HOLDER = "pg-holder"
PREPARED_GID = "opsgate-fault-orphan"


def _wait_for_sessions(condition: str, count: int = 1) -> None:
    """Until at least `count` fault sessions match `condition` and have been in that state for SESSION_AGE_S."""

    def probe() -> None:
        with admin_connection("app") as conn:
            matching = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND "
                f"({condition}) AND now() - state_change > make_interval(secs => %s)",
                (APPLICATION, SESSION_AGE_S),
            ).fetchone()[0]
        if matching < count:
            raise NotReady(f"{matching} of {count} fault sessions in state")

    process.wait_ready(PG_HOLDER, probe, deadline=SESSION_AGE_S + 20)


def _hold_sessions(mode: str, condition: str, count: int = 1) -> None:
    argv = [sys.executable, "-m", "stack.components.postgres.holder", mode, str(count)]
    process.spawn(PG_HOLDER, argv, cwd=ROOT)
    _wait_for_sessions(condition, count)


def _holding(mode: str, condition: str) -> Callable[[Controller], None]:
    return lambda _stack: _hold_sessions(mode, condition)


def _exhaust_connections(_stack: Controller) -> None:
    """Hold enough sessions to fill 90% of the slots ordinary roles may use (the gate still gets one)."""
    with admin_connection() as conn:
        used, usable = conn.execute(
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),"
            " current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int"
        ).fetchone()
    count = int(usable * 0.9) - used + 1  # +1: the admin session above has closed
    _hold_sessions("connections", "state = 'idle'", count)


def _release_sessions(_stack: Controller) -> None:
    process.stop(PG_HOLDER)
    # A backend inside pg_sleep or a lock wait does not notice its client is gone: end the sessions server-side.
    with admin_connection() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (APPLICATION,)
        )


def _orphan_prepared_transaction(_stack: Controller) -> None:
    """PREPARE TRANSACTION and walk away, as a crashed two-phase-commit coordinator does; then let it age."""
    with psycopg.connect(app_dsn(), connect_timeout=5, autocommit=False) as conn:
        conn.execute("SELECT 1")
        conn.execute(f"PREPARE TRANSACTION '{PREPARED_GID}'")
    time.sleep(SESSION_AGE_S)


def _rollback_orphan(_stack: Controller) -> None:
    with admin_connection("app") as conn:
        if conn.execute("SELECT 1 FROM pg_prepared_xacts WHERE gid = %s", (PREPARED_GID,)).fetchone():
            conn.execute(f"ROLLBACK PREPARED '{PREPARED_GID}'")


FAULTS = (
    Fault(
        "pg-connections-exhausted",
        "idle sessions hold 90% of PostgreSQL's usable connection slots",
        _exhaust_connections,
        undo=_release_sessions,
    ),
    Fault(
        "pg-idle-in-transaction",
        f"a session sits idle in an open transaction (for {SESSION_AGE_S:g} s+)",
        _holding("idle-in-transaction", "state = 'idle in transaction'"),
        undo=_release_sessions,
    ),
    Fault(
        "pg-long-query",
        f"a query runs pg_sleep(3600) (for {SESSION_AGE_S:g} s+)",
        _holding("long-query", "state = 'active' AND query LIKE '%%pg_sleep%%'"),
        undo=_release_sessions,
    ),
    Fault(
        "pg-lock-wait",
        "a session holds a row lock in an open transaction; another waits for it",
        _holding("lock-wait", "wait_event_type = 'Lock'"),
        undo=_release_sessions,
    ),
    Fault(
        "pg-prepared-transaction",
        f"a prepared transaction is left behind (for {SESSION_AGE_S:g} s+)",
        _orphan_prepared_transaction,
        undo=_rollback_orphan,
    ),
)
