"""The fault matrix: opsgate's real test suite, one table shared by every suite.

Each row: a fault injected into the reference stack (or a change to what the gate is given), the suite run
against it, and exactly which checks must fail citing which runbook section. Check patterns are
`<module>::<test name>` with `*` as the only wildcard; checks not named must keep their healthy outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Row:
    name: str
    suite: str  # the pytest marker the row runs
    expect: dict[str, str]  # check pattern -> runbook id its failure must cite
    fault: str | None = None  # `python -m stack inject NAME`, healed after the row
    env: dict[str, str] = field(default_factory=dict)  # environment of the gate run (e.g. a wrong secret)
    target_patch: dict[str, Any] = field(default_factory=dict)  # merged into the shape's target file for the run
    inconclusive: bool = False  # the expected checks end INCONCLUSIVE (reported skipped) and the run exits 6
    hostile: str | None = None  # a tests/hostile.py server of this kind runs for the row: "{hostile}" in the
    # target_patch's strings is its host:port
    within_s: float | None = None  # the run must end within this many seconds, naming exactly one root cause
    skip: dict[str, str] = field(default_factory=dict)  # check pattern -> what its skip must say: the fault takes
    # away the fact it judges (no pass without evidence)


# What the app's users see when it cannot use its database (stopped, or the app's password no longer works).
APP_LOSES_ITS_DATABASE = {
    "test_app_health::test_app_is_ready": "app/db-unavailable",
    "test_auth::*": "app/server-errors",
    "test_endpoints::test_endpoint_*[GET /api/v1/health]": "app/not-ready",
    "test_endpoints::test_endpoint_*[GET /api/v1/items*]": "app/server-errors",
    "test_endpoints::test_endpoint_*[GET /api/v1/auth/me]": "app/server-errors",
    "test_frontend::*": "frontend/api-unreachable",
}
SMOKE_ROWS = [
    Row(
        "app-down",
        "smoke",
        fault="app-down",
        expect={
            "test_app_health::*": "app/health-down",
            "test_app_host::*": "app/process-not-running",
            "test_auth::*": "app/health-down",
            "test_cors::*": "app/health-down",
            "test_endpoints::*": "app/health-down",
            "test_frontend::*": "frontend/api-unreachable",
        },
    ),
    Row(
        "smoke-redis-down",
        "smoke",
        fault="redis-down",
        expect={
            "test_app_health::test_app_is_ready": "app/redis-unavailable",
            "test_endpoints::test_endpoint_*[GET /api/v1/health]": "app/not-ready",
            "test_frontend::*": "frontend/api-unreachable",
        },
    ),
    Row(
        "smoke-postgres-down",
        "smoke",
        fault="postgres-down",
        expect=APP_LOSES_ITS_DATABASE,
    ),
    Row("app-slow", "smoke", fault="app-slow", expect={"test_endpoints::*": "app/slow-responses"}),
    Row(
        "app-500",
        "smoke",
        fault="app-500",
        expect={
            "test_endpoints::test_endpoint_*[GET /api/v1/items*]": "app/server-errors",
            "test_frontend::*": "frontend/api-unreachable",
        },
    ),
    Row("frontend-broken", "smoke", fault="frontend-broken", expect={"test_frontend::*": "frontend/blank-page"}),
    Row(
        "frontend-wrong-api",
        "smoke",
        fault="frontend-wrong-api",
        expect={"test_frontend::*": "frontend/api-unreachable"},
    ),
    Row(
        "cors-origin-removed",
        "smoke",
        fault="cors-origin-removed",
        expect={
            "test_cors::test_preflight_from_allowed_origin_is_accepted[https://localhost:18443]": "api/cors",
        },
    ),
    Row(
        "wrong-test-user-password",
        "smoke",
        env={"OPSGATE_DEMO_PASSWORD": "not-the-demo-password"},
        expect={
            "test_auth::*": "app/login-refused",
            "test_endpoints::test_endpoint_*[GET /api/v1/auth/me]": "app/login-refused",
        },
    ),
    Row(
        "app-login-500",
        "smoke",
        fault="app-login-500",
        expect={
            "test_auth::*": "app/server-errors",
            "test_endpoints::test_endpoint_*[GET /api/v1/auth/me]": "app/server-errors",
        },
    ),
    Row(
        "app-db-password-rotated",
        "smoke",
        fault="app-db-password-rotated",
        expect=APP_LOSES_ITS_DATABASE,
    ),
    Row(
        "app-cache-format-drift",
        "smoke",
        fault="app-cache-format-drift",
        expect={
            "test_endpoints::test_endpoint_matches_the_apps_openapi[GET /api/v1/items]": "app/contract-broken",
            "test_frontend::*": "frontend/blank-page",
        },
    ),
    Row(
        "liveness-answered-by-frontend",
        "smoke",
        target_patch={"app": {"liveness": {"path": "/status"}}},
        expect={"test_app_health::test_app_is_live": "app/answered-by-frontend"},
    ),
    Row(
        "wrong-version-live",
        "smoke",
        target_patch={"app": {"expected_version": "9.9.9"}},
        expect={"test_app_health::test_app_runs_expected_version": "app/wrong-version"},
    ),
]

DB_SESSION_ROWS = {
    "pg-connections-exhausted": {
        "test_capacity::test_connection_slots_are_not_nearly_exhausted": "db/connections-exhausted"
    },
    "pg-idle-in-transaction": {
        "test_capacity::test_no_session_stuck[idle-in-transaction]": "db/idle-in-transaction",
        "test_capacity::test_no_session_stuck[long-transaction]": "db/long-transaction",
    },
    "pg-long-query": {
        "test_capacity::test_no_session_stuck[long-query]": "db/long-query",
        "test_capacity::test_no_session_stuck[long-transaction]": "db/long-transaction",
    },
    # The blocker sits idle in its transaction; the waiter is a long-running query inside its own.
    "pg-lock-wait": {
        "test_capacity::test_no_session_waits_on_a_lock_too_long": "db/lock-wait",
        "test_capacity::test_no_session_stuck[idle-in-transaction]": "db/idle-in-transaction",
        "test_capacity::test_no_session_stuck[long-query]": "db/long-query",
        "test_capacity::test_no_session_stuck[long-transaction]": "db/long-transaction",
    },
    "pg-migration-behind": {"test_schema::test_schema_is_at_the_expected_migration": "db/migrations-behind"},
    "pg-slow-statement": {"test_performance::test_no_statement_is_slow_on_average": "db/slow-statements"},
    "pg-invalid-index": {"test_maintenance::test_no_invalid_indexes": "db/invalid-index"},
    "pg-disk-low": {"test_disk::test_data_directory_has_free_space": "db/disk-low"},
    "pg-replica-lag": {"test_replica::test_replica_streams_within_lag": "db/replica-lag"},
    "pg-extension-missing": {
        "test_connectivity::test_required_extensions_are_installed": "db/extension-missing",
        "test_performance::test_no_statement_is_slow_on_average": "db/extension-missing",
    },
    "pg-prepared-transaction": {"test_capacity::test_no_old_prepared_transactions": "db/prepared-transactions"},
    "pg-sequence-near-max": {"test_maintenance::test_sequences_have_room": "db/sequence-exhaustion"},
}
DB_ROWS = [
    Row(
        "db-postgres-down",
        "db",
        fault="postgres-down",
        expect={
            **dict.fromkeys(
                [
                    f"test_{module}::*"
                    for module in ("capacity", "connectivity", "disk", "maintenance", "performance", "schema")
                ],
                "db/unreachable",
            ),
            "test_replica::*": "db/replica-lag",  # the standby is up, but its primary is gone: not streaming
        },
    ),
    Row(
        "db-wrong-password",
        "db",
        env={"OPSGATE_PG_MONITOR_PASSWORD": "not-the-password"},
        expect={"*": "db/auth-failed"},
    ),
    Row(
        "db-wrong-database",
        "db",
        target_patch={
            "postgres": {
                "dsn": (
                    "postgresql://monitor:${OPSGATE_PG_MONITOR_PASSWORD:-opsgate-monitor-pw}@127.0.0.1:15432/no_such_db"
                )
            }
        },
        expect={"*": "db/database-missing"},
    ),
    *(Row(fault, "db", fault=fault, expect=expect) for fault, expect in DB_SESSION_ROWS.items()),
]
REDIS_ROWS = [
    Row("redis-down", "redis", fault="redis-down", expect={"*": "redis/unreachable"}),
    Row(
        "redis-wrong-password",
        "redis",
        env={"OPSGATE_REDIS_PASSWORD": "not-the-password"},
        expect={"*": "redis/unreachable"},
    ),
    Row(
        "redis-noeviction",
        "redis",
        fault="redis-noeviction",
        expect={"test_redis::test_bounded_memory_has_an_eviction_policy": "redis/noeviction"},
    ),
    Row(
        "redis-memory-full",
        "redis",
        fault="redis-memory-full",
        expect={"test_redis::test_memory_below_maxmemory": "redis/memory-full"},
    ),
]

TLS_CLIENTS_FAIL = {  # every HTTPS request the suite makes stops at the handshake, as a browser's would
    "test_headers::*": "tls/handshake-failed",
    "test_proxy::test_upstream_answers_through_nginx": "tls/handshake-failed",
    "test_proxy::test_stub_status_answers": "tls/handshake-failed",
}
UPSTREAM_LOGGED = {"test_proxy::test_error_log_has_nothing_serious": "nginx/error-log"}
NGINX_ROWS = [
    Row(
        "nginx-down",
        "nginx",
        fault="nginx-down",
        expect={
            "test_config::test_running_master_loaded_the_config_on_disk": "nginx/down",
            "test_headers::*": "nginx/down",
            "test_listeners::*": "nginx/down",
            "test_proxy::test_upstream_answers_through_nginx": "nginx/down",
            "test_proxy::test_stub_status_answers": "nginx/down",
            "test_tls::*": "nginx/down",
        },
    ),
    Row(
        "nginx-upstream-refused",
        "nginx",
        fault="nginx-upstream-refused",
        expect={"test_proxy::test_upstream_answers_through_nginx": "nginx/upstream-refused", **UPSTREAM_LOGGED},
    ),
    Row(
        "nginx-upstream-timeout",
        "nginx",
        fault="nginx-upstream-timeout",
        expect={"test_proxy::test_upstream_answers_through_nginx": "nginx/upstream-timeout", **UPSTREAM_LOGGED},
    ),
    # A broken file written after the last reload is also a change the running master has not loaded.
    Row(
        "nginx-config-broken-on-disk",
        "nginx",
        fault="nginx-config-broken-on-disk",
        expect={
            "test_config::test_config_on_disk_passes_nginx_t": "nginx/config-invalid",
            "test_config::test_running_master_loaded_the_config_on_disk": "nginx/config-not-applied",
        },
    ),
    Row(
        "nginx-config-not-applied",
        "nginx",
        fault="nginx-config-not-applied",
        expect={"test_config::test_running_master_loaded_the_config_on_disk": "nginx/config-not-applied"},
    ),
    Row(
        "tls-expired",
        "nginx",
        fault="tls-expired",
        expect={
            "test_tls::test_chain_is_trusted[*]": "tls/expired",
            "test_tls::test_certificate_is_valid_and_not_expiring[*]": "tls/expired",
            **TLS_CLIENTS_FAIL,
        },
    ),
    Row(
        "tls-expiring-soon",
        "nginx",
        fault="tls-expiring-soon",
        expect={"test_tls::test_certificate_is_valid_and_not_expiring[*]": "tls/expiring-soon"},
    ),
    Row(
        "tls-hostname-mismatch",
        "nginx",
        fault="tls-hostname-mismatch",
        expect={"test_tls::test_certificate_covers_server_name[*]": "tls/hostname-mismatch", **TLS_CLIENTS_FAIL},
    ),
    Row(
        "tls-untrusted-ca",
        "nginx",
        fault="tls-untrusted-ca",
        expect={"test_tls::test_chain_is_trusted[*]": "tls/untrusted-chain", **TLS_CLIENTS_FAIL},
    ),
    Row(
        "tls-old-protocol",
        "nginx",
        fault="tls-old-protocol",
        expect={"test_tls::test_only_modern_tls_versions_are_accepted": "tls/old-protocol"},
    ),
    Row(
        "hsts-missing",
        "nginx",
        fault="hsts-missing",  # missing everywhere: the pages' finding, not "missing on errors"
        expect={"test_headers::test_security_headers_on_pages": "nginx/security-headers"},
    ),
    Row(
        "server-tokens-on",
        "nginx",
        fault="server-tokens-on",
        expect={"test_headers::test_server_header_hides_the_version": "nginx/server-tokens"},
    ),
    Row(
        "redirect-missing",
        "nginx",
        fault="redirect-missing",
        expect={"test_listeners::test_plain_http_redirects_to_https": "nginx/redirect-missing"},
    ),
    Row(
        "headers-missing-on-errors",
        "nginx",
        fault="headers-missing-on-errors",
        expect={"test_headers::test_security_headers_on_error_responses": "nginx/headers-missing-on-errors"},
    ),
]

PROMETHEUS_QUERIES = (
    "test_prometheus::test_prometheus_is_healthy_and_ready",
    "test_prometheus::test_prometheus_version_is_supported",
    "test_prometheus::test_last_config_reload_succeeded",
    "test_prometheus::test_job_targets_are_up_and_fresh[*]",
    "test_rules::test_rule_groups_evaluate_cleanly",
    "test_rules::test_no_alert_firing_at_gate_severity",
    "test_rules::test_every_alert_rule_links_a_runbook_section",
    "test_rules::test_prometheus_sends_alerts_to_alertmanager",
    "test_app_metrics::test_prometheus_has_the_app_series",
    "test_exporters::test_exporter_reports_its_backend_up[*]",
    "test_exporters::test_node_*",
)
MONITORING_ROWS = [
    Row(
        "prometheus-down",
        "monitoring",
        fault="prometheus-down",
        expect=dict.fromkeys(PROMETHEUS_QUERIES, "monitoring/prometheus-down"),
    ),
    Row(
        "node-exporter-down",
        "monitoring",
        fault="node-exporter-down",
        expect={
            "test_prometheus::test_job_targets_are_up_and_fresh[node]": "monitoring/target-down",
            "test_exporters::test_node_*": "monitoring/exporter-down",
        },
    ),
    Row(
        "postgres-exporter-broken",
        "monitoring",
        fault="postgres-exporter-broken",
        expect={"test_exporters::test_exporter_reports_its_backend_up[pg_up]": "monitoring/exporter-down"},
    ),
    Row(
        "app-metrics-missing",
        "monitoring",
        fault="app-metrics-missing",
        expect={"test_app_metrics::test_app_exposes_required_metric_families": "monitoring/app-metrics-missing"},
    ),
    Row(
        "prometheus-config-broken-on-disk",
        "monitoring",
        fault="prometheus-config-broken-on-disk",
        expect={"test_prometheus::test_config_on_disk_passes_promtool": "monitoring/config-invalid"},
    ),
    Row(
        "alert-rule-error",
        "monitoring",
        fault="alert-rule-error",
        expect={"test_rules::test_rule_groups_evaluate_cleanly": "monitoring/rule-errors"},
    ),
    Row(
        "critical-alert-firing",
        "monitoring",
        fault="critical-alert-firing",
        expect={"test_rules::test_no_alert_firing_at_gate_severity": "monitoring/alert-firing"},
    ),
    Row(
        "alert-without-runbook",
        "monitoring",
        fault="alert-without-runbook",
        expect={"test_rules::test_every_alert_rule_links_a_runbook_section": "monitoring/alert-without-runbook"},
    ),
    Row(
        "rule-tests-failing",
        "monitoring",
        fault="rule-tests-failing",
        expect={"test_rules::test_rule_unit_tests_pass[*]": "monitoring/rule-tests-failing"},
    ),
    Row(
        "alertmanager-unlinked",
        "monitoring",
        fault="alertmanager-unlinked",
        expect={"test_rules::test_prometheus_sends_alerts_to_alertmanager": "monitoring/alertmanager-unlinked"},
    ),
    Row(
        "alertmanager-down",
        "monitoring",
        fault="alertmanager-down",
        expect={
            "test_alertmanager::*": "monitoring/alertmanager-down",
            "test_prometheus::test_job_targets_are_up_and_fresh[alertmanager]": "monitoring/target-down",
        },
    ),
]



def rehearsal_restored(runbook: str, source: str = "dumps") -> dict[str, str]:
    """The rehearsal checks of `source` that need its newest backup restored, all citing why it was not."""
    return {f"test_rehearsal::{check}[{source}]": runbook for check in
            ("test_newest_backup_restores", "test_restored_*", "test_rehearsal_within_rto_budget")}


BACKUP_ROWS = [
    Row("backup-truncated", "backup", fault="backup-truncated", expect={
        "test_rehearsal::test_newest_backup_has_not_shrunk[dumps]": "backup/shrunk",
        "test_rehearsal::test_newest_backup_is_readable[dumps]": "backup/archive-unreadable",
        **rehearsal_restored("backup/archive-unreadable"),
    }),
    # Its table of contents still lists; reading the data blocks through finds them damaged.
    Row("backup-corrupt", "backup", fault="backup-corrupt", expect={
        "test_rehearsal::test_newest_backup_is_readable[dumps]": "backup/archive-unreadable",
        **rehearsal_restored("backup/archive-unreadable"),
    }),
    Row("backup-missing-table", "backup", fault="backup-missing-table", expect={
        "test_rehearsal::test_restored_schema_matches_live[dumps]": "backup/schema-differs",
        "test_rehearsal::test_restored_rows_match_live_within_tolerance[dumps]": "backup/rows-differ",
    }),
    Row("backup-shrunk", "backup", fault="backup-shrunk", expect={
        "test_rehearsal::test_newest_backup_has_not_shrunk[dumps]": "backup/shrunk",
        "test_rehearsal::test_restored_rows_match_live_within_tolerance[dumps]": "backup/rows-differ",
    }),
    Row("backup-stale", "backup", fault="backup-stale",
        expect={"test_rehearsal::test_newest_backup_is_within_rpo[dumps]": "backup/stale"}),
    Row("backup-dir-empty", "backup", fault="backup-dir-empty",
        expect={"test_rehearsal::*[dumps]": "backup/none-found"}),
    Row("backup-missing-roles", "backup", fault="backup-missing-roles",
        expect=rehearsal_restored("backup/roles-missing")),
    # A table the backup role cannot read: named before pg_dump runs, and before each rehearsal compares.
    Row("backup-role-lacks-privilege", "backup", fault="backup-role-lacks-privilege", expect={
        "test_round_trip::*": "backup/source-privileges",
        **{f"test_rehearsal::{check}[{source}]": "backup/source-privileges" for source in ("dumps", "s3", "pgbackrest",
           "snapshot") for check in ("test_restored_*", "test_rehearsal_within_rto_budget")},
    }),
    # The source accepts TCP and never answers: found dead once by the start-of-run sweep, every check that needs
    # the source its consequence (the volume archives do not), the run bounded.
    Row("backup-source-silent", "backup", hostile="silent", within_s=60,
        target_patch={"backup": {"source_dsn": "postgresql://app:x@{hostile}/app"}},
        expect={"test_round_trip::*": "backup/source-unreachable", "test_rehearsal::*": "backup/source-unreachable"}),
    # The backup role's password rotated, the gate's secret not: its own cause, not "nothing answers".
    Row("backup-source-password-rotated", "backup", env={"OPSGATE_PG_PASSWORD": "not-the-app-password"}, within_s=60,
        expect={"test_round_trip::*": "backup/source-auth-failed", "test_rehearsal::*": "backup/source-auth-failed"}),
    Row("s3-backup-unreadable", "backup", fault="s3-backup-unreadable",
        expect={"test_rehearsal::*[s3]": "backup/storage-unreadable"}),
    # The restored snapshot's DSN names the source under another spelling of its address (127.1 is 127.0.0.1):
    # the system identifiers match, and the rehearsal refuses it before reading anything there.
    Row("restore-into-source", "backup", target_patch={"backup": {"snapshot": {
        "restored_dsn": "postgresql://app:${OPSGATE_PG_PASSWORD:-opsgate-app-pw}@127.1:15432/app"}}},
        expect={"test_rehearsal::*[snapshot]": "backup/restore-into-source"}),
    Row("volume-archive-truncated", "backup", fault="volume-archive-truncated", expect={
        "test_volumes::test_volume_backup_has_not_shrunk[prometheus_data]": "backup/shrunk",
        "test_volumes::test_volume_backup_restores_as_listed[prometheus_data]": "backup/archive-unreadable",
        "test_volumes::test_restored_tsdb_holds_recent_samples[prometheus_data]": "backup/archive-unreadable",
    }),
    Row("volume-archive-wrong-dir", "backup", fault="volume-archive-wrong-dir", expect={
        "test_volumes::test_volume_backup_has_not_shrunk[prometheus_data]": "backup/shrunk",
        "test_volumes::test_restored_tsdb_holds_recent_samples[prometheus_data]": "backup/tsdb-unreadable",
    }),
    # The drill's app cannot start (a release whose start command no longer works): the data checks still pass.
    Row("drill-app-fails-to-start", "backup",
        target_patch={"backup": {"drill": {"start": "echo no such image >&2; exit 3"}}},
        expect={"test_round_trip::test_the_app_passes_its_smoke_suite_on_the_restored_copy": "backup/drill-failed"}),
    Row("pgbackrest-wal-gap", "backup", fault="pgbackrest-wal-gap", expect={
        # Only this check sees it: the rows lost after the gap are within the row-count tolerance.
        "test_rehearsal::test_restore_replays_the_whole_archive[pgbackrest]": "backup/wal-gap",
    }),
    # pgBackRest 2.45's verify exits 0 while it reports the backup invalid: the gate reads what it reports.
    Row("pgbackrest-checksum-mismatch", "backup", fault="pgbackrest-checksum-mismatch", expect={
        "test_rehearsal::test_newest_backup_is_readable[pgbackrest]": "backup/archive-unreadable",
        "test_rehearsal::test_restore_replays_the_whole_archive[pgbackrest]": "backup/archive-unreadable",
        **rehearsal_restored("backup/archive-unreadable", "pgbackrest"),
    }),
    Row("pgbackrest-wal-gap-between-backups", "backup", fault="pgbackrest-wal-gap-between-backups", expect={
        # The newest backup replays from its own start: only the older one, replayed forward, needs the gap.
        "test_rehearsal::test_point_in_time_restore_reaches_its_target[between-backups]": "backup/pitr-failed",
    }),
]

# The load test (the stack's perf profile is a 30 s soak with 5 users: the SLOs and the drift in one run).
PERF_ROWS = [
    # 1.5 s added to every request: 20 users (for samples enough for a p99) each send one request every ~2 s.
    Row("app-slow-under-load", "perf", fault="app-slow", target_patch={"perf": {"soak": {"users": 20}}}, expect={
        "test_slo::test_slo_holds[all requests p95]": "perf/slow-responses",
        "test_slo::test_slo_holds[all requests p99]": "perf/slow-responses",
        "test_slo::test_slo_holds[health poller p95]": "perf/slow-responses",
    }),
    Row("app-errors", "perf", fault="app-errors", expect={
        "test_slo::test_slo_holds[all requests error rate]": "perf/error-rate",
    }),
    Row("app-memory-leak", "perf", fault="app-memory-leak", expect={
        "test_soak::test_nothing_grows_during_the_soak[app memory]": "perf/resource-growth",
        # the same growth seen without Prometheus: the processes holding app.port, sampled from /proc
        "test_soak::test_the_app_process_does_not_grow[app process memory]": "perf/resource-growth",
    }),
    # More users without think time on a static page than one Locust process can drive: never a pass.
    Row("generator-saturated", "perf", inconclusive=True, target_patch={"perf": {
        "requests": [{"path": "/", "name": "frontend page"}], "resource": None, "think_time_s": [0, 0],
        "soak": {"users": 50, "spawn_rate": 50}}}, expect={
        "test_slo::test_the_generator_kept_up": "perf/generator-saturated",
        "test_slo::test_slo_holds[*]": "perf/generator-saturated",
        "test_soak::*": "perf/generator-saturated",
    }),
]

CONTAINERS_ROWS = [
    Row("container-exited", "containers", fault="container-exited",
        expect={"test_services::test_service_runs_its_replicas[worker]": "containers/exited"}),
    Row("container-unhealthy", "containers", fault="container-unhealthy",
        expect={"test_services::test_service_is_healthy[web]": "containers/unhealthy"}),
    Row("container-restart-loop", "containers", fault="container-restart-loop",
        expect={"test_services::test_service_runs_its_replicas[worker]": "containers/restart-loop",
                "test_services::test_service_is_stable[worker]": "containers/restart-loop"}),
    Row("container-oom-killed", "containers", fault="container-oom-killed",
        expect={"test_services::test_no_process_was_oom_killed[worker]": "containers/oom-killed"}),
    Row("container-wrong-image-tag", "containers", fault="container-wrong-image-tag",
        expect={"test_services::test_service_runs_the_expected_image[web]": "containers/wrong-image"}),
    Row("container-missing-service", "containers", fault="container-missing-service",
        expect={"test_services::test_service_runs_its_replicas[worker]": "containers/service-missing"},
        skip={pattern: "service worker has no container in Compose project opsgate-rig" for pattern in (
            "test_services::test_service_is_healthy[worker]", "test_services::test_service_is_stable[worker]",
            "test_services::test_no_process_was_oom_killed[worker]",
            "test_services::test_service_runs_the_expected_image[worker]", "test_resources::*[worker]")}),
    Row("container-error-logs", "containers", fault="container-error-logs",
        expect={"test_resources::test_logs_have_no_errors[worker]": "containers/error-logs"}),
    Row("container-memory-near-limit", "containers", fault="container-memory-near-limit",
        expect={"test_resources::test_memory_below_limit[worker]": "containers/memory-near-limit"}),
    Row("container-job-failed", "containers", fault="container-job-failed",
        expect={"test_services::test_one_shot_job_succeeded[migrate]": "containers/job-failed"}),
    Row(  # the images, the containers' layers and the logs of the rig take a few MB: a budget below that
        "docker-disk-over-budget",
        "containers",
        target_patch={"containers": {"max_disk_gb": 0.0001}},
        expect={"test_resources::test_docker_disk_usage_within_budget": "containers/disk-usage"},
    ),
    Row(
        "docker-engine-unreachable",
        "containers",
        target_patch={"containers": {"docker_host": "unix:///run/opsgate-no-such-docker.sock"}},
        expect={"*": "containers/engine-unreachable"},
    ),
]
ROWS = [*SMOKE_ROWS, *DB_ROWS, *REDIS_ROWS, *NGINX_ROWS, *MONITORING_ROWS, *BACKUP_ROWS, *PERF_ROWS,
        *CONTAINERS_ROWS]

# The variant shape (`python -m stack up --shape variant`, targets/variant.yml): a stack we did not build. Its
# rows prove the gate on another app's login, health and process layout; faults shared with the default shape
# are proven by the rows above.
VARIANT_APP_DOWN = {
    "test_app_health::test_app_is_live": "app/health-down",
    "test_app_host::*": "app/process-not-running",
    "test_auth::*": "app/health-down",
    "test_cors::*": "app/health-down",
    "test_endpoints::*": "app/health-down",
    "test_frontend::*": "frontend/api-unreachable",
}
VARIANT_ROWS = [
    Row("variant-app-down-decoy-running", "smoke", fault="app-down-decoy-running", expect=VARIANT_APP_DOWN),
    Row(
        "variant-app-db-password-rotated",  # liveness (a bare `true`) still passes: the outage is in every call
        "smoke",
        fault="app-db-password-rotated",
        expect={
            "test_auth::*": "app/server-errors",
            "test_endpoints::*": "app/server-errors",
            "test_frontend::*": "frontend/api-unreachable",
        },
    ),
    Row(
        "variant-app-login-500",
        "smoke",
        fault="app-login-500",
        expect={
            "test_auth::*": "app/server-errors",
            "test_endpoints::test_endpoint_*[GET /api/v1/users/me]": "app/server-errors",
        },
    ),
    Row(
        "variant-wrong-test-user-password",
        "smoke",
        env={"OPSGATE_DEMO_PASSWORD": "not-the-demo-password"},
        expect={
            "test_auth::*": "app/login-refused",
            "test_endpoints::test_endpoint_*[GET /api/v1/users/me]": "app/login-refused",
        },
    ),
    Row(
        "variant-liveness-on-the-spa-fallback",  # /health is not the app's: the frontend's index.html answers 200
        "smoke",
        target_patch={"app": {"liveness": {"path": "/health"}}},
        expect={"test_app_health::test_app_is_live": "app/answered-by-frontend"},
    ),
    Row(
        "variant-nginx-include-changed",
        "nginx",
        fault="nginx-include-changed",
        expect={"test_config::test_running_master_loaded_the_config_on_disk": "nginx/config-not-applied"},
    ),
]

# Checks the reference stack cannot exercise yet, so they skip on it; each must say why.
NOT_EXERCISED = {
    "test_slo::test_stress_breaking_point": "the stack's perf profile is a soak: tests/test_perf.py runs the stress "
    "profile, healthy and with the app slowed",
    "test_slo::test_p95_no_worse_than_the_baseline": "needs --perf-baseline: tests/test_perf.py gives it one, "
    "healthy and slowed",
    "test_exporters::test_otel_collector_is_healthy": "the reference stack has no OpenTelemetry collector: "
    "tests/test_otel_contract.py runs the check against the health_check extension's documented answers",
    "test_grafana::*": "Grafana is not installable here: tests/test_grafana_contract.py runs these checks against "
    "recorded responses of its API",
}

# The debian shape (`python -m stack up --shape debian`, beside the default; targets/debian.yml): a Debian-style
# PostgreSQL cluster with its own pgBackRest stanza and nightly plain-SQL dumps, the public template's items API.
# Its rows prove the DR rehearsal and the load gate on a layout we did not build (tests/test_debian_shape.py).
DEBIAN_ROWS = [
    # One root cause: the source refuses the backup role; every backup check fails as its consequence.
    Row("debian-backup-password-rotated", "backup", fault="debian-backup-password-rotated", within_s=60,
        expect={"*": "backup/source-auth-failed"}),
    # Found dead once at the start of the run, the rest its consequences; the run bounded.
    Row("debian-silent-source", "backup", hostile="silent", within_s=60,
        target_patch={"backup": {"source_dsn": "postgresql://backup:x@{hostile}/app"}},
        expect={"*": "backup/source-unreachable"}),
    # pgBackRest 2.45's verify reports `checksum invalid` and exits 0: the checks read what it reports.
    Row("debian-pgbackrest-checksum", "backup", fault="debian-pgbackrest-checksum", expect={
        "test_rehearsal::test_newest_backup_is_readable[pgbackrest]": "backup/archive-unreadable",
        "test_rehearsal::test_restore_replays_the_whole_archive[pgbackrest]": "backup/archive-unreadable",
        **rehearsal_restored("backup/archive-unreadable", "pgbackrest"),
    }),
    # Every update answers 404: the error rate fails naming them, and every row the users made is removed
    # (test_slo::test_no_rows_left_behind keeps its healthy pass).
    Row("debian-writes-fail", "perf", fault="debian-writes-fail", expect={
        "test_slo::test_slo_holds[all requests error rate]": "perf/error-rate"}),
    # No /metrics: the processes holding app.port, sampled from /proc, show the growth.
    Row("debian-memory-leak", "perf", fault="debian-memory-leak", expect={
        "test_soak::test_the_app_process_does_not_grow[app process memory]": "perf/resource-growth"}),
]
