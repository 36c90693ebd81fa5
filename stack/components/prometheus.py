"""Prometheus with the stack's alert rules (each with a `runbook_url`) and their unit tests, and the faults that
break monitoring: stopped, config broken on disk, bad rules loaded, rule tests failing, Alertmanager unlinked."""

from __future__ import annotations

import os
import re
import shutil
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from stack import process
from stack.config import HOST, PORTS, STATE, TEMPLATES
from stack.files import render, write_changed
from stack.model import Component, Controller, Fault, Service, stop
from stack.probes import PROBE_TIMEOUT, http_url, probe_http, reload_over_http, require
from stack.process import NotReady

PROMETHEUS = STATE / "prometheus"
CONFIG = PROMETHEUS / "prometheus.yml"
RULE_TESTS = PROMETHEUS / "alerts_test.yml"
# The nightly volume backup of Prometheus's data, as `tar czf` of a `prometheus_data` volume: two generations,
# the one before the newest an hour older.
VOLUME_BACKUPS = STATE / "volume-backups"
VOLUME_GENERATIONS_S = (3600.0, 0.0)
TAR_ATTEMPTS = 3  # a live TSDB: a WAL segment may go away while tar reads it
_reload = reload_over_http("prometheus")


@dataclass(frozen=True)
class PrometheusSettings:
    scrape_app: bool = True  # an app without /metrics gets no scrape job


def prometheus_data(path: str, **params: str) -> Any:
    """The `data` of a Prometheus API v1 answer; NotReady while Prometheus cannot give one."""
    try:
        return requests.get(http_url("prometheus", path), params=params or None, timeout=PROBE_TIMEOUT).json()["data"]
    except (requests.RequestException, ValueError, KeyError) as exc:
        raise NotReady(f"prometheus {path}: {type(exc).__name__}") from None


def query_is(promql: str, value: str) -> None:
    """A probe: ready when the first sample of `promql` is `value`."""
    result = prometheus_data("/api/v1/query", query=promql)["result"]
    if not result or result[0]["value"][1] != value:
        raise NotReady(f"{promql} is {result}, waiting for {value}")


def stop_scraped(service: str, job: str) -> Callable[[Controller], None]:
    """Stop a service Prometheus scrapes, and wait until Prometheus has seen it down."""

    def inject(stack: Controller) -> None:
        stack.stop(service)
        process.wait_ready("prometheus", lambda: query_is(f'up{{job="{job}"}}', "0"), deadline=30)

    return inject


def probe_prometheus() -> None:
    """Ready, and its Alertmanager discovered: after a start or reload that takes a few seconds more."""
    probe_http(http_url("prometheus", "/-/ready"))()
    if not prometheus_data("/api/v1/alertmanagers")["activeAlertmanagers"]:
        raise NotReady("prometheus has not discovered its Alertmanager yet")


def _archive(path: Path, add: Callable[[tarfile.TarFile], None], at: float) -> None:
    for attempt in range(TAR_ATTEMPTS):
        try:
            with tarfile.open(path, "w:gz") as archive:
                add(archive)
            break
        except (OSError, tarfile.TarError):
            if attempt == TAR_ATTEMPTS - 1:
                raise
    os.utime(path, (at, at))


def _add_data(archive: tarfile.TarFile) -> None:
    archive.add(PROMETHEUS / "data", arcname="data")


def make_volume_archives(add: Callable[[tarfile.TarFile], None] | None = None) -> None:
    """Both generations afresh, of the data directory (or of what `add` puts in the newest: how a fault changes
    the job); once Prometheus has scraped, so the archives hold samples."""
    process.wait_ready("prometheus", lambda: require(bool(prometheus_data("/api/v1/query", query="up")["result"]),
                                                     "no samples of up yet"), deadline=30)
    shutil.rmtree(VOLUME_BACKUPS, ignore_errors=True)
    VOLUME_BACKUPS.mkdir(parents=True)
    now = time.time()
    for age in VOLUME_GENERATIONS_S:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now - age))
        _archive(VOLUME_BACKUPS / f"prometheus_data-{stamp}.tar.gz", add if add and age == 0 else _add_data, now - age)


def ensure_volume_archives() -> None:
    if len(list(VOLUME_BACKUPS.glob("prometheus_data-*.tar.gz"))) < len(VOLUME_GENERATIONS_S):
        make_volume_archives()


def _newest_volume_archive() -> Path:
    return max(VOLUME_BACKUPS.glob("prometheus_data-*.tar.gz"), key=lambda path: path.stat().st_mtime)


