"""The servers of the reference stack: how each is configured, started, reloaded and probed.

Every service declares the files it wants on disk (configs, env files, the frontend). `converge` writes the
ones that differ and reloads or restarts the service, so any fault that rewrote a file is healed by it.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import redis
import requests
from psycopg import sql

from stack.config import (
    APP_DB,
    APP_ROLE,
    CORS_ORIGINS,
    DEMO_USER,
    FRONTEND_SOURCE,
    HOST,
    MONITOR_ROLE,
    PG_FILESYSTEM_SIZE,
    PORTS,
    REDIS_EVICTION_POLICY,
    ROOT,
    SECRETS,
    SERVER_NAMES,
    SERVICE_USER,
    STATE,
    TEMPLATES,
    app_dsn,
    redis_url,
)
from stack.pki import Authority, ensure_authority, issue_server_cert
from stack.process import NotReady

PROBE_TIMEOUT = 1.0
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_FILESYSTEM = STATE / "postgres"
PG_DATA = PG_FILESYSTEM / "data"
FILLER = PG_FILESYSTEM / "filler.bin"  # written by the pg-disk-low fault
REPLICA_DATA = PG_FILESYSTEM / "replica"
REPLICA_SOCKET_DIR = PG_FILESYSTEM / "replica-run"
PG_SOCKET_DIR = STATE / "postgres" / "run"
PKI = STATE / "pki"
WWW = STATE / "www"


def render(template: str, **values: object) -> str:
    text = (TEMPLATES / template).read_text()
    text = re.sub(r"\{\{(\w+)\}\}", lambda m: str(values[m[1]]), text)
    return text


def write_changed(files: dict[Path, str]) -> bool:
    """Write the files whose content differs from what is on disk; True if any was written."""
    changed = False
    for path, content in files.items():
        if not path.exists() or path.read_text() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            changed = True
    return changed


def env_file(values: dict[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in values.items())


def read_env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key: value for key, value in pairs}


def run_as_user() -> str | None:
    """The unprivileged account servers run as when we are root (created on first use)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            check=True,
        )
    return SERVICE_USER


def _service_gid() -> int | None:
    user = run_as_user()
    return pwd.getpwnam(user).pw_gid if user else None


def give_to_service_user(*paths: Path) -> None:
    user = run_as_user()
    if user is None:
        return
    account = pwd.getpwnam(user)
    uid, gid = account.pw_uid, account.pw_gid
    for top in paths:
        for path in [top, *top.rglob("*")]:
            os.chown(path, uid, gid)


# -- readiness probes: return quietly when serving, raise NotReady otherwise ------------------------------------


def probe_http(url: str, expect: int | None = 200) -> Callable[[], None]:
    """Ready when `url` answers `expect` (any status when None)."""

    def probe() -> None:
        try:
            status = requests.get(url, timeout=PROBE_TIMEOUT, allow_redirects=False).status_code
        except requests.RequestException as exc:
            raise NotReady(f"{url}: {type(exc).__name__}") from None
        if expect is not None and status != expect:
            raise NotReady(f"{url}: HTTP {status}")

    return probe


def probe_postgres() -> None:
    try:
        admin_connection().close()
    except psycopg.Error as exc:
        raise NotReady(str(exc).strip().splitlines()[0]) from None


def probe_redis() -> None:
    try:
        redis.Redis.from_url(redis_url(), socket_timeout=PROBE_TIMEOUT, socket_connect_timeout=PROBE_TIMEOUT).ping()
    except redis.RedisError as exc:
        raise NotReady(str(exc)) from None


def probe_replica() -> None:
    """Ready when the standby is in recovery and streaming from the primary."""
    try:
        with admin_connection(replica=True) as conn:
            state = conn.execute("SELECT pg_is_in_recovery(), (SELECT status FROM pg_stat_wal_receiver)").fetchone()
    except psycopg.Error as exc:
        raise NotReady(str(exc).strip().splitlines()[0]) from None
    if state != (True, "streaming"):
        raise NotReady(f"replica in recovery={state[0]}, WAL receiver {state[1] or 'not running'}")


