"""The debian shape's extension, beside the default shape's servers (its state in .stack/debian/):

- `postgres-debian`: a PostgreSQL 15 cluster laid out as Debian's `pg_createcluster` lays one out: data in
  var/lib/postgresql/15/main without postgresql.conf, pg_hba.conf or pg_ident.conf, which live in
  etc/postgresql/15/main/ (started as `postgres -c config_file=...`); roles app, monitor and backup;
- its pgBackRest stanza `debian` (pgbackrest/: a full and an incremental backup, WAL archived past the newest);
- nightly plain-SQL dumps in backups/, as a cron line `pg_dump app > app-YYYYmmdd-HHMM.sql` leaves them, with
  `pg_dumpall --globals-only` beside them;
- `app-debian`: the template app with the public template's whole items collection (`/api/v1/items/`), no
  /metrics, on a database of its own;

and the faults that break them.
"""

from __future__ import annotations

import signal
from pathlib import Path

import psycopg

from stack.components import pgbackrest
from stack.components.app import LEAK_KB, AppSettings, restart_with, service
from stack.components.backups import NightlyJob, ensure_nightly
from stack.components.postgres.archive import Repository
from stack.components.postgres.paths import PG_BIN
from stack.components.postgres.server import ROLES, bootstrap, run_as_service_user
from stack.config import APP_DB, HOST, PORTS, STATE, app_dsn
from stack.files import give_to_service_user, render
from stack.model import Component, Controller, Fault, Service
from stack.probes import reload_by_signal
from stack.process import NotReady

HOME = STATE / "debian"
ETC = HOME / "etc" / "postgresql" / "15" / "main"
CONFIG = ETC / "postgresql.conf"
DATA = HOME / "var" / "lib" / "postgresql" / "15" / "main"
RUN = HOME / "run"  # Debian's /var/run/postgresql: the socket and the external pid file
MOVED_TO_ETC = ("postgresql.conf", "pg_hba.conf", "pg_ident.conf")
REPOSITORY = Repository(HOME / "pgbackrest", "debian", DATA, RUN, PORTS["postgres_debian"])
NIGHTLY = NightlyJob(HOME / "backups", REPOSITORY, plain=True)
BACKUP_ROLE = "backup"
# The least the backup role needs: pg_dump reads every table, sequence and schema (pg_read_all_data, PostgreSQL
# 14+, instead of grants per object that the next migration would miss); CONNECT on the database, given
# explicitly so a REVOKE from PUBLIC does not take it; CREATE on the database, so the DR rehearsal can make a
# schema of its own (`opsgate`) for its canary instead of writing into the app's schema. No superuser, no
# ownership of the app's objects, no write to them.
BACKUP_GRANTS = (f"GRANT CONNECT, CREATE ON DATABASE {APP_DB} TO {BACKUP_ROLE}",)
DEBIAN_ROLES = (*ROLES, (BACKUP_ROLE, "OPSGATE_PG_BACKUP_PASSWORD", " IN ROLE pg_read_all_data"))
DEMO_USER = "demo@opsgate.test"  # the template's users sign in with an e-mail address
APP = AppSettings(
    flavor="template",
    demo_user=DEMO_USER,
    ready_path="/api/v1/utils/health-check/",
    # One worker: the process holding the port is the one serving (and, under the leak fault, growing), as a
    # single `uvicorn`/`fastapi run` behind a process manager serves.
    workers=1,
    service="app-debian",
    port_key="app_debian",
    database_url=app_dsn(port_key="postgres_debian"),
    database_service="postgres-debian",
    redis_db=1,  # the shared Redis, another database: the default app's cached item list is not this app's
    home=HOME / "app",
    after_ready=lambda: ensure_nightly(NIGHTLY),
    items_collection="full",
)
ROTATED_PASSWORD = "rotated-by-opsgate-fault"


def _files() -> dict[Path, str]:
    settings = render("debian-postgresql.conf", data=DATA, etc=ETC, run=RUN, host=HOST,
                      port=PORTS["postgres_debian"], archive_command=REPOSITORY.archive_command)
    return {
        CONFIG: settings,
        ETC / "pg_hba.conf": render("debian-pg_hba.conf"),
        ETC / "pg_ident.conf": "# MAPNAME  SYSTEM-USERNAME  PG-USERNAME\n",
        **REPOSITORY.files(),
    }


def _create_cluster() -> None:
    """As pg_createcluster does: initdb, then the configuration files out of the data directory (ours are in
    etc/, written by the service's files)."""
    for directory in (RUN, ETC / "conf.d", DATA.parent, *REPOSITORY.directories):
        directory.mkdir(parents=True, exist_ok=True)
    give_to_service_user(HOME)
    if not (DATA / "PG_VERSION").exists():
        initdb = [str(PG_BIN / "initdb"), "-D", str(DATA), "-U", "postgres", "-E", "UTF8", "--locale=C",
                  "--auth-local=trust", "--auth-host=scram-sha-256"]
        run_as_service_user(initdb, "initdb", timeout=120)
        for name in MOVED_TO_ETC:
            (DATA / name).unlink()


def _probe() -> None:
    try:
        REPOSITORY.superuser("postgres").close()
    except psycopg.Error as exc:
        raise NotReady(str(exc).strip().splitlines()[0]) from None


POSTGRES = Service(
    name="postgres-debian",
    port=PORTS["postgres_debian"],
    url=f"postgresql://{HOST}:{PORTS['postgres_debian']}/{APP_DB}",
    command=lambda: [str(PG_BIN / "postgres"), "-c", f"config_file={CONFIG}"],
    ready=_probe,
    files=_files,
    reload=reload_by_signal,
    stop_signal=signal.SIGINT,
    as_service_user=True,
    prepare=_create_cluster,
    after_ready=lambda: bootstrap(REPOSITORY.superuser, DEBIAN_ROLES, BACKUP_GRANTS),
    data_dir=DATA,
    config=CONFIG,
)


def _rotate_backup_password(_stack: Controller) -> None:
    """The backup role's password changed on the server only (the target keeps the old one)."""
    with REPOSITORY.superuser("postgres") as conn:
        conn.execute(f"ALTER ROLE {BACKUP_ROLE} PASSWORD '{ROTATED_PASSWORD}'")


def component() -> Component:
    return Component(
        "debian",
        services=(POSTGRES, service(APP)),
        faults=(
            Fault("debian-backup-password-rotated", "the backup role's password changes on the debian cluster "
                  "(the target keeps the old one)", _rotate_backup_password, ("postgres-debian",)),
            Fault("debian-pgbackrest-checksum", "bytes of one file of the newest backup in the debian stanza are "
                  "changed, its size kept", lambda _stack: pgbackrest.change_backup_bytes(REPOSITORY),
                  undo=lambda _stack: pgbackrest.make_repository(REPOSITORY)),
            Fault("debian-writes-fail", "app-debian answers every PUT on an item with 404",
                  restart_with(APP, OPSGATE_APP_UPDATES_NOT_FOUND="1"), ("app-debian",)),
            Fault("debian-memory-leak", f"app-debian keeps {LEAK_KB} KB for good per items request",
                  restart_with(APP, OPSGATE_APP_LEAK_KB=str(LEAK_KB)), ("app-debian",)),
        ),
    )
