"""The reference stack's variant shape: a healthy stack built another way passes every suite, and its own
faults fail exactly their checks (tests/matrix.py VARIANT_ROWS). Runs last: it switches the stack to the
variant shape and back."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from stack.components import pgbackrest
from stack.components.postgres.server import admin_connection
from stack.config import APP_DB
from stack.core import Stack
from stack.shapes import DEFAULT, VARIANT, VARIANT_DEMO_USER
from tests.conftest import ROOT
from tests.gate import VARIANT_TARGET, GateRun, assert_row, patched_target, run_gate
from tests.matrix import NOT_EXERCISED, VARIANT_ROWS, Row

pytestmark = pytest.mark.stack
SUITES = ("smoke", "nginx", "db", "redis", "monitoring")
ONLY_IN_VARIANT = sorted({f.name for f in VARIANT.faults} - {f.name for f in DEFAULT.faults})


@pytest.fixture(scope="module")
def variant(stack: Stack) -> Iterator[Stack]:
    stack.down()
    variant = Stack("variant")
    variant.up()
    yield variant
    variant.down()
    Stack("default").up()
    # Its app seeded a user of its own into the shared database: left there, the default stack's nightly backups
    # (made before it) would count a user fewer than live at the next run.
    with admin_connection(APP_DB) as conn:
        conn.execute("DELETE FROM users WHERE username = %s", (VARIANT_DEMO_USER,))
        pgbackrest.archive_now(conn)


@pytest.fixture(scope="module")
def healthy(variant: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, GateRun]:
    return {suite: run_gate(suite, tmp_path_factory.mktemp(f"variant-{suite}"), target=VARIANT_TARGET)
            for suite in SUITES}


def test_every_variant_only_fault_has_a_row() -> None:
    assert set(ONLY_IN_VARIANT) - {row.fault for row in VARIANT_ROWS} == set()


@pytest.mark.parametrize("suite", SUITES)
def test_healthy_variant_passes_every_suite(healthy: dict[str, GateRun], suite: str) -> None:
    """0 failures; what is skipped is what targets/variant.yml leaves out, and says so."""
    run = healthy[suite]
    assert run.returncode == 0, run.output[-3000:]
    not_passed = {check: v.message[:200] for check, v in run.verdicts.items() if v.outcome != "passed"}
    unexplained = {
        check: message for check, message in not_passed.items()
        if "not configured" not in message and not any(check.startswith(p.rstrip("*")) for p in NOT_EXERCISED)
    }
    assert not unexplained, f"on the healthy variant every check passes or skips as not configured: {unexplained}"


@pytest.mark.parametrize("row", VARIANT_ROWS, ids=[row.name for row in VARIANT_ROWS])
def test_variant_fault_fails_exactly_its_checks(row: Row, variant: Stack, healthy: dict[str, GateRun],
                                                tmp_path: Path) -> None:
    assert_row(row, variant, healthy, tmp_path, VARIANT_TARGET)


def test_spa_fallback_on_the_missing_path_is_said_not_misjudged(variant: Stack, tmp_path: Path) -> None:
    target = patched_target("variant-missing-path", {"nginx": {"missing_path": "/opsgate-probe-missing.css"}},
                            VARIANT_TARGET)
    verdicts = run_gate("nginx", tmp_path, target=target).verdicts
    verdict = verdicts["test_headers::test_security_headers_on_error_responses"]
    assert verdict.outcome == "skipped" and "single-page-app fallback" in verdict.message, verdict


def test_init_writes_a_target_that_passes_with_only_credentials_added(variant: Stack, tmp_path: Path) -> None:
    written = tmp_path / "init.yml"
    ca = ROOT / ".stack" / "pki" / "ca.pem"
    init = subprocess.run(
        [sys.executable, "-m", "opsgate.init", "https://localhost:18443", "--name", "init-variant",
         "--ca-bundle", str(ca), "-o", str(written)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert init.returncode == 0, init.stderr
    target = yaml.safe_load(written.read_text())
    assert target["app"]["login"] == {"path": "/api/v1/login/access-token", "encoding": "form"}
    assert target["ca_bundle"] == str(ca), "init writes the CA it verified the site with"
    password = "${OPSGATE_DEMO_PASSWORD:-opsgate-demo-pw}"  # the one thing added by hand, as a new user would
    target["app"]["credentials"] = {"username": "demo@opsgate.test", "password": password}
    written.write_text(yaml.safe_dump(target))
    run = run_gate("smoke", tmp_path, target=written)
    assert run.returncode == 0, run.output[-3000:]
    assert not run.failed()
    assert run.verdicts["test_auth::test_login_call_and_refresh"].outcome == "passed"
