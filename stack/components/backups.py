"""The stack's nightly-style backups, as a cron job leaves them in `.stack/backups/`: `pg_dump -Fc` of the app
database and `pg_dumpall --globals-only` beside it, two generations an hour apart; the newest also restored into
database app_snapshot, as a pipeline restores a managed snapshot into an instance of its own; and the faults that
break them.

They are made once the app has migrated and seeded its database (the app service's `after_ready`), and made
again whenever a generation is missing; a fault's undo makes them afresh.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from stack.components import pgbackrest
from stack.components.postgres.archive import PRIMARY, Repository
from stack.components.postgres.server import PG_BIN, admin_connection
from stack.config import APP_DB, APP_ROLE, STATE
from stack.model import Component, Controller, Fault


@dataclass(frozen=True)
class NightlyJob:
    """Where a cluster's nightly job writes, and how: `pg_dump -Fc` (the default shape's), or plain SQL through
    the shell (`pg_dump app > app-YYYYmmdd-HHMM.sql`), as many teams' cron lines do."""

    directory: Path
    repository: Repository  # the cluster dumped, and its pgBackRest repository, made first
    plain: bool = False

    @property
    def dump_pattern(self) -> str:
        return f"{APP_DB}-*.sql" if self.plain else f"{APP_DB}-*.dump"

    def stamp(self, at: float) -> str:
        return time.strftime("%Y%m%d-%H%M" if self.plain else "%Y%m%dT%H%M%SZ", time.gmtime(at))

    def run(self, program: str, *args: str, into: Path | None = None) -> None:
        """A client program as the superuser over the cluster's socket; its output into `into` when given."""
        admin = ["-h", str(self.repository.socket), "-p", str(self.repository.port), "-U", "postgres"]
        with into.open("w") if into else contextlib.nullcontext() as out:
            result = subprocess.run([str(PG_BIN / program), *admin, *args], stdout=out or subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{program}: {result.stderr.strip()}")


NIGHTLY = NightlyJob(STATE / "backups", PRIMARY)
BACKUPS = NIGHTLY.directory
GENERATIONS_S = (3600.0, 0.0)  # ages of the two generations made: the one before the newest, and the newest
STALE_AGE_S = 2 * 86400.0  # the stale fault's age of the newest backup; targets/local.yml allows one day
PRIVATE_TABLE = "opsgate_fault_private"
CORRUPT_FROM_END = 100  # where the corrupt fault starts flipping bytes, counted from the archive's end
SNAPSHOT_DB = f"{APP_DB}_snapshot"  # stands in for a managed snapshot restored into an instance of its own
# As a managed service lets its admin role run amcheck: the extension, and its functions for the gate's role.
GRANT_AMCHECK = f"""DO $$ DECLARE f regprocedure; BEGIN
  FOR f IN SELECT d.objid::regprocedure FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
           WHERE d.deptype = 'e' AND d.classid = 'pg_proc'::regclass AND e.extname = 'amcheck' LOOP
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO {APP_ROLE}', f);
  END LOOP; END $$"""


def newest(pattern: str) -> Path:
    return max(BACKUPS.glob(pattern), key=lambda path: path.stat().st_mtime)


def make_backups(*dump_options: str, job: NightlyJob = NIGHTLY) -> None:
    """Both generations afresh; `dump_options` go to the newest one's pg_dump (how a fault changes the job)."""
    shutil.rmtree(job.directory, ignore_errors=True)
    job.directory.mkdir(parents=True)
    now = time.time()
    for age in GENERATIONS_S:
        stamp = job.stamp(now - age)
        dump = job.directory / job.dump_pattern.replace("*", stamp)
        roles = job.directory / f"globals-{stamp}.sql"
        options = dump_options if age == 0 else ()
        if job.plain:
            job.run("pg_dump", *options, APP_DB, into=dump)
        else:
            job.run("pg_dump", "-Fc", *options, "-f", str(dump), APP_DB)
        job.run("pg_dumpall", "--globals-only", into=roles)
        for path in (dump, roles):
            os.utime(path, (now - age, now - age))


def ensure_nightly(job: NightlyJob) -> None:
    """Make the job's generations and its cluster's pgBackRest repository unless they are there (after the app is
    ready: its tables and seed data exist)."""
    pgbackrest.ensure_repository(job.repository)  # first: it writes rows the dumps then hold
    if len(list(job.directory.glob(job.dump_pattern))) < len(GENERATIONS_S):
        make_backups(job=job)


def ensure_backups() -> None:
    ensure_nightly(NIGHTLY)
    ensure_snapshot()


def ensure_snapshot() -> None:
    """A managed snapshot's stand-in (a pipeline restores an RDS snapshot into a new instance): the newest
    nightly dump restored into a database of its own, once."""
    with admin_connection("postgres") as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (SNAPSHOT_DB,)).fetchone():
            return
    NIGHTLY.run("createdb", "-T", "template0", SNAPSHOT_DB)
    NIGHTLY.run("pg_restore", "--exit-on-error", "-d", SNAPSHOT_DB, str(newest(NIGHTLY.dump_pattern)))
    with admin_connection(SNAPSHOT_DB) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        conn.execute(GRANT_AMCHECK)