def _base_backup() -> None:
    """Clone the primary into a streaming standby on first use (pg_basebackup -R writes primary_conninfo)."""
    REPLICA_SOCKET_DIR.mkdir(parents=True, exist_ok=True)
    give_to_service_user(REPLICA_SOCKET_DIR)
    if (REPLICA_DATA / "PG_VERSION").exists():
        return
    result = subprocess.run(
        [
            str(PG_BIN / "pg_basebackup"),
            "-h",
            str(PG_SOCKET_DIR),
            "-p",
            str(PORTS["postgres"]),
            "-U",
            "postgres",
            "-D",
            str(REPLICA_DATA),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        ],
        capture_output=True,
        text=True,
        user=run_as_user(),
        group=_service_gid(),
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"pg_basebackup failed: {result.stderr.strip().splitlines()[-1]}")


def prometheus_data(path: str, **params: str) -> Any:
    """The `data` of a Prometheus API v1 answer; NotReady while Prometheus cannot give one."""
    try:
        return requests.get(_http("prometheus", path), params=params or None, timeout=PROBE_TIMEOUT).json()["data"]
    except (requests.RequestException, ValueError, KeyError) as exc:
        raise NotReady(f"prometheus {path}: {type(exc).__name__}") from None


def probe_prometheus() -> None:
    """Ready, and its Alertmanager discovered: after a start or reload that takes a few seconds more."""
    probe_http(_http("prometheus", "/-/ready"))()
    if not prometheus_data("/api/v1/alertmanagers")["activeAlertmanagers"]:
        raise NotReady("prometheus has not discovered its Alertmanager yet")


def every_target_scraped_twice() -> None:
    """Monitoring is ready when Prometheus's last scrape of every target succeeded and each has two samples
    (enough for rate() to answer)."""
    targets = prometheus_data("/api/v1/targets")
    result = prometheus_data("/api/v1/query", query="min(count_over_time(up[1m]))")["result"]
    configured = set(re.findall(r"job_name: (\S+)", (STATE / "prometheus" / "prometheus.yml").read_text()))
    up = {t["labels"]["job"] for t in targets["activeTargets"] if t["health"] == "up"}
    waiting = sorted(configured - up)  # a just-started Prometheus lists no targets at all for a moment
    if waiting or not result or float(result[0]["value"][1]) < 2:
        raise NotReady(f"prometheus has not yet scraped every target twice (waiting for {waiting or 'samples'})")


def probe_tcp(port: int) -> Callable[[], None]:
    def probe() -> None:
        try:
            socket.create_connection((HOST, port), timeout=PROBE_TIMEOUT).close()
        except OSError as exc:
            raise NotReady(f"{HOST}:{port}: {exc.strerror or exc}") from None

    return probe


def admin_connection(dbname: str = "postgres", *, replica: bool = False) -> psycopg.Connection:
    """A superuser session over the primary's (or the replica's) Unix socket: trust auth, never on TCP."""
    return psycopg.connect(
        host=str(REPLICA_SOCKET_DIR if replica else PG_SOCKET_DIR),
        port=PORTS["postgres_replica" if replica else "postgres"],
        user="postgres",
        dbname=dbname,
        connect_timeout=2,
        autocommit=True,
    )


# -- service definitions ----------------------------------------------------------------------------------------


@dataclass
class Service:
    name: str
    port: int
    url: str
    command: Callable[[], list[str]]
    ready: Callable[[], None]
    files: Callable[[], dict[Path, str]] = dict
    reload: Callable[[int], None] | None = None  # applies changed files in place; None means restart
    stop_signal: int = signal.SIGTERM
    depends_on: tuple[str, ...] = ()
    as_service_user: bool = False
    env_path: Path | None = None
    prepare: Callable[[], None] | None = None
    after_ready: Callable[[], None] | None = None
    data_dir: Path | None = None
    config: Path | None = None

    def environment(self) -> dict[str, str]:
        return read_env_file(self.env_path) if self.env_path and self.env_path.exists() else {}


