"""Real faults the reference stack can inject: stopped processes, rewritten configs, broken schema, latency.

A fault's `inject` breaks the running stack for real. Healing converges the fault's `services` (rewriting
their files, restarting or reloading them) and then runs the fault's own `undo` for state that is not a file
(a renamed table, a helper process).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import redis

from stack import process
from stack.config import CORS_ORIGINS, HOST, PORTS, REDIS_EVICTION_POLICY, ROOT, SECRETS, SERVER_NAMES, STATE, app_dsn
from stack.holder import APPLICATION
from stack.pki import ensure_authority, issue_server_cert
from stack.process import NotReady
from stack.services import (
    APP_ENV,
    BY_NAME,
    FILLER,
    PG_FILESYSTEM,
    PKI,
    WWW,
    NginxSettings,
    admin_connection,
    app_settings,
    env_file,
    give_to_service_user,
    issue_healthy_server_cert,
    manage_app,
    nginx_files,
    probe_tcp,
    prometheus_data,
    prometheus_files,
    redis_url,
    write_changed,
)

if TYPE_CHECKING:
    from stack.core import Stack

SLOW_PROXY = "slow-proxy"
PG_HOLDER = "pg-holder"
# Session faults wait until the bad state is this old; targets/local.yml sets its time thresholds below it.
SESSION_AGE_S = 4.0
SLOW_PROXY_DELAY_S = 1.5
UPSTREAM_STALL_S = 8.0  # nginx's proxy_read_timeout is 5 s
NGINX_EDIT_DELAY_S = 2.5  # the config check tells changes apart from reloads with 1 s slack
DEAD_API = "https://127.0.0.1:1/api/v1"  # nothing listens on port 1: the fetch is refused


@dataclass(frozen=True)
class Fault:
    name: str
    summary: str
    inject: Callable[[Stack], None]
    services: tuple[str, ...] = ()  # converged on heal
    undo: Callable[[Stack], None] = lambda _stack: None


def _stop(service: str) -> Callable[[Stack], None]:
    return lambda stack: stack.stop(service)


def _slow_upstream(delay_s: float) -> Callable[[Stack], None]:
    """Put a proxy delaying every request by `delay_s` between nginx and the app."""
    return lambda stack: _put_proxy_before_app(stack, delay_s)


def _put_proxy_before_app(stack: Stack, delay_s: float) -> None:
    argv = [sys.executable, "-m", "stack.slowproxy", str(PORTS["slow_proxy"]), str(PORTS["app"]), str(delay_s)]
    process.spawn(SLOW_PROXY, argv, cwd=ROOT)
    process.wait_ready(SLOW_PROXY, probe_tcp(PORTS["slow_proxy"]), deadline=10)
    write_changed(nginx_files(NginxSettings(upstream_port=PORTS["slow_proxy"])))
    stack.reload("nginx")


ITEMS_TABLE, RENAMED_ITEMS_TABLE = "items", "items_renamed_by_fault"


def _rename_items(old: str, new: str) -> None:
    with admin_connection("app") as conn:
        if conn.execute("SELECT to_regclass(%s)", (old,)).fetchone() == (old,):
            conn.execute(f"ALTER TABLE {old} RENAME TO {new}")
    _flush_cache()  # the cached item list would hide the broken table from readers


def _nginx_variant(**broken: object) -> Callable[[Stack], None]:
    """Render nginx's config with one setting broken, and reload: a bad change that went live."""

    def inject(stack: Stack) -> None:
        write_changed(nginx_files(NginxSettings(**broken)))
        stack.reload("nginx")

    return inject


def _edit_nginx_config_on_disk(find: str, replace: str) -> Callable[[Stack], None]:
    """Edit nginx.conf without reloading: what someone left on disk for the next reload to pick up."""

    def inject(_stack: Stack) -> None:
        time.sleep(NGINX_EDIT_DELAY_S)  # an edit made after the last reload, as a person would make it
        config = STATE / "nginx" / "nginx.conf"
        config.write_text(config.read_text().replace(find, replace, 1))

    return inject


