"""Capacity: free connection slots, and no session stuck idle in a transaction, running, or waiting too long."""

import pytest

from opsgate.probes.postgres import Database, fail_sessions
from opsgate.target import Postgres

pytestmark = pytest.mark.db
CONNECT = ("db/unreachable", "db/not-accepting", "db/auth-failed", "db/database-missing")


@pytest.mark.runbook("db/connections-exhausted", *CONNECT)
def test_connection_slots_are_not_nearly_exhausted(db: Database, postgres: Postgres) -> None:
    used, usable = db.connection_usage()
    assert 100 * used / usable < postgres.max_connections_pct, (
        f"{used} of {usable} usable connections in use ({100 * used / usable:.0f}%, "
        f"threshold {postgres.max_connections_pct:g}%)"
    )


# runbook id -> (which sessions, since when they are in that state, how a message says it, threshold key)
STUCK_SESSIONS = {
    "db/idle-in-transaction": (
        "state LIKE 'idle in transaction%%'",
        "state_change",
        "idle in transaction",
        "idle_in_transaction_max_s",
    ),
    "db/long-query": ("state = 'active'", "query_start", "running one query", "query_max_s"),
    "db/long-transaction": ("xact_start IS NOT NULL", "xact_start", "in one transaction", "transaction_max_s"),
}


@pytest.mark.parametrize("stuck", STUCK_SESSIONS, ids=[key.split("/")[1] for key in STUCK_SESSIONS])
@pytest.mark.runbook(*STUCK_SESSIONS, *CONNECT)
def test_no_session_stuck(stuck: str, db: Database, postgres: Postgres) -> None:
    condition, since, state, threshold = STUCK_SESSIONS[stuck]
    limit = getattr(postgres, threshold)
    fail_sessions(stuck, state, db.sessions(condition, limit, since=since), limit)


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