def children(pid: int) -> set[int]:
    kids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                kids.add(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return kids


def reload_by_signal(pid: int) -> None:
    os.kill(pid, signal.SIGHUP)


def reload_nginx(pid: int, timeout: float = 10.0) -> None:
    """SIGHUP, then wait until new workers serve and the old ones have left: nginx applies a config
    asynchronously, and keeps the old one (no new workers) when the new one is invalid."""
    old = children(pid)
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while True:
        current = children(pid)
        if current - old and not current & old:
            return
        if time.monotonic() > deadline:
            if current - old:
                return  # applied; an old worker is still finishing a long request
            raise RuntimeError(f"nginx did not apply its new configuration; see {STATE / 'nginx' / 'error.log'}")
        time.sleep(0.05)


def reload_over_http(port_key: str) -> Callable[[int], None]:
    """Prometheus and Alertmanager reload synchronously on POST /-/reload and answer an error if it failed."""

    def reload(_pid: int) -> None:
        response = requests.post(_http(port_key, "/-/reload"), timeout=10)
        if response.status_code != 200:
            raise RuntimeError(f"{port_key} rejected its new configuration: {response.text.strip()[:200]}")

    return reload


def _postgres_files() -> dict[Path, str]:
    return {
        STATE / "postgres" / "opsgate.conf": render("postgresql.conf", host=HOST, port=PORTS["postgres"], state=STATE)
    }


def _mount_data_filesystem() -> None:
    """As root, put PostgreSQL's files on a size-limited tmpfs: a full disk can then be a real fault."""
    if os.geteuid() != 0 or os.path.ismount(PG_FILESYSTEM):
        return
    PG_FILESYSTEM.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={PG_FILESYSTEM_SIZE},mode=0755", "opsgate-pgdata", str(PG_FILESYSTEM)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:  # a plain directory still works; only the pg-disk-low fault needs the mount
        print(f"stack: no size-limited filesystem for PostgreSQL: {result.stderr.strip()}", file=sys.stderr)


def _initdb() -> None:
    """Create the cluster on first use; its postgresql.conf includes our rendered settings file."""
    _mount_data_filesystem()
    PG_SOCKET_DIR.mkdir(parents=True, exist_ok=True)
    write_changed(_postgres_files())
    if not (PG_DATA / "PG_VERSION").exists():
        PG_DATA.mkdir(parents=True, exist_ok=True)
        give_to_service_user(STATE / "postgres")
        initdb = [str(PG_BIN / "initdb"), "-D", str(PG_DATA), "-U", "postgres", "-E", "UTF8", "--locale=C"]
        result = subprocess.run(
            [*initdb, "--auth-local=trust", "--auth-host=scram-sha-256"],
            capture_output=True,
            text=True,
            user=run_as_user(),
            group=_service_gid(),
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr.strip().splitlines()[-1]}")
        with (PG_DATA / "postgresql.conf").open("a") as conf:
            conf.write(f"\ninclude = '{STATE / 'postgres' / 'opsgate.conf'}'\n")
    give_to_service_user(STATE / "postgres")


def _bootstrap_postgres() -> None:
    """Roles, database and extension the app and the exporters need; passwords follow the environment."""
    with admin_connection() as conn:
        for role, key, extra in (
            (APP_ROLE, "OPSGATE_PG_PASSWORD", sql.SQL("")),
            (MONITOR_ROLE, "OPSGATE_PG_MONITOR_PASSWORD", sql.SQL(" IN ROLE pg_monitor, pg_read_all_data")),
        ):
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)) + extra)
            conn.execute(
                sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(SECRETS[key]))
            )
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (APP_DB,)).fetchone():
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(APP_DB), sql.Identifier(APP_ROLE))
            )
    with admin_connection(APP_DB) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")


APP_ENV = STATE / "app" / "app.env"
APP_METRICS_DIR = STATE / "app" / "metrics"


def app_settings(cors_origins: tuple[str, ...] = CORS_ORIGINS) -> dict[str, str]:
    return {
        "OPSGATE_APP_DATABASE_URL": app_dsn(),
        "OPSGATE_APP_REDIS_URL": redis_url(),
        "OPSGATE_APP_JWT_SECRET": SECRETS["OPSGATE_JWT_SECRET"],
        "OPSGATE_APP_CORS_ORIGINS": ",".join(cors_origins),
        "OPSGATE_APP_DEMO_USER": DEMO_USER,
        "OPSGATE_APP_DEMO_PASSWORD": SECRETS["OPSGATE_DEMO_PASSWORD"],
        "PROMETHEUS_MULTIPROC_DIR": str(APP_METRICS_DIR),
    }


def manage_app(*args: str) -> None:
    """Run the app's management CLI (migrations, seed data) with the app's settings."""
    result = subprocess.run(
        [sys.executable, "-m", "stack.app.manage", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **read_env_file(APP_ENV)},
    )
    if result.returncode != 0:
        raise RuntimeError(f"stack.app.manage {' '.join(args)}: {(result.stderr or result.stdout).strip()}")


def _prepare_app() -> None:
    # Multiprocess metrics files of a previous run would be summed into the new one.
    shutil.rmtree(APP_METRICS_DIR, ignore_errors=True)
    APP_METRICS_DIR.mkdir(parents=True)
    manage_app("upgrade")
    manage_app("seed")