def _swap_certificate(
    names: tuple[str, ...] = (*SERVER_NAMES, HOST), *, days_ago: float = 0, valid_days: float = 90, rogue: bool = False
) -> Callable[[Stack], None]:
    """Serve a certificate issued `days_ago` for `valid_days`, by our CA or by a rogue one clients do not trust."""

    def inject(stack: Stack) -> None:
        ca = ensure_authority(PKI, "opsgate rogue CA", stem="rogue-ca") if rogue else ensure_authority(PKI)
        start = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
        issue_server_cert(ca, names, PKI / "server.pem", PKI / "server.key", valid_from=start, valid_days=valid_days)
        give_to_service_user(PKI)
        stack.reload("nginx")

    return inject


def _restore_certificate(stack: Stack) -> None:
    issue_healthy_server_cert()
    give_to_service_user(PKI)
    stack.reload("nginx")


def _add_rule(
    name: str, expr: str, severity: str, *, runbook: bool = True, wait_for: str = ""
) -> Callable[[Stack], None]:
    """Load one extra alerting rule into Prometheus (a bad rules change that was deployed), then wait until
    Prometheus shows `wait_for`: "firing" for the alert, "err" for the rule's health."""
    annotations = "\n          runbook_url: runbook/monitoring.md#monitoring/alert-firing" if runbook else ""
    group = (
        f"\n  - name: opsgate-fault\n    rules:\n      - alert: {name}\n        expr: {expr}\n"
        f"        labels:\n          severity: {severity}\n        annotations:\n"
        f"          summary: injected by the opsgate fault harness{annotations}\n"
    )

    def inject(stack: Stack) -> None:
        write_changed(prometheus_files(extra_rules=group))
        stack.reload("prometheus")
        if wait_for:
            process.wait_ready("prometheus", lambda: _rule_state(name, wait_for), deadline=30)

    return inject


def _rule_state(name: str, wanted: str) -> None:
    groups = prometheus_data("/api/v1/rules")["groups"]
    states = [(rule.get("state"), rule.get("health")) for g in groups for rule in g["rules"] if rule["name"] == name]
    if not any(wanted in state for state in states):
        raise NotReady(f"rule {name} is {states}, waiting for {wanted}")


def _stop_scraped(service: str, job: str) -> Callable[[Stack], None]:
    """Stop a service Prometheus scrapes, and wait until Prometheus has seen it down."""

    def inject(stack: Stack) -> None:
        stack.stop(service)
        process.wait_ready("prometheus", lambda: _query_is(f'up{{job="{job}"}}', "0"), deadline=30)

    return inject


def _app_without_metric(family: str) -> Callable[[Stack], None]:
    def inject(stack: Stack) -> None:
        APP_ENV.write_text(env_file({**app_settings(), "OPSGATE_APP_METRICS_OMITTED": family}))
        stack.restart("app")
        stack.wait_until_monitored()  # the restart is not the fault: Prometheus must see the app up again

    return inject


def _break_postgres_exporter(stack: Stack) -> None:
    """Give the exporter a wrong password: it runs, Prometheus scrapes it, and it reports pg_up 0."""
    env = STATE / "postgres-exporter" / "postgres-exporter.env"
    env.write_text(env.read_text().replace(f":{SECRETS['OPSGATE_PG_MONITOR_PASSWORD']}@", ":wrong-password@"))
    stack.restart("postgres-exporter")
    process.wait_ready("prometheus", lambda: _query_is("pg_up", "0"), deadline=30)


def _query_is(promql: str, value: str) -> None:
    result = prometheus_data("/api/v1/query", query=promql)["result"]
    if not result or result[0]["value"][1] != value:
        raise NotReady(f"{promql} is {result}, waiting for {value}")


def _append(path: Path, text: str) -> None:
    with path.open("a") as file:
        file.write(text)


def _flush_cache() -> None:
    _redis().flushdb()


