"""The stack's pgBackRest repository, as a nightly job leaves it: a full and an incremental backup of the primary,
its WAL archived continuously (stanza.archive), and a few transactions archived after the newest backup, so a
restore to the end of the archive replays WAL past it; the WAL between the two backups is a segment of its own.
And the faults that break it: a segment taken out after the newest backup, or between the two.

Made after the app is ready (see stack.components.backups.ensure_backups) and again by the fault's undo.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

from stack.components.postgres.archive import PRIMARY, Repository
from stack.config import APP_DB, APP_ROLE
from stack.files import give_to_service_user, run_as_user, service_gid
from stack.model import Controller, Fault

ARCHIVE_WAIT_S = 30.0
AFTER_BACKUP_TABLE = "opsgate_after_backup"  # rows written after the newest backup: only WAL replay brings them
# Always the same rows once the repository is made, so the nightly dumps (made after it) stay true to live.
CREATE_AFTER_BACKUP = (f"CREATE TABLE {AFTER_BACKUP_TABLE} "
                       "(id bigserial PRIMARY KEY, at timestamptz DEFAULT now(), note text)")
# Incompressible rows before the full backup: data, not schema, makes most of a dump's size, as in real databases
# (so the size of a dump that lost its data falls far, and one without a small table barely moves).
FILLER_ROWS = 2000
CHANGED_BYTES = 16  # of a backup's file, by the checksum fault


def pgbackrest(*args: str, timeout: float = 300, repository: Repository = PRIMARY) -> str:
    """Run as the server's account, like the archive_command (the repository is its)."""
    result = subprocess.run([*repository.command, *args], capture_output=True, text=True, timeout=timeout,
                            user=run_as_user(), group=service_gid())
    if result.returncode != 0:
        raise RuntimeError(f"pgbackrest {' '.join(args)}: {(result.stderr or result.stdout).strip()[-500:]}")
    return result.stdout


def verify_status(repository: Repository = PRIMARY) -> str:
    """What pgbackrest verify says of the stanza ("status: ok" or "status: error"): 2.45 exits 0 either way."""
    said = pgbackrest("verify", "--log-level-console=info", repository=repository)
    return "status: error" if "status: error" in said else "status: ok"


def backups(repository: Repository = PRIMARY) -> list[dict]:
    info = json.loads(pgbackrest("info", "--output=json", repository=repository))
    return info[0]["backup"] if info else []


def archive_now(conn: psycopg.Connection, repository: Repository = PRIMARY) -> None:
    """Close the current WAL segment and wait until the repository holds it: the archive then has every change
    made so far (a fault's undo calls this, so a restore to the end of the archive sees the healed database)."""
    segment = conn.execute("SELECT pg_walfile_name(pg_current_wal_lsn())").fetchone()[0]
    conn.execute("SELECT pg_switch_wal()")
    deadline = time.monotonic() + ARCHIVE_WAIT_S
    while not list((repository.repo / "archive" / repository.stanza).glob(f"*/*/{segment}-*")):
        if time.monotonic() > deadline:
            raise RuntimeError(f"WAL segment {segment} was not archived within {ARCHIVE_WAIT_S:g} s")
        time.sleep(0.1)


def _archive_past_the_newest_backup(repository: Repository) -> None:
    """Transactions after the newest backup, each in a WAL segment of its own that is archived before we return."""
    with repository.superuser(APP_DB) as conn:
        for _ in range(2):
            conn.execute(f"INSERT INTO {AFTER_BACKUP_TABLE} DEFAULT VALUES")
            archive_now(conn, repository)


