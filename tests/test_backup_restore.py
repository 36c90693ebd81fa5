"""The DR jobs on the reference stack's database, beyond the fault matrix: every dump format the runbooks make
rehearses clean; the source is untouched by a whole backup suite run (its canary aside) and by an interrupted
one, which leaves no scratch instance behind; the history gets its line; production gets no canary."""

from __future__ import annotations

import glob
import gzip
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from fixtures import pg_content
from fixtures.dr import rehearse
from fixtures.target import load_target
from fixtures.target_backup import Backup, Dumps
from stack.components.postgres.server import PG_BIN, PG_SOCKET_DIR
from stack.config import APP_DB, PORTS
from tests.conftest import ROOT, run_pytest
from tests.gate import LOCAL_TARGET, patched_target, read_junit

pytestmark = pytest.mark.stack
ADMIN = ["-h", str(PG_SOCKET_DIR), "-p", str(PORTS["postgres"]), "-U", "postgres"]
GRACE_S = 30.0  # a hang guard proving an interrupted run ends, not a speed budget


def _backup_settings(**changes: object) -> Backup:
    backup = load_target(LOCAL_TARGET).backup
    assert backup is not None
    return backup.model_copy(update=changes)


def _pg(program: str, *args: str, stdout: int | None = None) -> None:
    subprocess.run([str(PG_BIN / program), *ADMIN, *args], check=True, capture_output=stdout is None, stdout=stdout,
                   timeout=120)


def _plain_gz(path: Path) -> None:
    with gzip.open(path, "wb") as out:
        out.write(subprocess.run([str(PG_BIN / "pg_dump"), *ADMIN, APP_DB], check=True, capture_output=True,
                                 timeout=120).stdout)


DUMP_KINDS: dict[str, tuple[str, Callable[[Path], None]]] = {
    "plain": ("app.sql", lambda path: _pg("pg_dump", "-f", str(path), APP_DB)),
    "plain-gz": ("app.sql.gz", _plain_gz),
    "custom": ("app.dump", lambda path: _pg("pg_dump", "-Fc", "-f", str(path), APP_DB)),
    "directory": ("app.dir", lambda path: _pg("pg_dump", "-Fd", "-j", "2", "-f", str(path), APP_DB)),
    "cluster": ("all.sql", lambda path: _pg("pg_dumpall", "-f", str(path))),  # creates its databases itself
}


@pytest.mark.parametrize("kind", sorted(DUMP_KINDS))
def test_every_dump_format_the_runbooks_make_rehearses_clean(kind: str, tmp_path: Path, stack: object) -> None:
    name, make = DUMP_KINDS[kind]
    make(tmp_path / name)
    _pg("pg_dumpall", "--globals-only", "-f", str(tmp_path / "globals.sql"))
    run = rehearse(_backup_settings(dumps=Dumps(dir=str(tmp_path), pattern=name, globals_pattern="globals.sql")),
                   "dumps")
    assert run.failure is None, f"{kind}: {run.failure}"
    assert run.backup and run.backup.kind == ("plain" if kind == "cluster" else kind)
    comparison = run.compared()
    assert comparison.source and not comparison.row_differences(), comparison.row_differences()
    assert not comparison.catalog_differences(roles=False) and not comparison.catalog_differences(roles=True)


def _source_content() -> dict[str, pg_content.TableContent]:
    dsn = _backup_settings().source_dsn
    with pg_content.connect(dsn, timeout_s=10) as conn:
        names = pg_content.tables(conn)
    done, failed = pg_content.hash_tables(lambda: pg_content.connect(dsn, timeout_s=10), names, jobs=2,
                                          timeout_s=60)
    assert not failed, failed
    return done


def _scratch_left() -> list[str]:
    """Scratch instances' directories, and PostgreSQL servers running from one."""
    pattern = os.path.join(tempfile.gettempdir(), "opsgate-restore-*")
    servers = subprocess.run(["pgrep", "-af", "opsgate-restore-"], capture_output=True, text=True).stdout
    return glob.glob(pattern) + [line for line in servers.splitlines() if "pgrep" not in line]


def test_a_backup_suite_run_leaves_the_source_as_it_was_and_writes_its_history(tmp_path: Path, stack: object) -> None:
    before = _source_content()
    history = tmp_path / "dr-history.jsonl"
    path = patched_target("dr-history", {"backup": {"history": str(history)}})
    result = run_pytest("-m", "backup", f"--target={path}", "--no-reports", f"--junitxml={tmp_path / 'b.xml'}")
    assert result.returncode == 0, result.stdout[-3000:]
    assert _source_content() == before, "the backup suite changed the source's data"
    assert _scratch_left() == []
    lines = [json.loads(line) for line in history.read_text().splitlines()]
    assert sorted((line["mode"], line["source"]) for line in lines) == [
        ("rehearsal", "dumps"), ("rehearsal", "pgbackrest"), ("round-trip", "taken now")]
    for line in lines:
        assert line["failure"] is None and line["rto_s"] > 0 and line["rpo_s"] is not None, line
        assert set(line["phases_s"]) in ({"dump", "restore", "verify"}, {"find", "restore", "verify"}), line


def test_production_gets_no_canary(tmp_path: Path, stack: object) -> None:
    path = patched_target("dr-production", {"environment": "production"})
    dsn = _backup_settings().source_dsn
    with pg_content.connect(dsn, timeout_s=10) as conn:
        count_before = conn.execute("SELECT count(*) FROM opsgate_canary").fetchone()[0] \
            if pg_content.has_table(conn, pg_content.OWN_TABLE) else 0
    junit = tmp_path / "prod.xml"
    result = run_pytest("-m", "backup", "-k", "round_trip", f"--target={path}", "--no-reports", f"--junitxml={junit}")
    verdicts = read_junit(junit)
    canary = verdicts["test_round_trip::test_canary_written_before_the_backup_comes_back"]
    assert canary.outcome == "skipped" and "refused" in canary.message, result.stdout[-2000:]
    assert all(v.outcome == "passed" for c, v in verdicts.items() if "canary" not in c), result.stdout[-2000:]
    with pg_content.connect(dsn, timeout_s=10) as conn:
        count_after = conn.execute("SELECT count(*) FROM opsgate_canary").fetchone()[0] \
            if pg_content.has_table(conn, pg_content.OWN_TABLE) else 0
    assert count_after == count_before, "a canary was written into a production target"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_restore_leaves_no_scratch_instance(sig: signal.Signals, stack: object) -> None:
    before = _source_content()
    gate = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:randomly", "-m", "backup", "--no-reports",
                             "-k", "round_trip"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + GRACE_S
    while not glob.glob(os.path.join(tempfile.gettempdir(), "opsgate-restore-*", "data", "postmaster.pid")):
        assert time.monotonic() < deadline and gate.poll() is None, "no scratch instance was started"
        time.sleep(0.05)
    gate.send_signal(sig)  # mid-restore: the scratch server is up, pg_restore is about to run or running
    try:
        output, _ = gate.communicate(timeout=GRACE_S)
    except subprocess.TimeoutExpired:
        gate.kill()
        pytest.fail(f"the gate did not end within {GRACE_S:g} s of {sig.name}")
    assert gate.returncode == pytest.ExitCode.INTERRUPTED, output[-2000:]
    assert _scratch_left() == [], "the interrupted restore left its scratch instance behind"
    assert _source_content() == before