def _stop_postgres(stack: Stack) -> None:
    stack.stop("postgres")
    _flush_cache()  # a cached item list would keep answering for up to 30 s and hide the outage from readers


def _app_db(statement: str) -> Callable[[Stack], None]:
    """Run one statement as the superuser in the app database."""

    def run(_stack: Stack) -> None:
        with admin_connection("app") as conn:
            conn.execute(statement)

    return run


def _rules_test_expecting(wrong: str, right: str) -> Callable[[Stack], None]:
    """Edit the rules' unit tests so one expectation no longer matches what the rules do."""

    def inject(_stack: Stack) -> None:
        tests = STATE / "prometheus" / "alerts_test.yml"
        tests.write_text(tests.read_text().replace(right, wrong, 1))

    return inject


def _prometheus_without_alerting(stack: Stack) -> None:
    """Reload Prometheus with its `alerting:` block removed: rules still fire, into the void."""
    config = STATE / "prometheus" / "prometheus.yml"
    text = config.read_text()
    config.write_text(re.sub(r"\nalerting:\n(?:  .*\n)+", "\n", text))
    service_reload = BY_NAME["prometheus"].reload
    assert service_reload is not None
    service_reload(process.running_pid("prometheus") or 0)  # not Stack.reload: "ready" expects an Alertmanager
    process.wait_ready(
        "prometheus",
        lambda: _require(not prometheus_data("/api/v1/alertmanagers")["activeAlertmanagers"], "Alertmanager listed"),
        30,
    )


PREPARED_GID = "opsgate-fault-orphan"


def _orphan_prepared_transaction(_stack: Stack) -> None:
    """PREPARE TRANSACTION and walk away, as a crashed two-phase-commit coordinator does; then let it age."""
    with psycopg.connect(app_dsn(), connect_timeout=5, autocommit=False) as conn:
        conn.execute("SELECT 1")
        conn.execute(f"PREPARE TRANSACTION '{PREPARED_GID}'")
    time.sleep(SESSION_AGE_S)


def _rollback_orphan(_stack: Stack) -> None:
    with admin_connection("app") as conn:
        if conn.execute("SELECT 1 FROM pg_prepared_xacts WHERE gid = %s", (PREPARED_GID,)).fetchone():
            conn.execute(f"ROLLBACK PREPARED '{PREPARED_GID}'")


LAG_TABLE = "opsgate_fault_lag"


def _pause_replay(_stack: Stack) -> None:
    """Pause WAL replay on the replica, then write on the primary: the replica receives but does not apply.
    A first write before the pause gives the replica a replayed transaction to measure the lag from."""

    def write() -> str:
        with admin_connection("app") as conn:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {LAG_TABLE} (at timestamptz)")
            conn.execute(f"INSERT INTO {LAG_TABLE} VALUES (now())")
            return conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]

    def replica_value(query: str) -> object:
        with admin_connection("app", replica=True) as conn:
            return conn.execute(query).fetchone()[0]

    def lag_at_least(seconds: float) -> Callable[[], None]:
        def probe() -> None:
            lag = replica_value(
                "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
                " ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END"
            )
            if lag < seconds:
                raise NotReady(f"replay lag {lag} s")

        return probe

    written = write()
    process.wait_ready(
        "postgres-replica",
        lambda: _require(
            replica_value(f"SELECT pg_last_wal_replay_lsn() >= '{written}'::pg_lsn"), "first write not replayed yet"
        ),
        deadline=20,
    )
    replica_value("SELECT pg_wal_replay_pause()")
    write()
    process.wait_ready("postgres-replica", lag_at_least(SESSION_AGE_S), deadline=SESSION_AGE_S + 20)


def _require(condition: object, why: str) -> None:
    if not condition:
        raise NotReady(why)


def _resume_replay(_stack: Stack) -> None:
    with admin_connection("app", replica=True) as conn:
        conn.execute("SELECT pg_wal_replay_resume()")
    with admin_connection("app") as conn:
        conn.execute(f"DROP TABLE IF EXISTS {LAG_TABLE}")


