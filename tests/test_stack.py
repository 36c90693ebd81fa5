"""The reference stack: every service answers; every fault really breaks what it names and heal repairs it.

Probes here talk to the servers directly (psycopg, redis-py, HTTP), independently of opsgate's checks.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import ssl
import subprocess
import tarfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import psycopg
import pytest
import redis
import requests
from cryptography import x509
from docker.models.containers import Container

from opsgate.probes.containers import memory_use
from stack import process
from stack.components import containers, pgbackrest, prometheus, s3
from stack.components.backups import BACKUPS
from stack.components.postgres.paths import PG_BIN
from stack.config import CORS_ORIGINS, PORTS, SECRETS
from stack.core import Stack
from stack.shapes import DEFAULT
from tests.gate import Observation, assert_fault_observed

pytestmark = pytest.mark.stack
FAULTS = [fault.name for fault in DEFAULT.faults]  # the self-tests run the default shape

ROOT = Path(__file__).resolve().parent.parent
CA = str(ROOT / ".stack" / "pki" / "ca.pem")
PUBLIC = f"https://localhost:{PORTS['nginx_https']}"
TIMEOUT = 10  # above nginx's proxy_read_timeout (5 s): a 504 must arrive before the client gives up


def pg_select_one() -> object:
    dsn = f"postgresql://app:{SECRETS['OPSGATE_PG_PASSWORD']}@127.0.0.1:{PORTS['postgres']}/app"
    try:
        with psycopg.connect(dsn, connect_timeout=TIMEOUT) as conn:
            return conn.execute("SELECT 1").fetchone()[0]
    except psycopg.OperationalError:
        return "unreachable"


def redis_ping() -> object:
    try:
        return redis_client().ping()
    except redis.ConnectionError:
        return "unreachable"


def http_status(url: str, **kwargs: object) -> object:
    try:
        return requests.request(kwargs.pop("method", "GET"), url, verify=CA, timeout=TIMEOUT, **kwargs).status_code
    except requests.ConnectionError:
        return "refused"


def public_health_latency() -> str:
    began = time.monotonic()
    requests.get(f"{PUBLIC}/health", verify=CA, timeout=TIMEOUT)
    # The fault adds 1.5 s per request; a healthy loopback round trip takes milliseconds.
    return "slow" if time.monotonic() - began > 1.0 else "fast"


def items_request_failed() -> bool:
    """Whether one of twenty item-list requests straight to the app answered 500 (one of its two workers gets
    ten at least, and the fault fails every fifth of a worker's)."""
    return any([http_status(f"http://127.0.0.1:{PORTS['app']}/api/v1/items") == 500 for _ in range(20)])


def app_memory_after_requests() -> str:
    """Whether the app's processes keep memory per request: their resident memory over 100 item-list requests."""
    def resident() -> int:  # uvicorn's workers are its children, started under multiprocessing's own command line
        return sum(child.memory_info().rss for proc in psutil.process_iter()
                   if "stack.app.main:app" in " ".join(proc.cmdline()) for child in proc.children(recursive=True))

    before = resident()
    for _ in range(100):
        requests.get(f"http://127.0.0.1:{PORTS['app']}/api/v1/items", timeout=TIMEOUT)
    # The fault keeps 256 KB a request (25 MB here); a healthy app grows by a few pages at most.
    return "grows" if resident() - before > 10 << 20 else "flat"


def frontend_api_base() -> str:
    """Where the served page sends its API calls (config.js is `window.OPSGATE_CONFIG = {json};`)."""
    body = requests.get(f"{PUBLIC}/config.js", verify=CA, timeout=TIMEOUT).text
    api_base = json.loads(body.split("=", 1)[1].strip().rstrip(";"))["apiBase"]
    return "same-origin" if api_base == "/api/v1" else api_base


def cors_preflight() -> object:
    headers = {"Origin": CORS_ORIGINS[0], "Access-Control-Request-Method": "GET"}
    return http_status(f"{PUBLIC}/api/v1/items", method="OPTIONS", headers=headers)


def pg_admin(query: str, server: str = "postgres") -> object:
    """One value, read as the superuser over the primary's (or the replica's) Unix socket."""
    socket_dir = ROOT / ".stack" / "postgres" / ("run" if server == "postgres" else "replica-run")
    with psycopg.connect(
        host=str(socket_dir), port=PORTS[server.replace("-", "_")], user="postgres", dbname="app"
    ) as conn:
        return conn.execute(query).fetchone()[0]


def client_sessions(condition: str) -> int:
    return pg_admin(f"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND {condition}")


def demo_login_status() -> object:
    form = {"username": "demo", "password": SECRETS["OPSGATE_DEMO_PASSWORD"]}
    return http_status(f"{PUBLIC}/api/v1/auth/token", method="POST", data=form)


def redis_client() -> redis.Redis:
    return redis.Redis(port=PORTS["redis"], password=SECRETS["OPSGATE_REDIS_PASSWORD"], socket_timeout=TIMEOUT)


def served_certificate() -> x509.Certificate:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    address = ("127.0.0.1", PORTS["nginx_https"])
    with (
        socket.create_connection(address, timeout=TIMEOUT) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))


