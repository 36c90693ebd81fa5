"""Replication: the replica the target names is in recovery, streaming, and close behind the primary."""

import pytest

from opsgate.plugin.checks import required
from opsgate.probes.postgres import Database
from opsgate.target import Postgres, Target

pytestmark = pytest.mark.db


@pytest.mark.runbook("db/replica-lag", "db/unreachable", "db/not-accepting", "db/auth-failed", "db/database-missing")
def test_replica_streams_within_lag(postgres: Postgres, target: Target) -> None:
    config = required(postgres.replica, "postgres.replica", target)
    replica = Database(config.dsn, connect_timeout_s=postgres.connect_timeout_s)
    try:
        state = replica.replication()
    finally:
        replica.close()
    assert state["in_recovery"], "the replica is not in recovery: it was promoted or is a primary"
    assert state["receiver"] == "streaming", f"the replica's WAL receiver is {state['receiver'] or 'not running'}"
    lag = state["lag_s"] or 0.0
    assert lag <= config.max_lag_s, f"replay lag {lag:.0f} s (threshold {config.max_lag_s:g} s)"
