"""The DR jobs on the reference stack's database, beyond the fault matrix: every dump format the runbooks make
rehearses clean; a restored copy changed before verification is named; the source is untouched by a whole
backup suite run (its canary aside) and by an interrupted one, which leaves no scratch instance behind; the
history gets its line; production gets no canary."""

from __future__ import annotations

import datetime as dt
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

import psycopg
import pytest

from opsgate.dr import backups, pg_content, pg_hashing
from opsgate.dr.jobs import rehearse, round_trip
from opsgate.dr.pg_programs import PgPrograms
from opsgate.dr.pitr import rehearse_point_in_time
from opsgate.dr.run import DrRun
from opsgate.dr.scratch_postgres import ScratchPostgres
from opsgate.target import load_target
from opsgate.target.backup import Backup, Dumps
from stack.components import pgbackrest
from stack.components.postgres.server import PG_BIN, PG_SOCKET_DIR, admin_connection
from stack.config import APP_DB, PORTS
from tests.conftest import ROOT, gate_env, run_pytest
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


PASSPHRASE = "nightly job's #secret"


def _encrypt(path: Path, passphrase: str = PASSPHRASE) -> Path:
    """As a backup job does: `gpg --symmetric`, the clear file removed (its own gpg home, agent stopped after)."""
    sealed = path.with_name(path.name + ".gpg")
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "GNUPGHOME": home}
        subprocess.run(["gpg", "--batch", "--quiet", "--pinentry-mode", "loopback", "--passphrase-fd", "0",
                        "--symmetric", "-o", str(sealed), str(path)], input=passphrase.encode(), env=env, check=True,
                       timeout=60)
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, check=False, timeout=60)
    path.unlink()
    return sealed


def _encrypted_dumps(kind: str, into: Path) -> tuple[str, str]:
    """The dump of `kind` and the roles file, both encrypted: their names."""
    name, make = DUMP_KINDS[kind]
    make(into / name)
    _pg("pg_dumpall", "--globals-only", "-f", str(into / "globals.sql"))
    return _encrypt(into / name).name, _encrypt(into / "globals.sql").name


@pytest.mark.parametrize("kind", ["custom", "plain-gz"])
def test_an_encrypted_dump_is_decrypted_as_a_stream(kind: str, tmp_path: Path, stack: object) -> None:
    dump, roles = _encrypted_dumps(kind, tmp_path)
    run = rehearse(_backup_settings(dumps=Dumps(dir=str(tmp_path), pattern=dump, globals_pattern=roles,
                                                passphrase=PASSPHRASE)), "dumps")
    assert run.failure is None, f"{kind}: {run.failure}"
    assert run.backup and run.backup.kind == kind and run.backup.encrypted
    comparison = run.compared()
    assert comparison.source and not comparison.row_differences(), comparison.row_differences()
    assert not comparison.catalog_differences(roles=False) and not comparison.catalog_differences(roles=True)
    assert sorted(os.listdir(tmp_path)) == sorted([dump, roles]), "something was written beside the backups"


@pytest.mark.parametrize("passphrase", ["not the passphrase", None], ids=["wrong", "missing"])
def test_an_encrypted_dump_without_its_passphrase_is_unreadable(passphrase: str | None, tmp_path: Path,
                                                                stack: object) -> None:
    dump, roles = _encrypted_dumps("custom", tmp_path)
    run = rehearse(_backup_settings(dumps=Dumps(dir=str(tmp_path), pattern=dump, globals_pattern=roles,
                                                passphrase=passphrase)), "dumps")
    assert run.failure and run.failure.runbook == "backup/archive-unreadable" and run.failed_step == "find"
    said = str(run.failure)
    assert ("cannot be decrypted" if passphrase else "names no passphrase") in said, said
    assert PASSPHRASE not in said and (passphrase is None or passphrase not in said), said


def _source_content() -> dict[str, pg_hashing.TableContent]:
    dsn = _backup_settings().source_dsn
    with pg_content.connect(dsn, timeout_s=10) as conn:
        names = pg_content.tables(conn)
    done, failed = pg_hashing.hash_tables(lambda: pg_content.connect(dsn, timeout_s=10),
                                          [pg_hashing.Slice(name) for name in names], jobs=2, timeout_s=60,
                                          row_hash_sql=pg_hashing.PORTABLE_ROW_HASH)
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
        ("point-in-time", "pgbackrest between-backups"), ("rehearsal", "dumps"), ("rehearsal", "pgbackrest"),
        ("rehearsal", "s3"), ("rehearsal", "snapshot"), ("round-trip", "taken now"), ("volume", "prometheus_data")]
    for line in lines:
        # The stack's snapshot is not told when it was taken: its RPO is not known.
        assert line["failure"] is None and line["rto_s"] > 0, line
        assert (line["rpo_s"] is None) == (line["source"] == "snapshot"), line
        assert set(line["phases_s"]) in ({"dump", "restore", "verify", "drill"}, {"find", "restore", "verify"},
                                         {"find", "restore"}), line  # a point-in-time restore is not compared


