"""Capacity: free connection slots, and no session stuck idle in a transaction, running, or waiting too long."""

import pytest

from fixtures.postgres import Database, fail_sessions
from fixtures.target import Postgres

pytestmark = pytest.mark.db
CONNECT = ("db/unreachable", "db/not-accepting", "db/auth-failed", "db/database-missing")


@pytest.mark.runbook("db/connections-exhausted", *CONNECT)
def test_connection_slots_are_not_nearly_exhausted(db: Database, postgres: Postgres) -> None:
    used, usable = db.connection_usage()
    assert 100 * used / usable < postgres.max_connections_pct, (
        f"{used} of {usable} usable connections in use ({100 * used / usable:.0f}%, "
        f"threshold {postgres.max_connections_pct:g}%)"
    )


@pytest.mark.runbook("db/idle-in-transaction", *CONNECT)
def test_no_session_idle_in_transaction_too_long(db: Database, postgres: Postgres) -> None:
    limit = postgres.idle_in_transaction_max_s
    fail_sessions(
        "db/idle-in-transaction",
        "idle in transaction",
        db.sessions("state LIKE 'idle in transaction%%'", limit, since="state_change"),
        limit,
    )


@pytest.mark.runbook("db/long-query", *CONNECT)
def test_no_query_runs_too_long(db: Database, postgres: Postgres) -> None:
    limit = postgres.query_max_s
    fail_sessions(
        "db/long-query", "running one query", db.sessions("state = 'active'", limit, since="query_start"), limit
    )


@pytest.mark.runbook("db/long-transaction", *CONNECT)
def test_no_transaction_open_too_long(db: Database, postgres: Postgres) -> None:
    limit = postgres.transaction_max_s
    fail_sessions(
        "db/long-transaction",
        "in one transaction",
        db.sessions("xact_start IS NOT NULL", limit, since="xact_start"),
        limit,
    )


@pytest.mark.runbook("db/lock-wait", *CONNECT)
def test_no_session_waits_on_a_lock_too_long(db: Database, postgres: Postgres) -> None:
    waits = db.lock_waits(postgres.lock_wait_max_s)
    assert not waits, (
        f"{len(waits)} session(s) waiting on locks longer than {postgres.lock_wait_max_s:g} s: "
        + "; ".join(map(str, waits[:3]))
    )


@pytest.mark.runbook("db/prepared-transactions", *CONNECT)
def test_no_old_prepared_transactions(db: Database, postgres: Postgres) -> None:
    old = db.old_prepared_transactions(postgres.prepared_transaction_max_s)
    assert not old, "prepared transactions left behind: " + ", ".join(
        f"{row['gid']} (owner {row['owner']}, {row['seconds']:.0f} s)" for row in old[:5]
    )