def _break_app_schema(_stack: Stack) -> None:
    _rename_items(ITEMS_TABLE, RENAMED_ITEMS_TABLE)


def _repair_app_schema(_stack: Stack) -> None:
    _rename_items(RENAMED_ITEMS_TABLE, ITEMS_TABLE)


def _wait_for_sessions(condition: str, count: int = 1) -> None:
    """Until at least `count` fault sessions match `condition` and have been in that state for SESSION_AGE_S."""

    def probe() -> None:
        with admin_connection("app") as conn:
            matching = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND "
                f"({condition}) AND now() - state_change > make_interval(secs => %s)",
                (APPLICATION, SESSION_AGE_S),
            ).fetchone()[0]
        if matching < count:
            raise NotReady(f"{matching} of {count} fault sessions in state")

    process.wait_ready(PG_HOLDER, probe, deadline=SESSION_AGE_S + 20)


def _hold_sessions(mode: str, condition: str, count: int = 1) -> Callable[[Stack], None]:
    def inject(_stack: Stack) -> None:
        process.spawn(PG_HOLDER, [sys.executable, "-m", "stack.holder", mode, str(count)], cwd=ROOT)
        _wait_for_sessions(condition, count)

    return inject


def _exhaust_connections(stack: Stack) -> None:
    """Hold enough sessions to fill 90% of the slots ordinary roles may use (the gate still gets one)."""
    with admin_connection() as conn:
        used, usable = conn.execute(
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),"
            " current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int"
        ).fetchone()
    count = int(usable * 0.9) - used + 1  # +1: the admin session above has closed
    _hold_sessions("connections", "state = 'idle'", count)(stack)


def _release_sessions(_stack: Stack) -> None:
    process.stop(PG_HOLDER)
    # A backend inside pg_sleep or a lock wait does not notice its client is gone: end the sessions server-side.
    with admin_connection() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (APPLICATION,)
        )


STASH_TABLE = "opsgate_fault_stash"


def _migrate_one_back(_stack: Stack) -> None:
    """A real `alembic downgrade -1`; the item descriptions it drops are stashed so heal restores them."""
    with admin_connection("app") as conn:
        conn.execute(f"DROP TABLE IF EXISTS {STASH_TABLE}")
        conn.execute(f"CREATE TABLE {STASH_TABLE} AS SELECT id, description FROM items")
    manage_app("downgrade")
    _flush_cache()


def _migrate_forward(_stack: Stack) -> None:
    manage_app("upgrade")
    with admin_connection("app") as conn:
        if conn.execute("SELECT to_regclass(%s)", (STASH_TABLE,)).fetchone() == (STASH_TABLE,):
            conn.execute(f"UPDATE items SET description = s.description FROM {STASH_TABLE} s WHERE items.id = s.id")
            conn.execute(f"DROP TABLE {STASH_TABLE}")
    _flush_cache()


SLOW_STATEMENT = "SELECT pg_sleep(0.15) /* opsgate fault: slow statement */"
SLOW_STATEMENT_CALLS = 6


def _run_slow_statement(_stack: Stack) -> None:
    """Enough calls of a 150 ms statement for pg_stat_statements to hold a slow mean (local target: 100 ms)."""
    with psycopg.connect(app_dsn(), connect_timeout=5, autocommit=True) as conn:
        for _ in range(SLOW_STATEMENT_CALLS):
            conn.execute(SLOW_STATEMENT)


def _reset_statement_stats(_stack: Stack) -> None:
    with admin_connection("app") as conn:
        conn.execute("SELECT pg_stat_statements_reset()")


INVALID_INDEX_TABLE = "opsgate_fault_dupes"


def _fail_concurrent_index_build(_stack: Stack) -> None:
    """CREATE UNIQUE INDEX CONCURRENTLY over duplicates fails and leaves the index behind, invalid."""
    with admin_connection("app") as conn:
        conn.execute(f"DROP TABLE IF EXISTS {INVALID_INDEX_TABLE}")
        conn.execute(f"CREATE TABLE {INVALID_INDEX_TABLE} AS SELECT 1 AS v FROM generate_series(1, 2)")
        with contextlib.suppress(psycopg.errors.UniqueViolation):  # the failure is the point: the index stays
            conn.execute(f"CREATE UNIQUE INDEX CONCURRENTLY {INVALID_INDEX_TABLE}_v ON {INVALID_INDEX_TABLE} (v)")


