"""The README's promise, for every check: a component or an optional key left out of the target skips the checks
that need it, saying "<section>[.<key>] not configured in target <name>", and nothing fails for lack of
configuration. Needs no running stack: every address is 127.0.0.1 port 1, where nothing listens (refused at once)."""

from __future__ import annotations

import re
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import run_pytest
from tests.gate import GateRun, Verdict, run_gate

EVERY_SUITE = "smoke or db or nginx or monitoring or redis or backup or containers or kubernetes or perf"
NOWHERE = "127.0.0.1:1"
BARE = {"name": "bare", "environment": "test"}
# Every section, with only the keys its model requires.
MINIMAL = {
    "name": "minimal",
    "environment": "test",
    "app": {"base_url": f"https://{NOWHERE}", "port": 1},
    "frontend": {"url": f"https://{NOWHERE}/", "ready_selector": "#items li"},
    "nginx": {"https_url": f"https://{NOWHERE}"},
    "postgres": {"dsn": f"postgresql://opsgate@{NOWHERE}/app"},
    "redis": {"url": f"redis://{NOWHERE}/0"},
    "prometheus": {"url": f"http://{NOWHERE}"},
    "alertmanager": {"url": f"http://{NOWHERE}"},
    "grafana": {"url": f"http://{NOWHERE}"},
    "backup": {"source_dsn": f"postgresql://opsgate@{NOWHERE}/app"},
    "perf": {"requests": [{"path": "/"}]},
    "containers": {"docker_host": f"tcp://{NOWHERE}", "compose_project": "shop", "services": [{"name": "api"}]},
    "kubernetes": {"api_url": f"http://{NOWHERE}"},
}
# Check -> the optional key it needs, read off every check in suites/: with MINIMAL, exactly these skip.
NEEDS = {
    "test_app_health::test_app_is_ready": "app.readiness",
    "test_app_health::test_app_runs_expected_version": "app.expected_version",
    "test_auth::test_login_call_and_refresh": "app.credentials",
    "test_cors::test_preflight_from_allowed_origin_is_accepted[none]": "app.cors",
    "test_cors::test_preflight_from_foreign_origin_is_refused": "app.cors",
    "test_endpoints::test_endpoint_answers[none]": "app.endpoints",
    "test_endpoints::test_endpoint_matches_the_apps_openapi[none]": "app.endpoints",
    "test_connectivity::test_required_extensions_are_installed": "postgres.extensions",
    "test_disk::test_data_directory_has_free_space": "postgres.data_dir",
    "test_replica::test_replica_streams_within_lag": "postgres.replica",
    "test_schema::test_schema_is_at_the_expected_migration": "postgres.expected_revision",  # nor app.readiness
    "test_schema::test_expected_tables_exist": "postgres.expected_tables",
    "test_app_metrics::test_app_exposes_required_metric_families": "prometheus.app_metrics_url",
    "test_app_metrics::test_prometheus_has_the_app_series": "prometheus.app_job",
    "test_exporters::test_exporter_reports_its_backend_up[none]": "prometheus.exporter_up_metrics",
    "test_exporters::test_otel_collector_is_healthy": "prometheus.otel_health_url",
    "test_grafana::test_grafana_datasource_is_healthy": "grafana.datasource_uid",
    "test_grafana::test_grafana_queries_reach_the_same_prometheus": "grafana.datasource_uid",
    "test_grafana::test_grafana_dashboard_is_provisioned[none]": "grafana.dashboards",
    "test_prometheus::test_config_on_disk_passes_promtool": "prometheus.config_path",
    "test_prometheus::test_job_targets_are_up_and_fresh[none]": "prometheus.expected_jobs",
    "test_rules::test_rule_unit_tests_pass[none]": "prometheus.rule_tests",
    "test_listeners::test_plain_http_redirects_to_https": "nginx.http_url",
    "test_round_trip::test_the_app_passes_its_smoke_suite_on_the_restored_copy": "backup.drill",
    "test_rehearsal::test_newest_backup_has_not_shrunk[none]": "backup.dumps or backup.s3 or backup.pgbackrest",
    **{f"test_rehearsal::{check}[none]": "backup.dumps or backup.s3 or backup.pgbackrest or backup.snapshot"
       for check in (
        "test_a_backup_exists", "test_newest_backup_is_within_rpo",
        "test_newest_backup_is_readable", "test_newest_backup_restores", "test_restored_schema_matches_live",
        "test_restored_roles_match_live", "test_restored_rows_match_live_within_tolerance",
        "test_restored_copy_passes_amcheck", "test_rehearsal_within_rto_budget")},
    "test_rehearsal::test_restore_replays_the_whole_archive[none]": "backup.pgbackrest",
    "test_rehearsal::test_point_in_time_restore_reaches_its_target[none]": "backup.pgbackrest",
    **{f"test_volumes::{check}[none]": "backup.volumes" for check in (
        "test_volume_backup_is_within_rpo", "test_volume_backup_has_not_shrunk",
        "test_volume_backup_restores_as_listed")},
    "test_volumes::test_restored_tsdb_holds_recent_samples[none]": "backup.volumes of kind prometheus",
    "test_proxy::test_stub_status_answers": "nginx.stub_status_url",
    "test_soak::test_nothing_grows_during_the_soak[none]": "perf.drift (or prometheus.app_job)",
    "test_services::test_one_shot_job_succeeded[none]": "containers.services (one_shot)",
    "test_services::test_service_runs_the_expected_image[none]": "containers.expected_image_tag",
    "test_resources::test_docker_disk_usage_within_budget": "containers.max_disk_gb",
    **{f"test_workloads::{check}[none]": "kubernetes.workloads" for check in (
        "test_rollout_is_complete", "test_pods_are_ready", "test_containers_do_not_crash_loop",
        "test_no_container_was_oom_killed", "test_containers_run_the_expected_image")},
    "test_workloads::test_job_succeeded[none]": "kubernetes.jobs",
}
# Checks of the machine the gate runs on (a host's default is local://, its paths the usual ones): they pass or
# fail with this machine, not with the target.
THIS_MACHINE = {
    "test_app_host::test_app_process_is_running",
    "test_app_host::test_app_port_is_listening",
    "test_config::test_config_on_disk_passes_nginx_t",
    "test_config::test_running_master_loaded_the_config_on_disk",
    "test_proxy::test_error_log_has_nothing_serious",
}
REFUSED_AT_NOWHERE = re.compile(r'127\.0\.0\.1(:|", port )1\b|TCP port 1\b')
Runs = dict[str, tuple[Future[GateRun], Future[set[str]]]]  # target name -> (its gate run, its collection)