@pytest.mark.parametrize("markers", ["not perf", "backup and not destructive"])
def test_the_source_tables_are_listed_however_the_suite_is_selected(markers: str, stack: object) -> None:
    """The per-table checks are parametrized at collection: any -m that selects the suite gets the source's tables."""
    result = run_pytest("--collect-only", "-qq", "-m", markers, f"--target={LOCAL_TARGET}", "--no-reports",
                        "suites/backup_restore", timeout=60)
    assert "test_table_comes_back_with_its_rows[public.items]" in result.stdout, result.stdout[-2000:]
    assert "could not be listed" not in result.stdout, result.stdout[-2000:]


def _app_schemas_tables(dsn: str) -> set[str]:
    """Every table in the application's schemas, opsgate's leftovers there included."""
    with pg_content.connect(dsn, timeout_s=10) as conn:
        return {name for (name,) in conn.execute(pg_content.TABLES)}


def test_the_canary_is_written_into_a_schema_of_its_own(stack: object) -> None:
    """Not into the application's schemas: opsgate.canary, created when missing, restored with the backup."""
    dsn = _backup_settings().source_dsn
    before = _app_schemas_tables(dsn)
    run = round_trip(_backup_settings(), write_canary=True)
    assert run.failure is None and run.canary_failure is None and run.canary_restored, run.failure or run.canary_failure
    with pg_content.connect(dsn, timeout_s=10) as conn:
        assert pg_content.has_row(conn, pg_content.CANARY_TABLE, "id", run.canary or "")
    assert _app_schemas_tables(dsn) == before, "the canary run added a table to the application's schemas"


LEAST_ROLE = "opsgate_least_backup"  # a role of this test's own, dropped after it


def test_least_privileges_suffice_and_the_canary_names_what_it_lacks(stack: object) -> None:
    """A backup role with pg_read_all_data alone (docs/operator-guide.md, the read-only modes): the round trip
    dumps, restores and compares clean; its canary, a write into opsgate's own schema, fails naming the privilege
    it lacks, and nothing is written into the application's schemas."""
    password = "least-" + os.urandom(8).hex()
    with admin_connection(APP_DB) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {LEAST_ROLE}")
        conn.execute(f"CREATE ROLE {LEAST_ROLE} LOGIN PASSWORD '{password}' IN ROLE pg_read_all_data")
    try:
        source = f"postgresql://{LEAST_ROLE}:{password}@127.0.0.1:{PORTS['postgres']}/{APP_DB}"
        run = round_trip(_backup_settings(source_dsn=source), write_canary=True)
        assert run.failure is None, run.failure
        comparison = run.compared()
        assert comparison.source and not comparison.row_differences() and not comparison.content_differences()
        failure = run.canary_failure
        assert failure and failure.runbook == "backup/source-privileges", failure
        said = str(failure)
        assert said.startswith(f'the backup source role "{LEAST_ROLE}" cannot') and "opsgate" in said, said
        assert "needs" in said and "GRANT" in said and password not in said, said
    finally:
        with admin_connection(APP_DB) as conn:
            conn.execute(f"DROP ROLE IF EXISTS {LEAST_ROLE}")


def test_the_canary_schema_needs_create_on_the_database_alone(stack: object) -> None:
    """In a database without opsgate's schema, a role without CREATE on it is told that privilege; granted it (and
    nothing else), the role creates the schema and its canary comes back."""
    password, database = "least-" + os.urandom(8).hex(), "opsgate_canary_db"
    with admin_connection("postgres") as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        conn.execute(f"DROP ROLE IF EXISTS {LEAST_ROLE}")
        conn.execute(f"CREATE ROLE {LEAST_ROLE} LOGIN PASSWORD '{password}'")
        conn.execute(f"CREATE DATABASE {database}")
    try:
        settings = _backup_settings(
            source_dsn=f"postgresql://{LEAST_ROLE}:{password}@127.0.0.1:{PORTS['postgres']}/{database}")
        refused = round_trip(settings, write_canary=True)
        assert refused.failure is None and refused.canary_failure, refused.failure
        assert f"needs CREATE ON DATABASE {database}" in str(refused.canary_failure), refused.canary_failure
        with admin_connection("postgres") as conn:
            conn.execute(f"GRANT CREATE ON DATABASE {database} TO {LEAST_ROLE}")
        written = round_trip(settings, write_canary=True)
        assert written.failure is None and written.canary_failure is None and written.canary_restored, \
            written.failure or written.canary_failure
    finally:
        with admin_connection("postgres") as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            conn.execute(f"DROP ROLE IF EXISTS {LEAST_ROLE}")