def _drop_invalid_index(_stack: Stack) -> None:
    with admin_connection("app") as conn:
        conn.execute(f"DROP TABLE IF EXISTS {INVALID_INDEX_TABLE}")


def _fill_data_filesystem(_stack: Stack) -> None:
    """Fill the data directory's size-limited filesystem until 5% is free (the local threshold is 10%)."""
    if not os.path.ismount(PG_FILESYSTEM):
        raise RuntimeError(f"{PG_FILESYSTEM} is not the stack's size-limited filesystem (stack up as root mounts it)")
    usage = shutil.disk_usage(PG_FILESYSTEM)
    with FILLER.open("wb") as filler:
        os.posix_fallocate(filler.fileno(), 0, usage.free - usage.total // 20)


def _redis() -> redis.Redis:
    return redis.Redis.from_url(redis_url(), socket_timeout=5)


def _fill_redis(_stack: Stack) -> None:
    """Write 64 KiB values until used memory reaches maxmemory; allkeys-lru then evicts to stay there."""
    client = _redis()
    maxmemory = int(client.config_get("maxmemory")["maxmemory"])
    value, batch = b"x" * 65536, 0
    while client.info("memory")["used_memory"] < 0.98 * maxmemory:
        with client.pipeline(transaction=False) as pipe:
            for i in range(64):
                pipe.set(f"opsgate:fault:fill:{batch}:{i}", value)
            pipe.execute()
        batch += 1


def _drop_cors_origin(stack: Stack) -> None:
    APP_ENV.write_text(env_file(app_settings(cors_origins=CORS_ORIGINS[1:])))
    stack.restart("app")


def _point_frontend_at_dead_api(_stack: Stack) -> None:
    (WWW / "config.js").write_text(f'window.OPSGATE_CONFIG = {{ apiBase: "{DEAD_API}" }};\n')


FAULTS: dict[str, Fault] = {
    fault.name: fault
    for fault in (
        Fault("app-down", "the app process is stopped", _stop("app"), ("app",)),
        Fault("redis-down", "Redis is stopped", _stop("redis"), ("redis",)),
        Fault(
            "postgres-down",
            "PostgreSQL is stopped (and the read cache flushed)",
            _stop_postgres,
            ("postgres", "postgres-replica"),
        ),
        Fault(
            "app-slow",
            f"a proxy adds {SLOW_PROXY_DELAY_S} s between nginx and the app",
            _slow_upstream(SLOW_PROXY_DELAY_S),
            ("nginx",),
            lambda _stack: process.stop(SLOW_PROXY),
        ),
        Fault(
            "app-500",
            "the items table is renamed under the app (schema drift): GET /api/v1/items answers 500",
            _break_app_schema,
            undo=_repair_app_schema,
        ),
        Fault(
            "frontend-broken",
            "the frontend's app.js is missing (404)",
            lambda _stack: (WWW / "app.js").unlink(missing_ok=True),
            ("nginx",),
        ),
        Fault(
            "frontend-wrong-api",
            f"the frontend calls a dead API at {DEAD_API}",
            _point_frontend_at_dead_api,
            ("nginx",),
        ),
        Fault(
            "cors-origin-removed", f"the app no longer allows the origin {CORS_ORIGINS[0]}", _drop_cors_origin, ("app",)
        ),
        Fault(
            "pg-connections-exhausted",
            "idle sessions hold 90% of PostgreSQL's usable connection slots",
            _exhaust_connections,
            undo=_release_sessions,
        ),
        Fault(
            "pg-idle-in-transaction",
            f"a session sits idle in an open transaction (for {SESSION_AGE_S:g} s+)",
            _hold_sessions("idle-in-transaction", "state = 'idle in transaction'"),
            undo=_release_sessions,
        ),
        Fault(
            "pg-long-query",
            f"a query runs pg_sleep(3600) (for {SESSION_AGE_S:g} s+)",
            _hold_sessions("long-query", "state = 'active' AND query LIKE '%%pg_sleep%%'"),
            undo=_release_sessions,
        ),
        Fault(
            "pg-lock-wait",
            "a session holds a row lock in an open transaction; another waits for it",
            _hold_sessions("lock-wait", "wait_event_type = 'Lock'"),
            undo=_release_sessions,
        ),
        Fault(
            "pg-migration-behind",
            "the database is migrated one Alembic revision down",
            _migrate_one_back,
            undo=_migrate_forward,
        ),
        Fault(
            "pg-slow-statement",
            f"'{SLOW_STATEMENT}' runs {SLOW_STATEMENT_CALLS} times",
            _run_slow_statement,
            undo=_reset_statement_stats,
        ),
        Fault(
            "pg-invalid-index",
            "a CREATE UNIQUE INDEX CONCURRENTLY fails and leaves an invalid index",
            _fail_concurrent_index_build,
            undo=_drop_invalid_index,
        ),
        Fault(
            "pg-disk-low",
            "a file fills the data directory's filesystem to 95%",
            _fill_data_filesystem,
            undo=lambda _stack: FILLER.unlink(missing_ok=True),
        ),
        Fault(
            "pg-extension-missing",
            "DROP EXTENSION pg_stat_statements in the app database",
            _app_db("DROP EXTENSION IF EXISTS pg_stat_statements"),
            undo=_app_db("CREATE EXTENSION IF NOT EXISTS pg_stat_statements"),
        ),
        Fault(
            "pg-sequence-near-max",
            "the items id sequence is set to 95% of its range",
            _app_db("SELECT setval('items_id_seq', (9223372036854775807 * 0.95)::bigint)"),
            undo=_app_db("SELECT setval('items_id_seq', (SELECT coalesce(max(id), 1) FROM items))"),
        ),
        Fault(
            "pg-prepared-transaction",
            f"a prepared transaction is left behind (for {SESSION_AGE_S:g} s+)",
            _orphan_prepared_transaction,
            undo=_rollback_orphan,
        ),
        Fault(
            "pg-replica-lag",
            "WAL replay pauses on the replica while the primary writes",
            _pause_replay,
            undo=_resume_replay,
        ),
        Fault(
            "redis-noeviction",
            "CONFIG SET maxmemory-policy noeviction",
            lambda _stack: _redis().config_set("maxmemory-policy", "noeviction"),
            undo=lambda _stack: _redis().config_set("maxmemory-policy", REDIS_EVICTION_POLICY),
        ),
        Fault(
            "redis-memory-full", "keys fill Redis up to its maxmemory", _fill_redis, undo=lambda _stack: _flush_cache()
        ),
        Fault("nginx-down", "nginx is stopped", _stop("nginx"), ("nginx",)),
        Fault(
            "nginx-upstream-refused",
            f"nginx proxies to port {PORTS['nothing_listens']}, where nothing listens",
            _nginx_variant(upstream_port=PORTS["nothing_listens"]),
            ("nginx",),
        ),
        Fault(
            "nginx-upstream-timeout",
            f"a proxy holds every request {UPSTREAM_STALL_S:g} s, past proxy_read_timeout",
            _slow_upstream(UPSTREAM_STALL_S),
            ("nginx",),
            lambda _stack: process.stop(SLOW_PROXY),
        ),
        Fault(
            "nginx-config-broken-on-disk",
            "a syntax error is written to nginx.conf (not reloaded)",
            _edit_nginx_config_on_disk("sendfile on;", "sendfile maybe;"),
            ("nginx",),
        ),
        Fault(
            "nginx-config-not-applied",
            "a valid change is written to nginx.conf (not reloaded)",
            _edit_nginx_config_on_disk("keepalive_timeout 30;", "keepalive_timeout 31;"),
            ("nginx",),
        ),
        Fault(
            "tls-expired",
            "nginx serves a certificate that expired 10 days ago",
            _swap_certificate(days_ago=100),
            undo=_restore_certificate,
        ),
        Fault(
            "tls-expiring-soon",
            "nginx serves a certificate with 3 days left",
            _swap_certificate(days_ago=87),
            undo=_restore_certificate,
        ),
        Fault(
            "tls-hostname-mismatch",
            "nginx serves a certificate for another name",
            _swap_certificate(("wrong-name.opsgate.test",)),
            undo=_restore_certificate,
        ),
        Fault(
            "tls-untrusted-ca",
            "nginx serves a certificate from a CA clients do not trust",
            _swap_certificate(rogue=True),
            undo=_restore_certificate,
        ),
        Fault(
            "tls-old-protocol",
            "nginx accepts TLS 1.0",
            _nginx_variant(ssl_protocols="TLSv1 TLSv1.2 TLSv1.3", ssl_ciphers="DEFAULT:@SECLEVEL=0"),
            ("nginx",),
        ),
        Fault(
            "hsts-missing", "nginx sends no Strict-Transport-Security header", _nginx_variant(hsts=False), ("nginx",)
        ),
        Fault(
            "server-tokens-on",
            "nginx shows its version in the Server header",
            _nginx_variant(server_tokens=True),
            ("nginx",),
        ),
        Fault(
            "redirect-missing",
            "plain HTTP serves content instead of redirecting to HTTPS",
            _nginx_variant(redirect_http=False),
            ("nginx",),
        ),
        Fault("prometheus-down", "Prometheus is stopped", _stop("prometheus"), ("prometheus",)),
        Fault(
            "node-exporter-down",
            "the node exporter is stopped",
            _stop_scraped("node-exporter", "node"),
            ("node-exporter",),
        ),
        Fault(
            "postgres-exporter-broken",
            "the postgres exporter has a wrong password: pg_up 0",
            _break_postgres_exporter,
            ("postgres-exporter",),
        ),
        Fault(
            "app-metrics-missing",
            "the app stops exposing http_request_duration_seconds",
            _app_without_metric("http_request_duration_seconds"),
            ("app",),
        ),
        Fault(
            "prometheus-config-broken-on-disk",
            "an invalid scrape config is written to prometheus.yml (not reloaded)",
            lambda _stack: _append(STATE / "prometheus" / "prometheus.yml", "  - job_name: [not, a, name]\n"),
            ("prometheus",),
        ),
        Fault(
            "alert-rule-error",
            "a rule whose expression fails at evaluation (many-to-many match)",
            _add_rule("OpsgateFaultBadRule", "up + on() up", "warning", wait_for="err"),
            ("prometheus",),
        ),
        Fault(
            "critical-alert-firing",
            "a critical rule that always fires",
            _add_rule("OpsgateFaultCritical", "vector(1)", "critical", wait_for="firing"),
            ("prometheus",),
        ),
        Fault(
            "alert-without-runbook",
            "an alerting rule without a runbook_url",
            _add_rule("OpsgateFaultNoRunbook", "vector(0) > 1", "warning", runbook=False),
            ("prometheus",),
        ),
        Fault(
            "rule-tests-failing",
            "a promtool rules unit test expects the wrong severity",
            _rules_test_expecting("{severity: warning, job: app", "{severity: critical, job: app"),
            ("prometheus",),
        ),
        Fault(
            "alertmanager-unlinked",
            "Prometheus is reloaded without its alerting block",
            _prometheus_without_alerting,
            ("prometheus",),
        ),
        Fault(
            "alertmanager-down",
            "Alertmanager is stopped",
            _stop_scraped("alertmanager", "alertmanager"),
            ("alertmanager",),
        ),
        Fault(
            "headers-missing-on-errors",
            "security headers lose `always`: error responses go without them",
            _nginx_variant(headers_always=False),
            ("nginx",),
        ),
    )
}
