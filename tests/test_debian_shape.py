"""The reference stack's debian shape: beside the default shape, a PostgreSQL cluster laid out the Debian way with
its own pgBackRest stanza and nightly plain-SQL dumps, and the public template's items API; targets/debian.yml
written from the docs only. The DR suite and the load gate pass it healthy, and its faults fail exactly their
checks (tests/matrix.py DEBIAN_ROWS). Runs after the variant's module (tests/conftest.py orders them), and only
starts and stops the extension: the default shape's servers keep running throughout."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest
import requests

from stack import process
from stack.components import pgbackrest
from stack.components.debian import BACKUP_ROLE, CONFIG, DATA, DEMO_USER, ETC, MOVED_TO_ETC, REPOSITORY
from stack.config import APP_DB, PORTS, SECRETS, app_dsn
from stack.core import Stack
from stack.process import StackError
from stack.shapes import DEBIAN, DEFAULT
from tests.conftest import run_pytest
from tests.gate import DEBIAN_TARGET, GateRun, Observation, assert_fault_observed, assert_row, patched_target, run_gate
from tests.matrix import DEBIAN_ROWS, Row

pytestmark = pytest.mark.stack
APP_URL = f"http://127.0.0.1:{PORTS['app_debian']}/api/v1"
BACKUP_DSN = app_dsn(BACKUP_ROLE, "OPSGATE_PG_BACKUP_PASSWORD", "postgres_debian")


@pytest.fixture(scope="module")
def debian(stack: Stack) -> Iterator[Stack]:
    debian = Stack(DEBIAN.name)
    debian.up()
    yield debian
    Stack(DEFAULT.name).up()


@pytest.fixture(scope="module")
def healthy(debian: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, GateRun]:
    """The baselines of the rows, one after the other: the load's rows would move the rehearsal's row counts."""
    return {suite: run_gate(suite, tmp_path_factory.mktemp(f"debian-{suite}"), target=DEBIAN_TARGET)
            for suite in ("backup", "perf")}


def items() -> int:
    with REPOSITORY.superuser(APP_DB) as conn:
        return conn.execute("SELECT count(*) FROM items").fetchone()[0]


def pids(stack: Stack) -> dict[str, int | None]:
    return {row.name: row.pid for row in stack.status()}


def test_the_extension_comes_and_goes_beside_the_running_default(debian: Stack) -> None:
    default = Stack(DEFAULT.name)
    before = pids(default)
    default.up()

    def extension() -> dict[str, str]:
        return {row.name: row.state for row in debian.status() if row.name not in before}

    assert extension() == {"postgres-debian": "down", "app-debian": "down"}
    debian.up()
    assert pids(default) == before, "the default shape's servers must not be restarted"
    assert extension() == {"postgres-debian": "up", "app-debian": "up"}
    with pytest.raises(StackError, match="runs as shape debian"):
        Stack("variant").up()


def test_the_cluster_keeps_its_configuration_outside_the_data_directory(debian: Stack) -> None:
    assert not [name for name in MOVED_TO_ETC if (DATA / name).exists()]
    assert all((ETC / name).exists() for name in MOVED_TO_ETC)
    with REPOSITORY.superuser("postgres") as conn:
        shown = {name: conn.execute(f"SHOW {name}").fetchone()[0]
                 for name in ("config_file", "data_directory", "shared_preload_libraries", "archive_mode")}
    assert shown == {"config_file": str(CONFIG), "data_directory": str(DATA),
                     "shared_preload_libraries": "pg_stat_statements", "archive_mode": "on"}


def test_the_slashless_collection_is_redirected(debian: Stack) -> None:
    base = f"{APP_URL}/items"
    answer = requests.post(base, json={"name": "x"}, timeout=5, allow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (307, f"{base}/")


def test_healthy_debian_passes_the_backup_suite(healthy: dict[str, GateRun]) -> None:
    run = healthy["backup"]
    assert run.returncode == 0, run.output[-3000:]
    assert run.verdicts and not run.failed()


def test_healthy_debian_passes_a_soak(healthy: dict[str, GateRun]) -> None:
    """The target's own profile: the SLOs and the app process's growth, without /metrics."""
    run = healthy["perf"]
    assert run.returncode == 0, run.output[-3000:]
    assert run.verdicts["test_soak::test_the_app_process_does_not_grow[app process memory]"].outcome == "passed"


def test_healthy_debian_passes_a_load_profile(debian: Stack, tmp_path: Path) -> None:
    before = items()
    run = run_gate("perf", tmp_path, target=DEBIAN_TARGET, extra=("--perf-profile=load",))
    assert run.returncode == 0, run.output[-3000:]
    assert not run.failed()
    assert run.verdicts["test_slo::test_no_rows_left_behind"].outcome == "passed"
    assert items() == before


def test_the_logins_are_kept_out_of_the_traffic_percentiles(debian: Stack, tmp_path: Path) -> None:
    """Each user's login (a bcrypt hash: ~0.3 s, five at once) is a request name of its own, judged by its own SLO;
    the traffic's figures are the reads' and writes' alone, so the logins cannot set its p99."""
    target = patched_target("debian-login", {"perf": {"slo_by_request": {"login": {"error_rate_pct": 0}}}},
                            DEBIAN_TARGET)
    gate = run_pytest("-m", "perf", f"--target={target}", "--perf-profile=load", "-k", "slo_holds",
                      env={"OPSGATE_REPORTS_DIR": str(tmp_path)})
    assert gate.returncode == 0, gate.stdout[-3000:]
    assert "test_slo_holds[login error rate] PASSED" in gate.stdout
    summary = json.loads(next((tmp_path / "perf").glob("load-*.json")).read_text())
    login, total = summary["requests"]["login"], summary["total"]
    assert login["count"] == summary["asked_users"]  # one each, at its start
    assert total["count"] == sum(figures["count"] for name, figures in summary["requests"].items() if name != "login")
    assert total["max_ms"] < login["max_ms"], "the slowest login is not among the traffic's samples"