def write_target(directory: Path, target: dict[str, Any]) -> Path:
    path = directory / f"{target['name']}.yml"
    path.write_text(yaml.safe_dump(target))
    return path


def collected(target: Path) -> set[str]:
    """`pytest --collect-only -q suites` (-qq here: addopts has -v), as tests.gate names checks: <module>::<name>."""
    result = run_pytest("--collect-only", "-qq", f"--target={target}", "--no-reports", "suites")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    ids = [line for line in result.stdout.splitlines() if line.startswith("suites/") and "::" in line]
    checks = [f"{Path(file).stem}::{name}" for file, name in (check.split("::", 1) for check in ids)]
    assert len(set(checks)) == len(checks), "two suites have a module of the same name: their verdicts would merge"
    return set(checks)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Every suite against each target, and each target's collection: four subprocesses at once (they mostly wait
    on imports and refused sockets), so the module takes about as long as its slowest run."""
    started = {}
    with ThreadPoolExecutor(max_workers=4) as pool:  # leaving the block waits for all four
        for target in (BARE, MINIMAL):
            directory = tmp_path_factory.mktemp(target["name"])
            path = write_target(directory, target)
            started[target["name"]] = (pool.submit(run_gate, EVERY_SUITE, directory, target=path),
                                       pool.submit(collected, path))
    return started


def every_check(runs: Runs, name: str) -> tuple[GateRun, set[str]]:
    """The run of every suite against target `name`, having checked it reported every collected check."""
    run, checks = runs[name][0].result(), runs[name][1].result()
    assert set(run.verdicts) == checks, (
        f"checks the gate did not report: {sorted(checks - set(run.verdicts))}; "
        f"reported but not collected: {sorted(set(run.verdicts) - checks)}\n{run.output[-2000:]}"
    )
    return run, checks


def test_a_target_without_components_skips_every_check(runs: Runs) -> None:
    run, _ = every_check(runs, "bare")
    unexplained = {
        check: f"{v.outcome}: {v.message.strip()[:200]}"
        for check, v in run.verdicts.items()
        if v.outcome != "skipped" or "not configured in target bare" not in v.message
    }
    assert not unexplained, f"checks that did not skip as not configured: {unexplained}"
    assert run.returncode == 5, f"a gate that executed no check must exit 5:\n{run.output[-2000:]}"


def failed_on_nowhere(check: str, verdict: Verdict) -> bool:
    """A check that needs only required keys ran and failed because nothing answers at NOWHERE (the machine's own
    checks may also pass, or fail on what this machine has); an error is a crash, never a verdict."""
    if check in THIS_MACHINE:
        return verdict.outcome in ("passed", "failed")
    return verdict.outcome == "failed" and REFUSED_AT_NOWHERE.search(verdict.message) is not None


def test_a_target_with_only_required_keys_skips_what_needs_optional_ones(runs: Runs) -> None:
    run, checks = every_check(runs, "minimal")
    assert set(NEEDS) <= checks, f"NEEDS names checks that do not exist: {sorted(set(NEEDS) - checks)}"
    wrong_skips = {
        check: f"{v.outcome}: {v.message.strip()[:200]}"
        for check, v in run.verdicts.items()
        if (v.outcome == "skipped") != (check in NEEDS)
        or (check in NEEDS and f"{NEEDS[check]} not configured in target minimal" not in v.message)
    }
    assert not wrong_skips, f"checks that should skip naming their key (NEEDS), or skipped unlisted: {wrong_skips}"
    not_refused = {
        check: f"{v.outcome}: {v.message.strip()[:200]}"
        for check, v in run.verdicts.items()
        if check not in NEEDS and not failed_on_nowhere(check, v)
    }
    assert not not_refused, f"checks that ran but did not fail on the refused {NOWHERE} alone: {not_refused}"
    assert run.returncode == 1, run.output[-2000:]
