"""PostgreSQL 15 and its streaming replica: cluster creation, roles, readiness and superuser access.

As root the cluster lives on a size-limited tmpfs, so a full disk can be a real fault.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql

from stack.components.postgres.access import superuser_session
from stack.components.postgres.archive import PRIMARY
from stack.components.postgres.paths import (
    PG_BIN,
    PG_CONFIG,
    PG_DATA,
    PG_FILESYSTEM,
    PG_SOCKET_DIR,
    REPLICA_DATA,
    REPLICA_SOCKET_DIR,
)
from stack.config import APP_DB, APP_ROLE, HOST, MONITOR_ROLE, PG_FILESYSTEM_SIZE, PORTS, SECRETS, STATE
from stack.files import give_to_service_user, render, run_as_user, service_gid, write_changed
from stack.model import Service
from stack.probes import reload_by_signal
from stack.process import NotReady


def admin_connection(dbname: str = "postgres", *, replica: bool = False) -> psycopg.Connection:
    """A superuser session over the primary's (or the replica's) Unix socket: trust auth, never on TCP."""
    if replica:
        return superuser_session(REPLICA_SOCKET_DIR, PORTS["postgres_replica"], dbname)
    return superuser_session(PG_SOCKET_DIR, PORTS["postgres"], dbname)


def probe_postgres() -> None:
    try:
        admin_connection().close()
    except psycopg.Error as exc:
        raise NotReady(str(exc).strip().splitlines()[0]) from None


def probe_replica() -> None:
    """Ready when the standby is in recovery and streaming from the primary."""
    try:
        with admin_connection(replica=True) as conn:
            state = conn.execute("SELECT pg_is_in_recovery(), (SELECT status FROM pg_stat_wal_receiver)").fetchone()
    except psycopg.Error as exc:
        raise NotReady(str(exc).strip().splitlines()[0]) from None
    if state != (True, "streaming"):
        raise NotReady(f"replica in recovery={state[0]}, WAL receiver {state[1] or 'not running'}")


def run_as_service_user(argv: list[str], what: str, timeout: float) -> None:
    result = subprocess.run(
        argv, capture_output=True, text=True, user=run_as_user(), group=service_gid(), timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed: {result.stderr.strip().splitlines()[-1]}")


def _base_backup() -> None:
    """Clone the primary into a streaming standby on first use (pg_basebackup -R writes primary_conninfo)."""
    REPLICA_SOCKET_DIR.mkdir(parents=True, exist_ok=True)
    give_to_service_user(REPLICA_SOCKET_DIR)
    if (REPLICA_DATA / "PG_VERSION").exists():
        return
    source = ["-h", str(PG_SOCKET_DIR), "-p", str(PORTS["postgres"]), "-U", "postgres"]
    argv = [str(PG_BIN / "pg_basebackup"), *source, "-D", str(REPLICA_DATA), "-R", "-X", "stream", "-c", "fast"]
    run_as_service_user(argv, "pg_basebackup", timeout=120)


def _postgres_files() -> dict[Path, str]:
    settings = render("postgresql.conf", host=HOST, port=PORTS["postgres"], state=STATE,
                      archive_command=PRIMARY.archive_command)
    return {PG_CONFIG: settings, **PRIMARY.files()}


def _mount_data_filesystem() -> None:
    """As root, put PostgreSQL's files on a size-limited tmpfs: a full disk can then be a real fault."""
    if os.geteuid() != 0 or os.path.ismount(PG_FILESYSTEM):
        return
    PG_FILESYSTEM.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={PG_FILESYSTEM_SIZE},mode=0755", "opsgate-pgdata", str(PG_FILESYSTEM)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if result.returncode != 0:  # a plain directory still works; only the pg-disk-low fault needs the mount
        print(f"stack: no size-limited filesystem for PostgreSQL: {result.stderr.strip()}", file=sys.stderr)


def _initdb() -> None:
    """Create the cluster on first use; its postgresql.conf includes our rendered settings file."""
    _mount_data_filesystem()
    PG_SOCKET_DIR.mkdir(parents=True, exist_ok=True)
    write_changed(_postgres_files())
    for directory in PRIMARY.directories:
        directory.mkdir(parents=True, exist_ok=True)
    give_to_service_user(PRIMARY.home)  # archive_command runs as the server's account
    if not (PG_DATA / "PG_VERSION").exists():
        PG_DATA.mkdir(parents=True, exist_ok=True)
        give_to_service_user(PG_FILESYSTEM)
        initdb = [str(PG_BIN / "initdb"), "-D", str(PG_DATA), "-U", "postgres", "-E", "UTF8", "--locale=C"]
        run_as_service_user([*initdb, "--auth-local=trust", "--auth-host=scram-sha-256"], "initdb", timeout=120)
        with (PG_DATA / "postgresql.conf").open("a") as conf:
            conf.write(f"\ninclude = '{PG_CONFIG}'\n")
    give_to_service_user(PG_FILESYSTEM)


# Each cluster's roles: name, the secret holding its password, what it is granted when created.
ROLES: tuple[tuple[str, str, str], ...] = (
    (APP_ROLE, "OPSGATE_PG_PASSWORD", ""),
    (MONITOR_ROLE, "OPSGATE_PG_MONITOR_PASSWORD", " IN ROLE pg_monitor, pg_read_all_data"),
)


def bootstrap(connect: Callable[[str], psycopg.Connection], roles: tuple[tuple[str, str, str], ...] = ROLES,
              grants: tuple[str, ...] = ()) -> None:
    """Roles, database and extension the app and the exporters need; passwords follow the environment (so
    converging heals a rotated one); then `grants` (statements run in the app database)."""
    with connect("postgres") as conn:
        for role, key, extra in roles:
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)) + sql.SQL(extra))
            conn.execute(
                sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(SECRETS[key]))
            )
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (APP_DB,)).fetchone():
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(APP_DB), sql.Identifier(APP_ROLE))
            )
    with connect(APP_DB) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        for grant in grants:
            conn.execute(grant)


SERVICES = (
    Service(
        name="postgres",
        port=PORTS["postgres"],
        url=f"postgresql://{HOST}:{PORTS['postgres']}/{APP_DB}",
        command=lambda: [str(PG_BIN / "postgres"), "-D", str(PG_DATA)],
        ready=probe_postgres,
        files=_postgres_files,
        reload=reload_by_signal,
        stop_signal=signal.SIGINT,  # "fast" shutdown: SIGTERM would wait for every client to leave
        as_service_user=True,
        prepare=_initdb,
        after_ready=lambda: bootstrap(admin_connection),
        data_dir=PG_DATA,
        config=PG_CONFIG,
    ),
    Service(
        name="postgres-replica",
        port=PORTS["postgres_replica"],
        url=f"postgresql://{HOST}:{PORTS['postgres_replica']}/{APP_DB}",
        # The cloned postgresql.conf includes the primary's settings; the command line overrides where it listens.
        command=lambda: [
            str(PG_BIN / "postgres"),
            "-D",
            str(REPLICA_DATA),
            "-c",
            f"port={PORTS['postgres_replica']}",
            "-c",
            f"unix_socket_directories={REPLICA_SOCKET_DIR}",
        ],
        ready=probe_replica,
        stop_signal=signal.SIGINT,
        depends_on=("postgres",),
        as_service_user=True,
        prepare=_base_backup,
        data_dir=REPLICA_DATA,
        config=REPLICA_DATA / "postgresql.auto.conf",
    ),
)