def test_production_gets_no_canary(tmp_path: Path, stack: object) -> None:
    path = patched_target("dr-production", {"environment": "production"})
    dsn = _backup_settings().source_dsn
    with pg_content.connect(dsn, timeout_s=10) as conn:
        count_before = conn.execute(f"SELECT count(*) FROM {pg_content.CANARY_TABLE}").fetchone()[0] \
            if pg_content.has_table(conn, pg_content.CANARY_TABLE) else 0
    junit = tmp_path / "prod.xml"
    result = run_pytest("-m", "backup", "-k", "round_trip", f"--target={path}", "--no-reports", f"--junitxml={junit}")
    verdicts = read_junit(junit)
    canary = verdicts["test_round_trip::test_canary_written_before_the_backup_comes_back"]
    assert canary.outcome == "skipped" and "refused" in canary.message, result.stdout[-2000:]
    assert all(v.outcome == "passed" for c, v in verdicts.items() if "canary" not in c), result.stdout[-2000:]
    with pg_content.connect(dsn, timeout_s=10) as conn:
        count_after = conn.execute(f"SELECT count(*) FROM {pg_content.CANARY_TABLE}").fetchone()[0] \
            if pg_content.has_table(conn, pg_content.CANARY_TABLE) else 0
    assert count_after == count_before, "a canary was written into a production target"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_restore_leaves_no_scratch_instance(sig: signal.Signals, stack: object) -> None:
    before = _source_content()
    gate = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:randomly", "-m", "backup", "--no-reports",
                             "-k", "round_trip"], cwd=ROOT, env=gate_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
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


# A change made to the restored copy before verification, and what the comparison must then name.
TAMPERING = {
    "restore-tampered": ("UPDATE items SET name = name || '!' WHERE id = (SELECT min(id) FROM items)",
                         lambda c: [c.content_of("public.items") or ""], "public.items: the same"),
    "restore-schema-drift": ("DROP INDEX ix_items_created_at", lambda c: c.catalog_differences(roles=False),
                             "not restored: index ix_items_created_at"),
    "restore-grant-lost": ("REVOKE ALL ON items FROM monitor", lambda c: c.catalog_differences(roles=False),
                           "not restored: table items owned by app, grants"),
    "restore-sequence-behind": ("SELECT setval('items_id_seq', 1, false)", lambda c: c.sequences_behind,
                                "items_id_seq is at 1"),
}


def _databases_and_roles(dsn: str) -> set[str]:
    with pg_content.connect(dsn, timeout_s=10) as conn:
        return {f"database {name}" for (name,) in conn.execute("SELECT datname FROM pg_database")} | \
            {f"role {name}" for (name,) in conn.execute("SELECT rolname FROM pg_roles")}


def test_a_restore_server_restores_compares_and_drops_its_database(stack: object) -> None:
    """Another PostgreSQL server (here a throwaway instance of our own, reached over its socket) as
    backup.restore_server: the round trip and a rehearsal restore there, compare clean, and leave no database."""
    settings = _backup_settings()
    server = ScratchPostgres(PgPrograms.of_major(15, None, 120), settings.scratch_user)
    try:
        dsn = server.url("postgres")
        before = _databases_and_roles(dsn)
        for run in (round_trip(_backup_settings(restore_server=dsn), write_canary=False),
                    rehearse(_backup_settings(restore_server=dsn), "dumps")):
            assert run.failure is None, f"{run.mode}: {run.failure}"
            comparison = run.compared()
            assert comparison.source and not comparison.row_differences(), comparison.row_differences()
            assert not comparison.catalog_differences(roles=False) and not comparison.catalog_differences(roles=True)
        after = _databases_and_roles(dsn)
        assert not {line for line in after - before if line.startswith("database")}, after - before
    finally:
        server.remove()


def test_a_restore_server_that_is_the_source_is_refused_before_anything_is_written(stack: object) -> None:
    source = _backup_settings().source_dsn
    alias = source.replace("@127.0.0.1:", "@127.1:")  # the same server under another name
    before = _databases_and_roles(source)
    run = round_trip(_backup_settings(restore_server=alias.rsplit("/", 1)[0] + "/postgres"), write_canary=False)
    assert run.failure and run.failure.runbook == "backup/restore-into-source" and run.failed_step == "restore"
    assert _databases_and_roles(source) == before, "the refused restore wrote into the source's server"