def tls10_handshake() -> str:
    result = subprocess.run(
        [
            "openssl",
            "s_client",
            "-connect",
            f"127.0.0.1:{PORTS['nginx_https']}",
            "-tls1",
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
        ],
        input="",
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    return "accepted" if result.returncode == 0 else "refused"


def nginx_config_test() -> int:
    conf = ROOT / ".stack" / "nginx" / "nginx.conf"
    return subprocess.run(["nginx", "-t", "-q", "-e", "stderr", "-c", str(conf)], capture_output=True).returncode


def nginx_config_newer_than_workers() -> bool:
    """Whether nginx.conf changed after the youngest worker started (clock ticks since boot, from /proc)."""
    ticks, boot = os.sysconf("SC_CLK_TCK"), float(Path("/proc/stat").read_text().split("btime ")[1].split()[0])
    master = int((ROOT / ".stack" / "nginx" / "nginx.pid").read_text())
    starts = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = stat.read_text().rsplit(")", 1)[1].split()
        if int(fields[1]) == master:
            starts.append(boot + int(fields[19]) / ticks)
    return (ROOT / ".stack" / "nginx" / "nginx.conf").stat().st_mtime > max(starts) + 1


def public_header(path: str, name: str) -> str | None:
    return requests.get(f"{PUBLIC}{path}", verify=CA, timeout=TIMEOUT).headers.get(name)


def local(port_key: str, path: str) -> str:
    return f"http://127.0.0.1:{PORTS[port_key]}{path}"


def metrics_text(port_key: str) -> str:
    return requests.get(local(port_key, "/metrics"), timeout=TIMEOUT).text


def prometheus_rules() -> list[dict]:
    groups = requests.get(local("prometheus", "/api/v1/rules"), timeout=TIMEOUT).json()["data"]["groups"]
    return [rule for group in groups for rule in group["rules"]]


def promtool_check_config() -> int:
    conf = ROOT / ".stack" / "prometheus" / "prometheus.yml"
    return subprocess.run(["promtool", "check", "config", str(conf)], capture_output=True).returncode


def newest_backup() -> Path:
    return max(BACKUPS.glob("app-*.dump"), key=lambda path: path.stat().st_mtime)


def newest_dump_listing() -> str:
    return subprocess.run([str(PG_BIN / "pg_restore"), "--list", str(newest_backup())], capture_output=True,
                          text=True, timeout=60).stdout


def newest_dump_reads_through() -> bool:
    return subprocess.run([str(PG_BIN / "pg_restore"), "-f", os.devnull, str(newest_backup())],
                          capture_output=True, timeout=60).returncode == 0


def newest_dump_size_ratio() -> float:
    newest, previous = sorted(BACKUPS.glob("app-*.dump"), key=lambda path: path.stat().st_mtime, reverse=True)[:2]
    return newest.stat().st_size / previous.stat().st_size


def newest_volume_archive() -> list[str]:
    """The member names of the newest prometheus_data archive; [] when it cannot be read through."""
    newest = max(prometheus.VOLUME_BACKUPS.glob("prometheus_data-*.tar.gz"), key=lambda path: path.stat().st_mtime)
    try:
        with tarfile.open(newest) as archive:
            return archive.getnames()
    except (tarfile.TarError, EOFError, OSError):
        return []


def archive_continuous_after_newest_backup() -> bool:
    """The archived WAL past the newest backup has no gap (archive_timeout adds segments while the stack runs)."""
    stop = int(pgbackrest.backups()[-1]["archive"]["stop"][8:24], 16)
    numbers = sorted({int(path.name[8:24], 16) for path in pgbackrest.archived_after_newest_backup()})
    return bool(numbers) and numbers == list(range(stop + 1, stop + 1 + len(numbers)))


def archive_continuous_between_backups() -> bool:
    """Every WAL segment between the two newest backups is archived (archive_timeout may add more than one)."""
    previous, newest = pgbackrest.backups()[-2:]
    first, last = (int(backup["archive"][end][8:24], 16) for backup, end in ((previous, "stop"), (newest, "start")))
    numbers = sorted({int(path.name[8:24], 16) for path in pgbackrest.archived_between_backups()})
    return numbers == list(range(first + 1, last))


# fault -> (what to observe, the healthy observation, the broken observation)
OBSERVATIONS: dict[str, Observation] = {
    "app-down": (lambda: http_status(f"http://127.0.0.1:{PORTS['app']}/health"), 200, "refused"),
    "redis-down": (redis_ping, True, "unreachable"),
    "postgres-down": (pg_select_one, 1, "unreachable"),
    "app-slow": (public_health_latency, "fast", "slow"),
    "app-500": (lambda: http_status(f"{PUBLIC}/api/v1/items"), 200, 500),
    "app-login-500": (lambda: demo_login_status(), 200, 500),
    "app-db-password-rotated": (lambda: pg_select_one(), 1, "unreachable"),  # the app's role, the old password
    "app-cache-format-drift": (
        lambda: "name" in requests.get(f"{PUBLIC}/api/v1/items", verify=CA, timeout=TIMEOUT).json()["items"][0],
        True,
        False,
    ),
    "frontend-broken": (lambda: http_status(f"{PUBLIC}/app.js"), 200, 404),
    "frontend-wrong-api": (
        frontend_api_base,
        "same-origin",
        "https://127.0.0.1:1/api/v1",
    ),
    "cors-origin-removed": (cors_preflight, 200, 400),
    "pg-connections-exhausted": (
        lambda: client_sessions("true") > 0.8 * pg_admin("SELECT current_setting('max_connections')::int"),
        False,
        True,
    ),
    "pg-idle-in-transaction": (lambda: client_sessions("state = 'idle in transaction'"), 0, 1),
    "pg-long-query": (lambda: client_sessions("state = 'active' AND now() - query_start > interval '3 s'"), 0, 1),
    "pg-lock-wait": (lambda: client_sessions("wait_event_type = 'Lock'"), 0, 1),
    "pg-migration-behind": (lambda: pg_admin("SELECT version_num FROM alembic_version"), "0002", "0001"),
    "pg-slow-statement": (
        lambda: pg_admin("SELECT count(*) FROM pg_stat_statements WHERE calls >= 5 AND mean_exec_time > 100"),
        0,
        1,
    ),
    "pg-invalid-index": (lambda: pg_admin("SELECT count(*) FROM pg_index WHERE NOT indisvalid"), 0, 1),
    "pg-replica-lag": (lambda: pg_admin("SELECT pg_is_wal_replay_paused()", "postgres-replica"), False, True),
    "pg-extension-missing": (
        lambda: pg_admin("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'"),
        1,
        0,
    ),
    "pg-prepared-transaction": (lambda: pg_admin("SELECT count(*) FROM pg_prepared_xacts"), 0, 1),
    "pg-sequence-near-max": (
        lambda: pg_admin("SELECT last_value > 1e15 FROM pg_sequences WHERE sequencename = 'items_id_seq'"),
        False,
        True,
    ),
    "pg-disk-low": (
        lambda: (
            shutil.disk_usage(ROOT / ".stack" / "postgres").free * 10
            < shutil.disk_usage(ROOT / ".stack" / "postgres").total
        ),
        False,
        True,
    ),
    "redis-noeviction": (
        lambda: redis_client().config_get("maxmemory-policy")["maxmemory-policy"],
        "allkeys-lru",
        "noeviction",
    ),
    "nginx-down": (lambda: http_status(f"{PUBLIC}/"), 200, "refused"),
    "nginx-upstream-refused": (lambda: http_status(f"{PUBLIC}/health"), 200, 502),
    "nginx-upstream-timeout": (lambda: http_status(f"{PUBLIC}/health"), 200, 504),
    "nginx-config-broken-on-disk": (nginx_config_test, 0, 1),
    "nginx-config-not-applied": (nginx_config_newer_than_workers, False, True),
    "tls-expired": (lambda: served_certificate().not_valid_after_utc < dt.datetime.now(dt.UTC), False, True),
    "tls-expiring-soon": (
        lambda: served_certificate().not_valid_after_utc - dt.datetime.now(dt.UTC) < dt.timedelta(days=7),
        False,
        True,
    ),
    "tls-hostname-mismatch": (
        lambda: served_certificate().subject.rfc4514_string(),
        "CN=localhost",
        "CN=wrong-name.opsgate.test",
    ),
    "tls-untrusted-ca": (
        lambda: served_certificate().issuer.rfc4514_string(),
        "CN=opsgate local CA",
        "CN=opsgate rogue CA",
    ),
    "tls-old-protocol": (tls10_handshake, "refused", "accepted"),
    "hsts-missing": (lambda: public_header("/", "Strict-Transport-Security") is not None, True, False),
    "server-tokens-on": (lambda: public_header("/", "Server"), "nginx", "nginx/1.22.1"),
    "redirect-missing": (
        lambda: http_status(f"http://localhost:{PORTS['nginx_http']}/", allow_redirects=False),
        301,
        200,
    ),
    "headers-missing-on-errors": (lambda: public_header("/missing.css", "X-Content-Type-Options"), "nosniff", None),
    "prometheus-down": (lambda: http_status(local("prometheus", "/-/ready")), 200, "refused"),
    "node-exporter-down": (lambda: http_status(local("node_exporter", "/metrics")), 200, "refused"),
    "postgres-exporter-broken": (lambda: "\npg_up 1" in metrics_text("postgres_exporter"), True, False),
    "app-metrics-missing": (lambda: "http_request_duration_seconds" in metrics_text("app"), True, False),
    "app-errors": (items_request_failed, False, True),
    "app-memory-leak": (app_memory_after_requests, "flat", "grows"),
    "prometheus-config-broken-on-disk": (promtool_check_config, 0, 1),
    "alert-rule-error": (lambda: any(r["health"] == "err" for r in prometheus_rules()), False, True),
    "critical-alert-firing": (
        lambda: any(
            r.get("state") == "firing" and r["labels"].get("severity") == "critical" for r in prometheus_rules()
        ),
        False,
        True,
    ),
    "alert-without-runbook": (
        lambda: all("runbook_url" in r.get("annotations", {}) for r in prometheus_rules() if r["type"] == "alerting"),
        True,
        False,
    ),
    "rule-tests-failing": (
        lambda: (
            subprocess.run(
                ["promtool", "test", "rules", str(ROOT / ".stack" / "prometheus" / "alerts_test.yml")],
                capture_output=True,
            ).returncode
        ),
        0,
        1,
    ),
    "alertmanager-unlinked": (
        lambda: len(
            requests.get(local("prometheus", "/api/v1/alertmanagers"), timeout=TIMEOUT).json()["data"][
                "activeAlertmanagers"
            ]
        ),
        1,
        0,
    ),
    "alertmanager-down": (lambda: http_status(local("alertmanager", "/-/ready")), 200, "refused"),
    "redis-memory-full": (
        lambda: redis_client().info("memory")["used_memory"] > 0.9 * redis_client().info("memory")["maxmemory"],
        False,
        True,
    ),
    "backup-truncated": (newest_dump_reads_through, True, False),
    "backup-corrupt": (newest_dump_reads_through, True, False),
    "backup-missing-table": (lambda: "TABLE DATA public items" in newest_dump_listing(), True, False),
    "backup-shrunk": (lambda: newest_dump_size_ratio() > 0.5, True, False),
    "backup-stale": (lambda: time.time() - newest_backup().stat().st_mtime < 86400, True, False),
    "backup-dir-empty": (lambda: len(list(BACKUPS.glob("app-*.dump"))), 2, 0),
    "backup-missing-roles": (lambda: len(list(BACKUPS.glob("globals-*.sql"))), 2, 0),
    "backup-role-lacks-privilege": (
        lambda: pg_admin("SELECT count(*) FROM pg_class WHERE relname = 'opsgate_fault_private'"), 0, 1),
    "s3-backup-unreadable": (
        lambda: s3.BUCKET in {b["Name"] for b in s3.client().list_buckets()["Buckets"]}, True, False),
    "pgbackrest-wal-gap": (archive_continuous_after_newest_backup, True, False),
    "pgbackrest-wal-gap-between-backups": (archive_continuous_between_backups, True, False),
    "pgbackrest-checksum-mismatch": (pgbackrest.verify_status, "status: ok", "status: error"),
    "volume-archive-truncated": (lambda: bool(newest_volume_archive()), True, False),
    "volume-archive-wrong-dir": (lambda: "data/wal" in newest_volume_archive(), True, False),
    "container-exited": (lambda: rig("worker").status, "running", "exited"),
    "container-unhealthy": (lambda: rig("web").attrs["State"]["Health"]["Status"], "healthy", "unhealthy"),
    "container-restart-loop": (lambda: rig("worker").status, "running", "restarting"),
    "container-oom-killed": (lambda: containers.oom_events("worker") > 0, False, True),
    "container-wrong-image-tag": (lambda: rig("web").attrs["Config"]["Image"], "opsgate-rig:1.0", "opsgate-rig:0.9"),
    "container-missing-service": (lambda: rig("worker") is not None, True, False),
    "container-error-logs": (lambda: b"ERROR" in rig("worker").logs(), False, True),
    "container-memory-near-limit": (lambda: rig_memory_pct("worker") > 80, False, True),
    "container-job-failed": (lambda: rig("migrate").attrs["State"]["ExitCode"], 0, 1),
}


def rig(service: str) -> Container | None:
    """The rig's container of `service` on the stack's Docker Engine, as it is now."""
    return containers.by_service().get(service)


def rig_memory_pct(service: str) -> float:
    container = rig(service)
    assert container is not None
    return memory_use(container.stats(stream=False, one_shot=True)).pct


def test_every_fault_has_an_observation() -> None:
    assert set(OBSERVATIONS) == set(FAULTS)


def test_every_service_is_up(stack: Stack) -> None:
    assert {row.name: row.state for row in stack.status()} == {row.name: "up" for row in stack.status()}


SERVICE_PROBES: dict[str, Callable[[], object]] = {
    "postgres": pg_select_one,
    "postgres-replica": lambda: pg_admin("SELECT pg_is_in_recovery()", "postgres-replica"),
    "redis": redis_ping,
    "app": lambda: http_status(f"http://127.0.0.1:{PORTS['app']}/api/v1/health"),
    "nginx": lambda: http_status(f"{PUBLIC}/api/v1/health"),
    "prometheus": lambda: http_status(f"http://127.0.0.1:{PORTS['prometheus']}/-/ready"),
    "alertmanager": lambda: http_status(f"http://127.0.0.1:{PORTS['alertmanager']}/-/ready"),
    "s3": lambda: http_status(f"http://127.0.0.1:{PORTS['s3']}/moto-api/"),
    "node-exporter": lambda: http_status(f"http://127.0.0.1:{PORTS['node_exporter']}/metrics"),
    "postgres-exporter": lambda: http_status(f"http://127.0.0.1:{PORTS['postgres_exporter']}/metrics"),
    "redis-exporter": lambda: http_status(f"http://127.0.0.1:{PORTS['redis_exporter']}/metrics"),
    "dockerd": lambda: containers.client().ping(),
}


@pytest.mark.parametrize("service", SERVICE_PROBES)
def test_service_answers_on_its_port(stack: Stack, service: str) -> None:
    assert SERVICE_PROBES[service]() in (1, True, 200)


def test_http_redirects_to_https(stack: Stack) -> None:
    response = requests.get(f"http://localhost:{PORTS['nginx_http']}/items?x=1", allow_redirects=False, timeout=5)
    assert response.status_code == 301
    assert response.headers["Location"] == f"{PUBLIC}/items?x=1"


@pytest.mark.parametrize("name", FAULTS)
def test_fault_breaks_and_heal_restores(stack: Stack, name: str) -> None:
    assert_fault_observed(stack, name, OBSERVATIONS[name])


def test_up_heals_every_active_fault(stack: Stack) -> None:
    for name in ("app-500", "frontend-wrong-api"):
        stack.inject(name)
    stack.up()
    assert stack.active_faults() == []
    for name in ("app-500", "frontend-wrong-api"):
        observe, healthy, _ = OBSERVATIONS[name]
        assert observe() == healthy


def _processes_in_groups(groups: set[int]) -> set[int]:
    """Live (non-zombie) processes whose process group is one of ours: masters and their workers."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in groups and fields[0] not in ("Z", "X"):
            found.add(int(stat.parent.name))
    return found


def test_down_leaves_no_process_then_up_restores(stack: Stack) -> None:
    groups = {row.pid for row in stack.status() if row.pid}
    assert len(groups) == len(stack.status())
    assert _processes_in_groups(groups) > groups, "workers (uvicorn, nginx, postgres backends) are counted too"
    stack.down()
    assert _processes_in_groups(groups) == set()
    assert all(row.state == "down" for row in stack.status())
    assert process.recorded_names() == []
    stack.up()
    assert all(row.state == "up" for row in stack.status())
