"""Schema: the database is at the migration head the code expects, and the expected tables exist."""

import pytest

from opsgate.core.jsonpath import json_at
from opsgate.plugin.checks import not_configured, required
from opsgate.probes.app import ReadinessReport
from opsgate.probes.http import HttpClient
from opsgate.probes.postgres import Database
from opsgate.target import Postgres, Target

pytestmark = pytest.mark.db
CONNECT = ("db/unreachable", "db/not-accepting", "db/auth-failed", "db/database-missing")


def _expected_head(postgres: Postgres, target: Target) -> str:
    """The target's pinned revision, else the head the running app's code reports in its readiness."""
    if postgres.expected_revision:
        return postgres.expected_revision
    app = target.app
    if app is None or app.readiness is None:
        pytest.skip(not_configured("postgres.expected_revision", target) + " and no app.readiness to ask for the head")
    api = HttpClient(app.base_url, ca_bundle=target.ca_bundle, timeout=app.timeout_s)
    report = ReadinessReport(api.call("GET", app.readiness.path), app.readiness)
    report.expect_answered()
    head = json_at(report.answer.json(), f"{app.readiness.components_key}.migrations.head")
    if not isinstance(head, str) or not head:
        pytest.fail("the app's readiness report does not say its migration head; set postgres.expected_revision")
    return head


@pytest.mark.runbook("db/migrations-behind", "app/health-down", "app/not-ready", "app/answered-by-frontend",
                     "app/unexpected-status", "tls/handshake-failed", *CONNECT)
def test_schema_is_at_the_expected_migration(db: Database, postgres: Postgres, target: Target) -> None:
    head = _expected_head(postgres, target)
    current = db.alembic_revision()
    assert current == head, f"the database is at Alembic revision {current or 'none'}; the code expects {head}"


@pytest.mark.runbook("db/tables-missing", *CONNECT)
def test_expected_tables_exist(db: Database, postgres: Postgres, target: Target) -> None:
    missing = db.missing_tables(required(postgres.expected_tables, "postgres.expected_tables", target))
    assert not missing, f"tables missing from the database: {', '.join(missing)}"
