"""Maintenance: wraparound headroom, valid indexes, vacuumed big tables, sequences with room to grow."""

import pytest

from opsgate.probes.postgres import Database
from opsgate.target import Postgres

pytestmark = pytest.mark.db
CONNECT = ("db/unreachable", "db/not-accepting", "db/auth-failed", "db/database-missing")


@pytest.mark.runbook("db/xid-wraparound", *CONNECT)
def test_transaction_id_age_has_headroom(db: Database, postgres: Postgres) -> None:
    worst = db.freeze_ages()[0]
    assert worst["pct"] < postgres.freeze_age_max_pct, (
        f"database {worst['datname']}: age(datfrozenxid) {worst['age']} is {worst['pct']:.0f}% of "
        f"autovacuum_freeze_max_age (threshold {postgres.freeze_age_max_pct:g}%)"
    )


@pytest.mark.runbook("db/invalid-index", *CONNECT)
def test_no_invalid_indexes(db: Database) -> None:
    invalid = db.invalid_indexes()
    assert not invalid, f"invalid indexes (a failed concurrent build?): {', '.join(invalid)}"


@pytest.mark.runbook("db/vacuum-overdue", *CONNECT)
def test_big_tables_are_vacuumed(db: Database, postgres: Postgres) -> None:
    overdue = [
        f"{t['name']} ({t['mb']:.0f} MB, {t['dead_pct']:.0f}% dead, last vacuum "
        + (f"{t['vacuum_h']:.0f} h ago" if t["vacuum_h"] is not None else "never")
        + ")"
        for t in db.big_tables(postgres.table_min_mb)
        if t["dead_pct"] > postgres.dead_tuple_max_pct
        or t["vacuum_h"] is None
        or t["vacuum_h"] > postgres.vacuum_max_age_h
    ]
    assert not overdue, f"tables over {postgres.table_min_mb:g} MB need vacuum: {'; '.join(overdue[:5])}"


@pytest.mark.runbook("db/sequence-exhaustion", *CONNECT)
def test_sequences_have_room(db: Database, postgres: Postgres) -> None:
    full = [s for s in db.sequence_usage() if s["pct"] >= postgres.sequence_max_pct]
    assert not full, "sequences near their maximum: " + ", ".join(
        f"{s['name']} at {s['last_value']} of {s['max_value']} ({s['pct']:.0f}%)" for s in full[:5]
    )