def backup_role_logs_in() -> bool:
    try:
        psycopg.connect(BACKUP_DSN, connect_timeout=5).close()
    except psycopg.OperationalError:
        return False
    return True


def update_status() -> int:
    """The status of an update of a row made for it (the row removed again)."""
    login = requests.post(f"{APP_URL}/login/access-token", timeout=5,
                          data={"username": DEMO_USER, "password": SECRETS["OPSGATE_DEMO_PASSWORD"]})
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    item = requests.post(f"{APP_URL}/items/", json={"name": "observed"}, headers=auth, timeout=5).json()["id"]
    try:
        return requests.put(f"{APP_URL}/items/{item}", json={"name": "x"}, headers=auth, timeout=5).status_code
    finally:
        requests.delete(f"{APP_URL}/items/{item}", headers=auth, timeout=5)


def app_grows() -> bool:
    """Whether 100 item-list requests leave app-debian's process over 10 MB larger."""
    app = psutil.Process(process.running_pid("app-debian"))
    before = app.memory_info().rss
    for _ in range(100):
        requests.get(f"{APP_URL}/items/", timeout=5)
    return app.memory_info().rss - before > 10_000_000


# fault -> (observation, healthy, broken), read straight from the servers, not through opsgate's checks
OBSERVATIONS: dict[str, Observation] = {
    "debian-backup-password-rotated": (backup_role_logs_in, True, False),
    "debian-pgbackrest-checksum": (lambda: pgbackrest.verify_status(REPOSITORY), "status: ok", "status: error"),
    "debian-writes-fail": (update_status, 200, 404),
    "debian-memory-leak": (app_grows, False, True),
}


@pytest.mark.parametrize("name", OBSERVATIONS)
def test_fault_breaks_and_heal_restores(debian: Stack, name: str) -> None:
    assert_fault_observed(debian, name, OBSERVATIONS[name])


def test_every_debian_only_fault_has_a_row_and_an_observation() -> None:
    only_here = {fault.name for fault in DEBIAN.faults} - {fault.name for fault in DEFAULT.faults}
    assert only_here - {row.fault for row in DEBIAN_ROWS} == set()
    assert only_here == set(OBSERVATIONS)


@pytest.mark.parametrize("row", DEBIAN_ROWS, ids=[row.name for row in DEBIAN_ROWS])
def test_debian_fault_fails_exactly_its_checks(row: Row, debian: Stack, healthy: dict[str, GateRun],
                                               tmp_path: Path) -> None:
    before = items()
    run = assert_row(row, debian, healthy, tmp_path, DEBIAN_TARGET)
    if row.fault == "debian-writes-fail":
        message = run.verdicts["test_slo::test_slo_holds[all requests error rate]"].message
        assert "PUT" in message and "404" in message, message
        assert items() == before, "the load test left rows of its own in the app's table"
