"""The fault matrix: opsgate's real test suite, one table shared by every suite.

Each row: a fault injected into the reference stack (or a change to what the gate is given), the suite run
against it, and exactly which checks must fail citing which runbook section. Check patterns are
`<module>::<test name>` with `*` as the only wildcard; checks not named must keep their healthy outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Row:
    name: str
    suite: str  # the pytest marker the row runs
    expect: dict[str, str]  # check pattern -> runbook id its failure must cite
    fault: str | None = None  # `python -m stack fault NAME`, healed after the row
    env: dict[str, str] = field(default_factory=dict)  # environment of the gate run (e.g. a wrong secret)
    target_patch: dict[str, Any] = field(default_factory=dict)  # merged into targets/local.yml for the run


SMOKE_ROWS = [
    Row("app-down", "smoke", fault="app-down", expect={
        "test_app_health::*": "app/health-down",
        "test_app_host::*": "app/process-not-running",
        "test_auth::*": "app/health-down",
        "test_cors::*": "app/health-down",
        "test_endpoints::*": "app/health-down",
        "test_frontend::*": "frontend/api-unreachable",
    }),
    Row("redis-down", "smoke", fault="redis-down", expect={
        "test_app_health::test_app_is_ready": "app/redis-unavailable",
        "test_endpoints::test_endpoint_answers[GET /api/v1/health]": "app/not-ready",
        "test_frontend::*": "frontend/api-unreachable",
    }),
    Row("postgres-down", "smoke", fault="postgres-down", expect={
        "test_app_health::test_app_is_ready": "app/db-unavailable",
        "test_auth::*": "app/server-errors",
        "test_endpoints::test_endpoint_answers[GET /api/v1/health]": "app/not-ready",
        "test_endpoints::test_endpoint_answers[GET /api/v1/items*]": "app/server-errors",
        "test_endpoints::test_endpoint_answers[GET /api/v1/auth/me]": "app/server-errors",
        "test_frontend::*": "frontend/api-unreachable",
    }),
    Row("app-slow", "smoke", fault="app-slow", expect={"test_endpoints::*": "app/slow-responses"}),
    Row("app-500", "smoke", fault="app-500", expect={
        "test_endpoints::test_endpoint_answers[GET /api/v1/items*]": "app/server-errors",
        "test_frontend::*": "frontend/api-unreachable",
    }),
    Row("frontend-broken", "smoke", fault="frontend-broken", expect={"test_frontend::*": "frontend/blank-page"}),
    Row("frontend-wrong-api", "smoke", fault="frontend-wrong-api",
        expect={"test_frontend::*": "frontend/api-unreachable"}),
    Row("cors-origin-removed", "smoke", fault="cors-origin-removed", expect={
        "test_cors::test_preflight_from_allowed_origin_is_accepted[https://localhost:18443]": "api/cors",
    }),
    Row("wrong-test-user-password", "smoke", env={"OPSGATE_DEMO_PASSWORD": "not-the-demo-password"}, expect={
        "test_auth::*": "app/auth-broken",
        "test_endpoints::test_endpoint_answers[GET /api/v1/auth/me]": "app/auth-broken",
    }),
    Row("wrong-version-live", "smoke", target_patch={"app": {"expected_version": "9.9.9"}},
        expect={"test_app_health::test_app_runs_expected_version": "app/wrong-version"}),
]

ROWS = SMOKE_ROWS