@dataclass(frozen=True)
class NginxSettings:
    """The healthy nginx configuration; faults render it with one setting broken."""

    upstream_port: int = PORTS["app"]
    redirect_http: bool = True
    hsts: bool = True
    headers_always: bool = True
    server_tokens: bool = False
    ssl_protocols: str = "TLSv1.2 TLSv1.3"
    ssl_ciphers: str = "HIGH:!aNULL:!MD5"
    # Readiness can take 4 s when a dependency hangs (the app's own probe timeout); beyond 5 s the app is stuck.
    proxy_read_timeout_s: int = 5


def nginx_files(settings: NginxSettings = NginxSettings()) -> dict[Path, str]:
    user = run_as_user()
    always = "always" if settings.headers_always else ""
    hsts = 'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" ' + always + ";"
    files = {
        STATE / "nginx" / "nginx.conf": render(
            "nginx.conf",
            state=STATE,
            host=HOST,
            http_port=PORTS["nginx_http"],
            https_port=PORTS["nginx_https"],
            server_names=" ".join(SERVER_NAMES),
            upstream=f"{HOST}:{settings.upstream_port}",
            user_directive=f"user {user} {user};" if user else "",
            http_server_body=f"return 301 https://$host:{PORTS['nginx_https']}$request_uri;"
            if settings.redirect_http
            else 'return 200 "plain HTTP\\n";',
            hsts_header=hsts if settings.hsts else "# no HSTS",
            always=always,
            server_tokens="on" if settings.server_tokens else "off",
            ssl_protocols=settings.ssl_protocols,
            ssl_ciphers=settings.ssl_ciphers,
            proxy_read_timeout=f"{settings.proxy_read_timeout_s}s",
        )
    }
    files.update({WWW / source.name: source.read_text() for source in sorted(FRONTEND_SOURCE.iterdir())})
    return files


def _prepare_nginx() -> None:
    """Issue the server certificate on first use; make the worker-writable temp directories."""
    ca = ensure_authority(PKI)
    if not (PKI / "server.pem").exists():
        issue_healthy_server_cert(ca)
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (STATE / "nginx" / "tmp" / temp).mkdir(parents=True, exist_ok=True)
    give_to_service_user(STATE / "nginx" / "tmp")


def issue_healthy_server_cert(ca: Authority | None = None) -> None:
    issue_server_cert(ca or ensure_authority(PKI), (*SERVER_NAMES, HOST), PKI / "server.pem", PKI / "server.key")


def prometheus_files(extra_rules: str = "") -> dict[Path, str]:
    """prometheus.yml, the alert rules (plus `extra_rules`, a rule-group fault's addition) and their unit tests."""
    ports = {f"{name}_port": port for name, port in PORTS.items()}
    return {
        STATE / "prometheus" / "prometheus.yml": render("prometheus.yml", state=STATE, host=HOST, **ports),
        STATE / "prometheus" / "alerts.yml": (TEMPLATES / "alerts.yml").read_text() + extra_rules,
        STATE / "prometheus" / "alerts_test.yml": (TEMPLATES / "alerts_test.yml").read_text(),
    }


def _exporter_env(name: str, values: dict[str, str]) -> Callable[[], dict[Path, str]]:
    return lambda: {STATE / name / f"{name}.env": env_file(values)}


def _http(port_key: str, path: str = "") -> str:
    return f"http://{HOST}:{PORTS[port_key]}{path}"