def _remake(*dump_options: str) -> Callable[[Controller], None]:
    return lambda _stack: make_backups(*dump_options)


def _truncate(_stack: Controller) -> None:
    """The newest archive cut in half, as by a full disk or an interrupted upload."""
    path = newest(f"{APP_DB}-*.dump")
    os.truncate(path, path.stat().st_size // 2)


def _corrupt(_stack: Controller) -> None:
    """Bytes flipped in the newest archive's last data blocks (its table of contents at the start stays readable:
    pg_restore --list passes, the restore does not)."""
    path = newest(f"{APP_DB}-*.dump")
    data = bytearray(path.read_bytes())
    for offset in range(len(data) - CORRUPT_FROM_END, len(data) - CORRUPT_FROM_END + 64):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, (time.time(), time.time()))


def _make_stale(_stack: Controller) -> None:
    """The job stopped running two days ago: every backup is at least that old."""
    now = time.time()
    for path in BACKUPS.iterdir():
        age = STALE_AGE_S + now - path.stat().st_mtime
        os.utime(path, (now - age, now - age))


def _empty(_stack: Controller) -> None:
    for path in BACKUPS.iterdir():
        path.unlink()


def _drop_roles_files(_stack: Controller) -> None:
    """The job backs up the database but no longer the roles (a `pg_dump`-only script)."""
    for path in BACKUPS.glob("globals-*.sql"):
        path.unlink()


def _add_private_table(_stack: Controller) -> None:
    """A table created by another role, without a grant to the app's role that the backups run as."""
    with admin_connection(APP_DB) as conn:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {PRIVATE_TABLE} AS SELECT 1 AS secret")
        conn.execute(f"REVOKE ALL ON {PRIVATE_TABLE} FROM PUBLIC, {APP_ROLE}")


def _drop_private_table(_stack: Controller) -> None:
    with admin_connection(APP_DB) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {PRIVATE_TABLE}")
        pgbackrest.archive_now(conn)  # else the rehearsal of the archive sees the table for up to archive_timeout


def component() -> Component:
    remake = _remake()
    return Component(
        "backups",
        faults=(
            Fault("backup-truncated", "the newest nightly archive is cut in half", _truncate, undo=remake),
            Fault("backup-corrupt", "64 bytes flipped inside the newest nightly archive", _corrupt, undo=remake),
            Fault("backup-missing-table", "the newest nightly dump was made with --exclude-table=items",
                  _remake("--exclude-table=items"), undo=remake),
            Fault("backup-shrunk", "the newest nightly dump holds the schema only (--schema-only)",
                  _remake("--schema-only"), undo=remake),
            Fault("backup-stale", "the nightly job stopped two days ago", _make_stale, undo=remake),
            Fault("backup-dir-empty", "the backup directory is empty", _empty, undo=remake),
            Fault("backup-missing-roles", "the nightly job no longer writes the roles (pg_dumpall --globals-only)",
                  _drop_roles_files, undo=remake),
            Fault("backup-role-lacks-privilege",
                  f"a table ({PRIVATE_TABLE}) the backup role cannot read: pg_dump as that role fails",
                  _add_private_table, undo=_drop_private_table),
            *pgbackrest.FAULTS,
        ),
    )
