"""The Grafana checks against recorded answers of Grafana's API (tests/grafana_api/), each case in a real gate run.

The query check compares Grafana's `up` with the reference stack's live Prometheus, whose jobs the recordings
name; everything else about Grafana comes from the recordings (the reference stack runs no Grafana).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from stack.core import Stack
from tests.gate import GateRun, matches, patched_target, run_gate, runs_at_once
from tests.grafana_server import PASSWORD, TOKEN, USER, recorded_grafana

pytestmark = pytest.mark.stack

HEALTH = "test_grafana::test_grafana_is_healthy"
DATASOURCE = "test_grafana::test_grafana_datasource_is_healthy"
QUERY = "test_grafana::test_grafana_queries_reach_the_same_prometheus"
DASHBOARDS = "test_grafana::test_grafana_dashboard_is_provisioned[*]"
TOKEN_AUTH = {"token": "${OPSGATE_T_GRAFANA_TOKEN}"}
REVOKED = "glsa_OpsgateRevokedToken00000000000_0badf00d"


@dataclass(frozen=True)
class Case:
    name: str
    recordings: str | None  # the variant replayed at grafana.url; None: nothing listens there
    expect: dict[str, str]  # check pattern -> runbook id its failure must cite; every other check passes
    auth: dict[str, Any] = field(default_factory=lambda: TOKEN_AUTH)  # the target's grafana credentials
    env: dict[str, str] = field(default_factory=lambda: {"OPSGATE_T_GRAFANA_TOKEN": TOKEN})


CASES = [
    Case("healthy", "healthy", {}),
    Case("basic-auth", "healthy", {}, auth={"basic_auth": {"username": USER, "password": "${OPSGATE_T_GRAFANA_PW}"}},
         env={"OPSGATE_T_GRAFANA_PW": PASSWORD}),
    Case("db-failing", "db-failing", {HEALTH: "grafana/unhealthy"}),
    # Prometheus refusing Grafana fails its health check and every query through the proxy alike.
    Case("datasource-error", "datasource-error",
         {DATASOURCE: "grafana/datasource-error", QUERY: "grafana/datasource-error"}),
    Case("bad-token", "healthy", {DATASOURCE: "grafana/auth-failed", QUERY: "grafana/auth-failed",
                                  DASHBOARDS: "grafana/auth-failed"}, env={"OPSGATE_T_GRAFANA_TOKEN": REVOKED}),
    Case("dashboard-missing", "dashboard-missing",
         {"test_grafana::test_grafana_dashboard_is_provisioned[PostgreSQL overview]": "grafana/dashboard-missing"}),
    Case("query-mismatch", "query-mismatch", {QUERY: "grafana/query-mismatch"}),
    Case("unreachable", None, {"test_grafana::*": "grafana/unhealthy"}),
]


def gate_run(case: Case, directory: Path) -> GateRun:
    with recorded_grafana(case.recordings) as url:
        grafana = {"url": url, **case.auth, "datasource_uid": "prometheus",
                   "dashboards": ["app-overview", "PostgreSQL overview"]}
        target = patched_target(f"grafana-{case.name}", {"grafana": grafana})
        return run_gate("monitoring", directory, target=target, env=case.env, extra=("-k", "grafana"))


@pytest.fixture(scope="module")
def runs(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[GateRun, Path]]:
    """Every case's gate run, side by side (each has its own replay server; they only read from the stack)."""
    return runs_at_once({case.name: partial(gate_run, case) for case in CASES}, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_grafana_checks_give_the_recorded_verdicts(case: Case, runs: dict[str, tuple[GateRun, Path]]) -> None:
    run, tmp_path = runs[case.name]
    verdicts = {check: v for check, v in run.verdicts.items() if check.startswith("test_grafana::")}
    assert len(verdicts) == 5, run.output[-3000:]  # health, datasource, query, two dashboards
    assert run.returncode == (1 if case.expect else 0), run.output[-3000:]

    for check, verdict in verdicts.items():
        runbook = next((rb for pattern, rb in case.expect.items() if matches(pattern, check)), None)
        if runbook is None:
            assert verdict.outcome == "passed", f"{check} must pass under {case.name}: {verdict.message[:300]}"
            continue
        assert verdict.outcome == "failed", f"{check} must fail under {case.name}, not {verdict.outcome}"
        assert verdict.runbook == runbook, f"{check} cites {verdict.runbook}, expected {runbook}"
        assert f"runbook {runbook}" in verdict.message, f"{check}'s message must end with the runbook id"
    for pattern in case.expect:
        assert any(matches(pattern, check) for check in verdicts), f"{pattern} matched no check"

    seen = run.output + (tmp_path / "monitoring.xml").read_text()
    leaked = [name for name, secret in case.env.items() if secret in seen]
    assert not leaked, f"the gate's output shows the value of {leaked}"