SERVICES: list[Service] = [
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
        after_ready=_bootstrap_postgres,
        data_dir=PG_DATA,
        config=STATE / "postgres" / "opsgate.conf",
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
    Service(
        name="redis",
        port=PORTS["redis"],
        url=f"redis://{HOST}:{PORTS['redis']}/0",
        command=lambda: ["redis-server", str(STATE / "redis" / "redis.conf")],
        ready=probe_redis,
        files=lambda: {
            STATE / "redis" / "redis.conf": render(
                "redis.conf",
                host=HOST,
                port=PORTS["redis"],
                password=SECRETS["OPSGATE_REDIS_PASSWORD"],
                state=STATE,
                eviction_policy=REDIS_EVICTION_POLICY,
            )
        },
        data_dir=STATE / "redis",
        config=STATE / "redis" / "redis.conf",
    ),
    Service(
        name="app",
        port=PORTS["app"],
        url=_http("app"),
        command=lambda: [
            sys.executable,
            "-m",
            "uvicorn",
            "stack.app.main:app",
            "--host",
            HOST,
            "--port",
            str(PORTS["app"]),
            "--workers",
            "2",
            "--timeout-graceful-shutdown",
            "3",
        ],
        ready=probe_http(_http("app", "/health")),
        files=lambda: {APP_ENV: env_file(app_settings())},
        depends_on=("postgres",),
        env_path=APP_ENV,
        prepare=_prepare_app,
        config=APP_ENV,
    ),
    Service(
        name="nginx",
        port=PORTS["nginx_https"],
        url=f"https://localhost:{PORTS['nginx_https']}",
        command=lambda: [
            "nginx",
            "-p",
            str(STATE / "nginx"),
            "-e",
            str(STATE / "nginx" / "error.log"),
            "-c",
            str(STATE / "nginx" / "nginx.conf"),
        ],
        ready=probe_http(_http("nginx_http", "/"), expect=None),  # serving; what it serves is the nginx suite's job
        files=nginx_files,
        reload=reload_nginx,
        stop_signal=signal.SIGQUIT,  # graceful: finish in-flight requests
        prepare=_prepare_nginx,
        data_dir=WWW,
        config=STATE / "nginx" / "nginx.conf",
    ),
    Service(
        name="prometheus",
        port=PORTS["prometheus"],
        url=_http("prometheus"),
        command=lambda: [
            "prometheus",
            f"--config.file={STATE / 'prometheus' / 'prometheus.yml'}",
            f"--storage.tsdb.path={STATE / 'prometheus' / 'data'}",
            f"--web.listen-address={HOST}:{PORTS['prometheus']}",
            "--web.enable-lifecycle",
            "--storage.tsdb.retention.time=2d",
        ],
        ready=probe_prometheus,
        files=prometheus_files,
        reload=reload_over_http("prometheus"),
        data_dir=STATE / "prometheus" / "data",
        config=STATE / "prometheus" / "prometheus.yml",
    ),
    Service(
        name="alertmanager",
        port=PORTS["alertmanager"],
        url=_http("alertmanager"),
        command=lambda: [
            "prometheus-alertmanager",
            f"--config.file={STATE / 'alertmanager' / 'alertmanager.yml'}",
            f"--storage.path={STATE / 'alertmanager' / 'data'}",
            f"--web.listen-address={HOST}:{PORTS['alertmanager']}",
            "--cluster.listen-address=",
        ],
        ready=probe_http(_http("alertmanager", "/-/ready")),
        files=lambda: {STATE / "alertmanager" / "alertmanager.yml": render("alertmanager.yml")},
        reload=reload_over_http("alertmanager"),
        data_dir=STATE / "alertmanager" / "data",
        config=STATE / "alertmanager" / "alertmanager.yml",
    ),
    Service(
        name="node-exporter",
        port=PORTS["node_exporter"],
        url=_http("node_exporter", "/metrics"),
        command=lambda: ["prometheus-node-exporter", f"--web.listen-address={HOST}:{PORTS['node_exporter']}"],
        ready=probe_http(_http("node_exporter", "/metrics")),
    ),
    Service(
        name="postgres-exporter",
        port=PORTS["postgres_exporter"],
        url=_http("postgres_exporter", "/metrics"),
        command=lambda: ["prometheus-postgres-exporter", f"--web.listen-address={HOST}:{PORTS['postgres_exporter']}"],
        ready=probe_http(_http("postgres_exporter", "/")),  # /metrics waits on the database
        files=_exporter_env(
            "postgres-exporter",
            {"DATA_SOURCE_NAME": app_dsn(MONITOR_ROLE, "OPSGATE_PG_MONITOR_PASSWORD") + "?sslmode=disable"},
        ),
        env_path=STATE / "postgres-exporter" / "postgres-exporter.env",
        config=STATE / "postgres-exporter" / "postgres-exporter.env",
    ),
    Service(
        name="redis-exporter",
        port=PORTS["redis_exporter"],
        url=_http("redis_exporter", "/metrics"),
        command=lambda: [
            "prometheus-redis-exporter",
            f"-redis.addr=redis://{HOST}:{PORTS['redis']}",
            f"-web.listen-address={HOST}:{PORTS['redis_exporter']}",
        ],
        ready=probe_http(_http("redis_exporter", "/metrics")),
        files=_exporter_env("redis-exporter", {"REDIS_PASSWORD": SECRETS["OPSGATE_REDIS_PASSWORD"]}),
        env_path=STATE / "redis-exporter" / "redis-exporter.env",
        config=STATE / "redis-exporter" / "redis-exporter.env",
    ),
]
BY_NAME = {service.name: service for service in SERVICES}
