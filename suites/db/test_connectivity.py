"""The database accepts the gate's read-only session quickly, runs a recent enough server, has its extensions."""

import pytest

from opsgate.plugin.checks import required
from opsgate.probes.postgres import Database
from opsgate.target import Postgres, Target

pytestmark = pytest.mark.db
CONNECT = ("db/unreachable", "db/not-accepting", "db/auth-failed", "db/database-missing")


@pytest.mark.runbook("db/slow-roundtrip", *CONNECT)
def test_select_one_round_trip_within_budget(db: Database, postgres: Postgres) -> None:
    elapsed = db.roundtrip_ms()
    assert elapsed <= postgres.roundtrip_max_ms, (
        f"SELECT 1 took {elapsed:.0f} ms; its budget is {postgres.roundtrip_max_ms} ms"
    )


@pytest.mark.runbook("db/version-too-old", *CONNECT)
def test_server_version_is_supported(db: Database, postgres: Postgres) -> None:
    version = db.major_version()
    assert version >= postgres.min_version, f"PostgreSQL {version} runs; the target requires {postgres.min_version}+"


@pytest.mark.runbook("db/extension-missing", *CONNECT)
def test_required_extensions_are_installed(db: Database, postgres: Postgres, target: Target) -> None:
    missing = sorted(set(required(postgres.extensions, "postgres.extensions", target)) - db.extensions())
    assert not missing, f"extensions not installed in the database: {', '.join(missing)}"
