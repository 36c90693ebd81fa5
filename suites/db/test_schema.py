"""Schema: the database is at the migration head the code expects, and the expected tables exist."""

import pytest

from fixtures.app import Readiness
from fixtures.http import HttpClient
from fixtures.postgres import Database
from fixtures.target import Postgres, Target

pytestmark = pytest.mark.db
CONNECT = ("db/unreachable", "db/not-accepting", "db/auth-failed", "db/database-missing")


def _expected_head(postgres: Postgres, target: Target) -> str:
    """The target's pinned revision, else the head the running app's code reports in its readiness."""
    if postgres.expected_revision:
        return postgres.expected_revision
    if target.app is None:
        pytest.skip("postgres.expected_revision not set and no app in the target to ask for its head")
    api = HttpClient(target.app.base_url, ca_bundle=target.ca_bundle, timeout=target.app.timeout_s)
    readiness = Readiness(api.call("GET", target.app.readiness_path))
    readiness.expect_answered()
    head = readiness.report.get("checks", {}).get("migrations", {}).get("head")
    if not head:
        pytest.fail("the app's readiness report does not say its migration head; set postgres.expected_revision")
    return head


@pytest.mark.runbook("db/migrations-behind", "app/health-down", "app/not-ready", "tls/handshake-failed", *CONNECT)
def test_schema_is_at_the_expected_migration(db: Database, postgres: Postgres, target: Target) -> None:
    head = _expected_head(postgres, target)
    current = db.alembic_revision()
    assert current == head, f"the database is at Alembic revision {current or 'none'}; the code expects {head}"


@pytest.mark.runbook("db/tables-missing", *CONNECT)
def test_expected_tables_exist(db: Database, postgres: Postgres) -> None:
    missing = db.missing_tables(postgres.expected_tables)
    assert not missing, f"tables missing from the database: {', '.join(missing)}"
