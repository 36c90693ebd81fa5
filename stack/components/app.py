"""The reference FastAPI app (`stack/app/`) under uvicorn: settings, migrations and seed data, and its faults."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from stack.app.cache import ItemsCache
from stack.components.backups import ensure_backups
from stack.components.postgres.server import admin_connection
from stack.components.redis import client, flush_cache
from stack.config import APP_ROLE, CORS_ORIGINS, DEMO_USER, HOST, PORTS, ROOT, SECRETS, STATE, app_dsn, redis_url
from stack.files import env_file, read_env_file
from stack.model import Component, Controller, Fault, Service, stop
from stack.probes import http_url, probe_http

ITEMS_TABLE, RENAMED_ITEMS_TABLE = "items", "items_renamed_by_fault"
USERS_TABLE, RENAMED_USERS_TABLE = "users", "users_renamed_by_fault"
STASH_TABLE = "opsgate_fault_stash"


@dataclass(frozen=True)
class AppSettings:
    flavor: str = "reference"  # or "template": the routes of a typical public FastAPI project (stack/app/template.py)
    demo_user: str = DEMO_USER
    ready_path: str = "/health"  # what the stack waits for after a start
    workers: int = 2
    cors_origins: tuple[str, ...] = CORS_ORIGINS
    # Where it runs: its service name and port, its database (and the service that serves it), its cache's Redis
    # database, its files' folder, and what follows its first start (the nightly job's first run).
    service: str = "app"
    port_key: str = "app"
    database_url: str = app_dsn()
    database_service: str = "postgres"
    redis_db: int = 0
    home: Path = STATE / "app"
    after_ready: Callable[[], None] = ensure_backups
    items_collection: str = "read-only"  # the template flavor's: or "full" (stack/app/template.py)

    @property
    def env_path(self) -> Path:
        return self.home / "app.env"

    @property
    def metrics_dir(self) -> Path:
        return self.home / "metrics"


APP_SETTINGS = AppSettings()


def app_environment(settings: AppSettings, **overrides: str) -> dict[str, str]:
    """The app's OPSGATE_APP_* settings (faults override one of them)."""
    values = {
        "OPSGATE_APP_DATABASE_URL": settings.database_url,
        "OPSGATE_APP_REDIS_URL": redis_url(settings.redis_db),
        "OPSGATE_APP_JWT_SECRET": SECRETS["OPSGATE_JWT_SECRET"],
        "OPSGATE_APP_CORS_ORIGINS": ",".join(settings.cors_origins),
        "OPSGATE_APP_DEMO_USER": settings.demo_user,
        "OPSGATE_APP_FLAVOR": settings.flavor,
        "OPSGATE_APP_DEMO_PASSWORD": SECRETS["OPSGATE_DEMO_PASSWORD"],
        "OPSGATE_APP_ITEMS_COLLECTION": settings.items_collection,
        "PROMETHEUS_MULTIPROC_DIR": str(settings.metrics_dir),
    }
    return {**values, **overrides}


def serve_drill(database_url: str, port: int) -> None:
    """Become the reference app (one uvicorn worker) on another database, until stopped: a DR drill serves the
    restored copy so the smoke suite can test it. Its metrics go to a directory of its own."""
    metrics = STATE / "drill-app" / "metrics"
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir(parents=True)
    env = {**os.environ, **app_environment(AppSettings(), OPSGATE_APP_DATABASE_URL=database_url,
                                            PROMETHEUS_MULTIPROC_DIR=str(metrics))}
    os.chdir(ROOT)
    os.execve(sys.executable, [sys.executable, "-m", "uvicorn", "stack.app.main:app", "--host", HOST, "--port",
                               str(port), "--workers", "1", "--timeout-graceful-shutdown", "1"], env)


def manage_app(*args: str, settings: AppSettings = APP_SETTINGS) -> None:
    """Run the app's management CLI (migrations, seed data) with the app's settings."""
    result = subprocess.run(
        [sys.executable, "-m", "stack.app.manage", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **read_env_file(settings.env_path)},
    )
    if result.returncode != 0:
        raise RuntimeError(f"stack.app.manage {' '.join(args)}: {(result.stderr or result.stdout).strip()}")


def _prepare_app(settings: AppSettings) -> None:
    # Multiprocess metrics files of a previous run would be summed into the new one.
    shutil.rmtree(settings.metrics_dir, ignore_errors=True)
    settings.metrics_dir.mkdir(parents=True)
    manage_app("upgrade", settings=settings)
    manage_app("seed", settings=settings)


ERROR_EVERY = 5  # a 20% error rate
LEAK_KB = 256  # about 25 MB/s at the reference soak's rate: gross, so a 45 s soak sees it over the noise


def restart_with(settings: AppSettings, *, monitored: bool = False, **overrides: str) -> Callable[[Controller], None]:
    """Restart the app with one setting changed (a bad deploy of its configuration)."""

    def inject(stack: Controller) -> None:
        settings.env_path.write_text(env_file(app_environment(settings, **overrides)))
        stack.restart(settings.service)
        if monitored:
            stack.wait_until_monitored()  # the restart is not the fault: Prometheus must see the app up again

    return inject


def _rename_table(old: str, new: str) -> Callable[[Controller], None]:
    def rename(_stack: Controller) -> None:
        with admin_connection("app") as conn:
            if conn.execute("SELECT to_regclass(%s)", (old,)).fetchone() == (old,):
                conn.execute(f"ALTER TABLE {old} RENAME TO {new}")
        flush_cache()  # the cached item list would hide the broken table from readers

    return rename