@contextlib.contextmanager
def _one_maker(repository: Repository) -> Iterator[None]:
    """One process at a time makes a repository: a heal and another run's `up` rebuilding the same one at once
    removed each other's archive.info, and WAL archiving stalled."""
    with (repository.home / "making.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def make_repository(repository: Repository = PRIMARY) -> None:
    with _one_maker(repository):
        _make_repository(repository)


def _make_repository(repository: Repository) -> None:
    """A fresh stanza: filler rows, full backup, a change, incremental backup, then archived WAL past it."""
    shutil.rmtree(repository.repo, ignore_errors=True)
    repository.repo.mkdir(parents=True)
    give_to_service_user(repository.repo)
    pgbackrest("stanza-create", repository=repository)
    with repository.superuser(APP_DB) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {AFTER_BACKUP_TABLE}")
        conn.execute(CREATE_AFTER_BACKUP)
        conn.execute(f"ALTER TABLE {AFTER_BACKUP_TABLE} OWNER TO {APP_ROLE}")  # the app's data, as the app's rows are
        conn.execute(f"INSERT INTO {AFTER_BACKUP_TABLE} (note) SELECT md5(random()::text) "
                     f"FROM generate_series(1, {FILLER_ROWS})")
    pgbackrest("backup", "--type=full", repository=repository)
    with repository.superuser(APP_DB) as conn:  # the day between two nightly backups, in WAL of its own
        conn.execute(f"INSERT INTO {AFTER_BACKUP_TABLE} DEFAULT VALUES")
        archive_now(conn, repository)
    pgbackrest("backup", "--type=incr", repository=repository)
    _archive_past_the_newest_backup(repository)


def ensure_repository(repository: Repository = PRIMARY) -> None:
    with _one_maker(repository):
        if not (repository.repo / "backup" / repository.stanza).exists() or len(backups(repository)) < 2:
            _make_repository(repository)


def _archived(repository: Repository) -> list[Path]:
    return sorted((repository.repo / "archive" / repository.stanza).glob("*/*/*"))


def archived_after_newest_backup() -> list[Path]:
    """The archived WAL files past the newest backup's last segment, oldest first."""
    stop = backups()[-1]["archive"]["stop"]
    return [path for path in _archived(PRIMARY) if path.name[:24] > stop]


def archived_between_backups() -> list[Path]:
    """The archived WAL files after the backup before the newest ended and before the newest began."""
    previous, newest = backups()[-2:]
    files = _archived(PRIMARY)
    return [path for path in files if previous["archive"]["stop"] < path.name[:24] < newest["archive"]["start"]]


def _remove_between_backups(_stack: Controller) -> None:
    """A segment between the two backups removed: the newest restores, the older cannot be replayed forward."""
    between = archived_between_backups()
    if not between:
        raise RuntimeError("no archived WAL between the two newest backups to remove")
    between[0].unlink()


def _remove_a_segment(_stack: Controller) -> None:
    """An archived WAL segment after the newest backup removed (a lost upload): recovery cannot pass it."""
    after = archived_after_newest_backup()
    if not after:
        raise RuntimeError("no archived WAL after the newest backup to remove")
    after[0].unlink()


def newest_backup_file(repository: Repository = PRIMARY) -> Path:
    """The largest file the newest backup of the stanza stored (an incremental stores what changed)."""
    label = backups(repository)[-1]["label"]
    stored = (repository.repo / "backup" / repository.stanza / label / "pg_data").rglob("*")
    return max((path for path in stored if path.is_file()), key=lambda path: path.stat().st_size)


def change_backup_bytes(repository: Repository = PRIMARY) -> None:
    """Bytes in the middle of one file of the newest backup inverted, its size unchanged (bit rot, a bad disk):
    `pgbackrest verify` reports `checksum invalid` and, in 2.45, still exits 0."""
    path = newest_backup_file(repository)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for offset in range(middle, min(middle + CHANGED_BYTES, len(data))):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


FAULTS = (
    Fault("pgbackrest-wal-gap", "a WAL segment archived after the newest pgBackRest backup is removed",
          _remove_a_segment, undo=lambda _stack: make_repository()),
    Fault("pgbackrest-checksum-mismatch", "bytes of a file of the newest pgBackRest backup are changed, its size "
          "kept", lambda _stack: change_backup_bytes(), undo=lambda _stack: make_repository()),
    Fault("pgbackrest-wal-gap-between-backups", "a WAL segment archived between the two newest pgBackRest backups "
          "is removed", _remove_between_backups, undo=lambda _stack: make_repository()),
)