def test_the_drill_fails_on_a_copy_the_app_cannot_run_on(monkeypatch: pytest.MonkeyPatch, stack: object) -> None:
    """The restored copy lost the app's users table (renamed after the restore): the drill's login checks fail."""
    restore = backups.restore

    def restore_without_users(programs: PgPrograms, scratch: ScratchPostgres, backup: object, dbname: str,
                              **options: object) -> None:
        restore(programs, scratch, backup, dbname, **options)
        with psycopg.connect(scratch.conninfo(dbname), autocommit=True) as conn:
            conn.execute("ALTER TABLE users RENAME TO users_lost")

    monkeypatch.setattr(backups, "restore", restore_without_users)
    run = round_trip(_backup_settings(), write_canary=False, target_file=LOCAL_TARGET)
    assert run.failure is None and run.drill, run.failure
    assert run.drill.passed, "the drill ran no smoke check that could pass (health answers without the table)"
    assert any("auth" in failure or "login" in failure for failure in run.drill.failed), run.drill.failed


@pytest.mark.parametrize("fault", sorted(TAMPERING))
def test_the_comparison_names_a_restored_copy_that_was_changed(fault: str, monkeypatch: pytest.MonkeyPatch,
                                                               stack: object) -> None:
    """The restored copy exists only inside a run, so this fault is injected there: after the restore, before
    the verification."""
    statement, differences, named = TAMPERING[fault]
    found = differences(_tampered_round_trip(monkeypatch, statement).compared())
    assert any(named in line for line in found), found


def _tampered_round_trip(monkeypatch: pytest.MonkeyPatch, statement: str, **settings: object) -> DrRun:
    restore = backups.restore

    def restore_then_tamper(programs: PgPrograms, scratch: ScratchPostgres, backup: object, dbname: str,
                            **options: object) -> None:
        restore(programs, scratch, backup, dbname, **options)
        with psycopg.connect(scratch.conninfo(dbname), autocommit=True) as conn:
            conn.execute(statement)

    monkeypatch.setattr(backups, "restore", restore_then_tamper)
    return round_trip(_backup_settings(**settings), write_canary=False)


def test_a_big_table_is_hashed_in_key_ranges_and_a_change_is_narrowed_to_one(monkeypatch: pytest.MonkeyPatch,
                                                                             stack: object) -> None:
    """With a slice of one row, every table with statistics is cut at its keys: the sums still compare clean,
    and a changed row is reported in the one range that holds it."""
    _pg("psql", "-d", APP_DB, "-qc", "ANALYZE items")
    clean = round_trip(_backup_settings(hash_slice_rows=1), write_canary=False).compared()
    items = clean.source["public.items"]
    assert len(items.slices) >= 3 and items.rows == sum(part.rows for part in items.slices), items
    assert not clean.row_differences() and not clean.content_differences(), clean.content_differences()
    last_row = "UPDATE items SET name = name || '!' WHERE id = (SELECT max(id) FROM items)"
    found = _tampered_round_trip(monkeypatch, last_row, hash_slice_rows=1).compared().content_of("public.items")
    assert found and found.endswith(f"in {items.slices[-1].label}"), found


def test_a_point_in_time_restore_stops_at_the_time_it_was_given(stack: object) -> None:
    """Two commits with a target time between them: the copy replays the first, not the second."""
    with admin_connection(APP_DB) as conn:
        first = conn.execute("SELECT txid_current(), clock_timestamp()").fetchone()[1]  # a commit of its own
        target = conn.execute("SELECT clock_timestamp()").fetchone()[0]
        time.sleep(0.2)
        conn.execute("SELECT txid_current()")
        pgbackrest.archive_now(conn)
    settings = _backup_settings()
    assert settings.pgbackrest is not None
    run = rehearse_point_in_time(_backup_settings(pgbackrest=settings.pgbackrest.model_copy(
        update={"point_in_time": target})), "target-time")
    assert run.failure is None and run.recovery_missed is None, run.failure or run.recovery_missed
    assert run.recovered_to and first <= dt.datetime.fromisoformat(run.recovered_to) <= target, run.recovered_to


def test_a_point_in_time_before_every_backup_is_named_impossible(stack: object) -> None:
    settings = _backup_settings()
    assert settings.pgbackrest is not None
    long_ago = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    run = rehearse_point_in_time(_backup_settings(pgbackrest=settings.pgbackrest.model_copy(
        update={"point_in_time": long_ago})), "target-time")
    assert run.failure and run.failure.runbook == "backup/pitr-failed" and run.failed_step == "find", run.failure
    assert "retention does not reach back so far" in str(run.failure)