def _rotate_database_password(_stack: Controller) -> None:
    """Change the app role's password in PostgreSQL only, as a half-done rotation does, and end its sessions:
    the app's pool cannot reconnect, while the monitoring role (and so the db suite) is unaffected."""
    with admin_connection() as conn:
        conn.execute(f"ALTER ROLE {APP_ROLE} PASSWORD 'rotated-by-opsgate-fault'")
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (APP_ROLE,))
    flush_cache()


def _serve_old_cache_format(_stack: Controller) -> None:
    """An older release's cache entry for the item list, in its own format (a rolling deploy sharing Redis):
    the keys are still there, but the items have other fields and the count is a string."""
    old = {"items": [{"id": "1", "title": "written by release 1.3"}], "count": "1"}
    client().set(ItemsCache.KEY, json.dumps(old), ex=3600)


def _restart(stack: Controller) -> None:
    stack.restart("app")  # a pool in back-off after failed reconnects would take a while to notice the heal


def _migrate_one_back(_stack: Controller) -> None:
    """A real `alembic downgrade -1`; the item descriptions it drops are stashed so heal restores them."""
    with admin_connection("app") as conn:
        conn.execute(f"DROP TABLE IF EXISTS {STASH_TABLE}")
        conn.execute(f"CREATE TABLE {STASH_TABLE} AS SELECT id, description FROM items")
    manage_app("downgrade")
    flush_cache()


def _migrate_forward(_stack: Controller) -> None:
    manage_app("upgrade")
    with admin_connection("app") as conn:
        if conn.execute("SELECT to_regclass(%s)", (STASH_TABLE,)).fetchone() == (STASH_TABLE,):
            conn.execute(f"UPDATE items SET description = s.description FROM {STASH_TABLE} s WHERE items.id = s.id")
            conn.execute(f"DROP TABLE {STASH_TABLE}")
    flush_cache()


def service(settings: AppSettings) -> Service:
    return Service(
        name=settings.service,
        port=PORTS[settings.port_key],
        url=http_url(settings.port_key),
        command=lambda: [
            sys.executable,
            "-m",
            "uvicorn",
            "stack.app.main:app",
            "--host",
            HOST,
            "--port",
            str(PORTS[settings.port_key]),
            "--workers",
            str(settings.workers),
            "--timeout-graceful-shutdown",
            "3",
        ],
        ready=probe_http(http_url(settings.port_key, settings.ready_path)),
        files=lambda: {settings.env_path: env_file(app_environment(settings))},
        depends_on=(settings.database_service,),
        env_path=settings.env_path,
        prepare=lambda: _prepare_app(settings),
        after_ready=settings.after_ready,  # the nightly job's first run: the app's tables and seed data now exist
        config=settings.env_path,
    )


def component(settings: AppSettings = APP_SETTINGS) -> Component:
    kept_origins = ",".join(settings.cors_origins[1:])
    faults = (
        Fault("app-down", "the app process is stopped", stop("app"), ("app",)),
        Fault(
            "app-500",
            "the items table is renamed under the app (schema drift): GET /api/v1/items answers 500",
            _rename_table(ITEMS_TABLE, RENAMED_ITEMS_TABLE),
            undo=_rename_table(RENAMED_ITEMS_TABLE, ITEMS_TABLE),
        ),
        Fault(
            "cors-origin-removed",
            f"the app no longer allows the origin {settings.cors_origins[0]}",
            restart_with(settings, OPSGATE_APP_CORS_ORIGINS=kept_origins),
            ("app",),
        ),
        Fault(
            "app-cache-format-drift",
            "the item list is served from an older release's cache entry, in that release's format",
            _serve_old_cache_format,
            undo=lambda _stack: flush_cache(),
        ),
        Fault(
            "app-login-500",
            "the users table is renamed under the app: every login answers 500, reads still work",
            _rename_table(USERS_TABLE, RENAMED_USERS_TABLE),
            undo=_rename_table(RENAMED_USERS_TABLE, USERS_TABLE),
        ),
        Fault(
            "app-db-password-rotated",
            "the app role's PostgreSQL password changes under the app (the app keeps the old one)",
            _rotate_database_password,
            ("postgres",),  # converging PostgreSQL sets the passwords the stack's settings say
            _restart,
        ),
        Fault(
            "pg-migration-behind",
            "the database is migrated one Alembic revision down",
            _migrate_one_back,
            undo=_migrate_forward,
        ),
    )
    if settings.flavor == "reference":  # the template flavor has no /metrics to lose a family from
        faults += (
            Fault(
                "app-metrics-missing",
                "the app stops exposing http_request_duration_seconds",
                restart_with(settings, monitored=True, OPSGATE_APP_METRICS_OMITTED="http_request_duration_seconds"),
                ("app",),
            ),
            Fault(
                "app-errors",
                f"every {ERROR_EVERY}th items request answers 500 (a race that shows under load)",
                restart_with(settings, OPSGATE_APP_ERROR_EVERY=str(ERROR_EVERY)),
                ("app",),
            ),
            Fault(
                "app-memory-leak",
                f"the app keeps {LEAK_KB} KB for good per items request",
                restart_with(settings, monitored=True, OPSGATE_APP_LEAK_KB=str(LEAK_KB)),
                ("app",),
            ),
        )
    return Component("app", services=(service(settings),), faults=faults)
