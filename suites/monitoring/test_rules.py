"""Rules and alerts: every group evaluates, nothing at the gate's severity fires, every alert links a runbook
section, the rules' unit tests pass, and alerts have somewhere to go."""

import pytest
from testinfra.host import Host

from opsgate.core.runbook import Section
from opsgate.probes.prometheus import (
    ALERTMANAGER_DISCOVERY_WAIT_S,
    ALERTMANAGER_POLL_INTERVAL_S,
    PrometheusApi,
    resolves_to_section,
    wait_for_alertmanagers,
)
from opsgate.target import Prometheus, Target

pytestmark = pytest.mark.monitoring
DOWN = "monitoring/prometheus-down"


@pytest.mark.runbook("monitoring/rule-errors", DOWN)
def test_rule_groups_evaluate_cleanly(prom: PrometheusApi) -> None:
    broken = [
        f"{group['name']}/{rule['name']}: {rule.get('lastError') or rule['health']}"
        for group in prom.rule_groups()
        for rule in group["rules"]
        if rule["health"] == "err"
    ]
    assert not broken, f"rules fail to evaluate: {'; '.join(broken)}"


@pytest.mark.runbook("monitoring/alert-firing", DOWN)
def test_no_alert_firing_at_gate_severity(prom: PrometheusApi, prometheus: Prometheus) -> None:
    ranks = {severity: rank for rank, severity in enumerate(prometheus.severities)}
    threshold = ranks[prometheus.alert_severity]
    firing = [
        f"{a['labels']['alertname']} ({a['labels'].get('severity', 'no severity')}): "
        f"{a.get('annotations', {}).get('summary', '')}"
        for a in prom.alerts()
        if a["state"] == "firing"
        and ranks.get(a["labels"].get("severity", ""), -1) >= threshold
        and a["labels"]["alertname"] not in prometheus.allowed_alerts
    ]
    assert not firing, f"alerts firing at {prometheus.alert_severity} or above: {'; '.join(firing)}"


@pytest.mark.runbook("monitoring/alert-without-runbook", DOWN)
def test_every_alert_rule_links_a_runbook_section(prom: PrometheusApi, prometheus: Prometheus,
                                                  runbook: dict[str, Section]) -> None:
    unlinked = [
        f"{rule['name']} ({rule.get('annotations', {}).get('runbook_url') or 'no runbook_url'})"
        for group in prom.rule_groups()
        for rule in group["rules"]
        if rule["type"] == "alerting"
        and not resolves_to_section(
            rule.get("annotations", {}).get("runbook_url", ""), runbook, prometheus.runbook_url_prefixes
        )
    ]
    assert not unlinked, f"alerts whose runbook_url leads to no runbook section: {'; '.join(unlinked)}"


@pytest.mark.runbook("monitoring/rule-tests-failing")
def test_rule_unit_tests_pass(rule_test_file: str, prometheus_host: Host) -> None:
    result = prometheus_host.run("promtool test rules %s", rule_test_file)
    assert result.rc == 0, (
        f"promtool test rules {rule_test_file} fails: " + " ".join((result.stdout + result.stderr).split())[-400:]
    )


@pytest.mark.runbook("monitoring/alertmanager-unlinked", DOWN)
def test_prometheus_sends_alerts_to_alertmanager(prom: PrometheusApi, target: Target) -> None:
    active = wait_for_alertmanagers(prom)  # after a reload Prometheus lists none for a few seconds: wait that out
    assert active, (
        f"Prometheus listed no active Alertmanager for {ALERTMANAGER_DISCOVERY_WAIT_S:g} s (asked every "
        f"{ALERTMANAGER_POLL_INTERVAL_S:g} s): firing alerts reach nobody"
    )
    if target.alertmanager:
        expected = target.alertmanager.url.split("://", 1)[-1].rstrip("/")
        assert any(expected in url for url in active), f"Prometheus sends alerts to {active}, not to {expected}"