def _truncate_volume_archive(_stack: Controller) -> None:
    path = _newest_volume_archive()
    os.truncate(path, path.stat().st_size // 2)


def _archive_config_instead(_stack: Controller) -> None:
    """The job's volume mount points at Prometheus's configuration, not its data."""
    make_volume_archives(lambda archive: archive.add(CONFIG, arcname="prometheus.yml"))


def every_target_scraped_twice() -> None:
    """Monitoring is ready when Prometheus's last scrape of every target succeeded and each has two samples
    (enough for rate() to answer)."""
    targets = prometheus_data("/api/v1/targets")
    result = prometheus_data("/api/v1/query", query="min(count_over_time(up[1m]))")["result"]
    configured = set(re.findall(r"job_name: (\S+)", CONFIG.read_text()))
    up = {t["labels"]["job"] for t in targets["activeTargets"] if t["health"] == "up"}
    waiting = sorted(configured - up)  # a just-started Prometheus lists no targets at all for a moment
    if waiting or not result or float(result[0]["value"][1]) < 2:
        raise NotReady(f"prometheus has not yet scraped every target twice (waiting for {waiting or 'samples'})")


def prometheus_files(settings: PrometheusSettings, extra_rules: str = "") -> dict[Path, str]:
    """prometheus.yml, the alert rules (plus `extra_rules`, a rule-group fault's addition) and their unit tests."""
    ports = {f"{name}_port": port for name, port in PORTS.items()}
    app_job = f'  - job_name: app\n    static_configs:\n      - targets: ["{HOST}:{PORTS["app"]}"]\n'
    config = render("prometheus.yml", state=STATE, host=HOST, app_job=app_job if settings.scrape_app else "", **ports)
    return {
        CONFIG: config,
        PROMETHEUS / "alerts.yml": (TEMPLATES / "alerts.yml").read_text() + extra_rules,
        RULE_TESTS: (TEMPLATES / "alerts_test.yml").read_text(),
    }


def _rule_state(name: str, wanted: str) -> None:
    groups = prometheus_data("/api/v1/rules")["groups"]
    states = [(rule.get("state"), rule.get("health")) for g in groups for rule in g["rules"] if rule["name"] == name]
    if not any(wanted in state for state in states):
        raise NotReady(f"rule {name} is {states}, waiting for {wanted}")


def _add_rule(
    settings: PrometheusSettings, name: str, expr: str, severity: str, *, runbook: bool = True, wait_for: str = ""
) -> Callable[[Controller], None]:
    """Load one extra alerting rule into Prometheus (a bad rules change that was deployed), then wait until
    Prometheus shows `wait_for`: "firing" for the alert, "err" for the rule's health."""
    annotations = "\n          runbook_url: runbook/monitoring.md#monitoring/alert-firing" if runbook else ""
    group = (
        f"\n  - name: opsgate-fault\n    rules:\n      - alert: {name}\n        expr: {expr}\n"
        f"        labels:\n          severity: {severity}\n        annotations:\n"
        f"          summary: injected by the opsgate fault harness{annotations}\n"
    )

    def inject(stack: Controller) -> None:
        write_changed(prometheus_files(settings, extra_rules=group))
        stack.reload("prometheus")
        if wait_for:
            process.wait_ready("prometheus", lambda: _rule_state(name, wait_for), deadline=30)

    return inject


def _append_invalid_job(_stack: Controller) -> None:
    with CONFIG.open("a") as config:
        config.write("  - job_name: [not, a, name]\n")


def _rules_test_expecting(wrong: str, right: str) -> Callable[[Controller], None]:
    """Edit the rules' unit tests so one expectation no longer matches what the rules do."""

    def inject(_stack: Controller) -> None:
        RULE_TESTS.write_text(RULE_TESTS.read_text().replace(right, wrong, 1))

    return inject


def _without_alerting(_stack: Controller) -> None:
    """Reload Prometheus with its `alerting:` block removed: rules still fire, into the void."""
    CONFIG.write_text(re.sub(r"\nalerting:\n(?:  .*\n)+", "\n", CONFIG.read_text()))
    _reload(0)  # not Controller.reload: its readiness probe expects an Alertmanager
    process.wait_ready(
        "prometheus",
        lambda: require(not prometheus_data("/api/v1/alertmanagers")["activeAlertmanagers"], "Alertmanager listed"),
        30,
    )


def component(settings: PrometheusSettings = PrometheusSettings()) -> Component:
    service = Service(
        name="prometheus",
        port=PORTS["prometheus"],
        url=http_url("prometheus"),
        command=lambda: [
            "prometheus",
            f"--config.file={CONFIG}",
            f"--storage.tsdb.path={PROMETHEUS / 'data'}",
            f"--web.listen-address={HOST}:{PORTS['prometheus']}",
            "--web.enable-lifecycle",
            "--storage.tsdb.retention.time=2d",
        ],
        ready=probe_prometheus,
        after_ready=ensure_volume_archives,  # the nightly volume backup's first run
        files=lambda: prometheus_files(settings),
        reload=_reload,
        data_dir=PROMETHEUS / "data",
        config=CONFIG,
    )
    remake = lambda _stack: make_volume_archives()  # noqa: E731
    faults = (
        Fault("prometheus-down", "Prometheus is stopped", stop("prometheus"), ("prometheus",)),
        Fault("volume-archive-truncated", "the newest prometheus_data volume archive is cut in half",
              _truncate_volume_archive, undo=remake),
        Fault("volume-archive-wrong-dir", "the newest prometheus_data archive holds the configuration, not the data",
              _archive_config_instead, undo=remake),
        Fault(
            "prometheus-config-broken-on-disk",
            "an invalid scrape config is written to prometheus.yml (not reloaded)",
            _append_invalid_job,
            ("prometheus",),
        ),
        Fault(
            "alert-rule-error",
            "a rule whose expression fails at evaluation (many-to-many match)",
            _add_rule(settings, "OpsgateFaultBadRule", "up + on() up", "warning", wait_for="err"),
            ("prometheus",),
        ),
        Fault(
            "critical-alert-firing",
            "a critical rule that always fires",
            _add_rule(settings, "OpsgateFaultCritical", "vector(1)", "critical", wait_for="firing"),
            ("prometheus",),
        ),
        Fault(
            "alert-without-runbook",
            "an alerting rule without a runbook_url",
            _add_rule(settings, "OpsgateFaultNoRunbook", "vector(0) > 1", "warning", runbook=False),
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
            _without_alerting,
            ("prometheus",),
        ),
    )
    return Component("prometheus", services=(service,), faults=faults)
