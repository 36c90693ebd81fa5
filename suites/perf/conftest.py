"""Perf suite fixtures: one Locust run per gate (the target's perf.profile, or --perf-profile), whose summary the
checks judge. Load is sent only when asked for (`-m perf`): a post-deploy gate never loads a target by surprise."""

from __future__ import annotations

import contextlib
import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsgate.core import outages
from opsgate.core.verdict import CheckFailed
from opsgate.load.cleanup import settle
from opsgate.load.process_drift import ProcessSampler, process_budgets
from opsgate.load.recorder import write_summary
from opsgate.load.run import PerfRun, plan, run_locust
from opsgate.load.verdict import thresholds, untrustworthy
from opsgate.plugin.checks import component, parametrize
from opsgate.plugin.inconclusive import Inconclusive
from opsgate.plugin.options import TARGET_KEY
from opsgate.probes.app import discover_login, published_document
from opsgate.probes.app import login as log_in
from opsgate.probes.http import HttpClient, clear_text_host, server_of
from opsgate.probes.openapi import item_template
from opsgate.probes.prometheus import PrometheusApi
from opsgate.report.files import reports_dir
from opsgate.target import Target
from opsgate.target.app import Login
from opsgate.target.perf import Drift, Perf

ASKED_FOR = "perf"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ASKED_FOR in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="load tests run only when asked for: pytest -m perf")
    for item in items:
        if item.get_closest_marker("perf"):
            item.add_marker(skip)


def default_drift(target: Target) -> list[Drift]:
    """What must not grow during a soak, for an app whose job Prometheus names: memory, open files, connections."""
    job = target.prometheus.app_job if target.prometheus else None
    if not job:
        return []
    return [Drift(name="app memory", query=f'sum(process_resident_memory_bytes{{job="{job}"}})',
                  max_growth_per_hour=100e6),
            Drift(name="app open files", query=f'sum(process_open_fds{{job="{job}"}})', max_growth_per_hour=100),
            Drift(name="database connections", query="sum(pg_stat_database_numbackends)", max_growth_per_hour=100)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    target = metafunc.config.stash[TARGET_KEY]
    perf = target.perf
    if "threshold" in metafunc.fixturenames:
        rows = thresholds(perf, _profile(metafunc.config, perf)) if perf else []
        parametrize(metafunc, "threshold", rows, lambda row: row.id, "perf.slo")
    if "drift" in metafunc.fixturenames:
        drifts = list(perf.drift if perf and perf.drift is not None else default_drift(target)) if perf else []
        parametrize(metafunc, "drift", drifts, lambda drift: drift.name, "perf.drift (or prometheus.app_job)")
    if "process_budget" in metafunc.fixturenames:
        parametrize(metafunc, "process_budget", list(process_budgets(target).items()),
                    lambda budget: f"app process {budget[0]}", "perf.process_drift")


@pytest.fixture(scope="session")
def perf(target: Target) -> Perf:
    return component(target, "perf")


@pytest.fixture(scope="session")
def profile(request: pytest.FixtureRequest, perf: Perf) -> str:
    return _profile(request.config, perf)


def _profile(config: pytest.Config, perf: Perf) -> str:
    """The profile this run: --perf-profile, else the target's."""
    return config.getoption("perf_profile") or perf.profile


@pytest.fixture(scope="session")
def perf_reports(request: pytest.FixtureRequest) -> Iterator[Path]:
    """reports/perf (Locust's report, CSVs, each run's summary: a baseline for later runs); a throwaway
    directory with --no-reports."""
    if not request.config.getoption("no_reports"):
        yield reports_dir(request.config.rootpath) / "perf"
        return
    with tempfile.TemporaryDirectory(prefix="opsgate-perf-reports-") as scratch:
        yield Path(scratch)


def _login(target: Target) -> Login | None:
    app = target.app
    if not app or not app.credentials:
        return None
    return app.login or discover_login(HttpClient(app.base_url, ca_bundle=target.ca_bundle, timeout=app.timeout_s),
                                       app.openapi_path)


@pytest.fixture(scope="session")
def perf_run(request: pytest.FixtureRequest, perf: Perf, profile: str, target: Target, perf_reports: Path) -> PerfRun:
    """The run every perf check judges, once per gate (or the summary of a run elsewhere: --perf-summary); its
    progress goes to the console as it runs."""
    elsewhere = request.config.getoption("perf_summary")
    if elsewhere:
        return _rows_settled(_judged_elsewhere(elsewhere, profile), perf, target)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def echo(line: str) -> None:
        if reporter and capture:
            with capture.global_and_fixture_disabled():
                reporter.write_line(line)

    base_url = perf.base_url or (target.app.base_url if target.app else None)
    if not base_url:
        return PerfRun(profile, 0.0, failure="nowhere to send the load: set perf.base_url or the app section")
    dead = outages.at(server_of(base_url))
    if dead:  # found dead before the first check: no load against it, every check its consequence
        return PerfRun(profile, 0.0, failure=f"not started: {dead}", cause=dead)
    host = clear_text_host(base_url) if target.app and target.app.credentials else None
    if host:
        return PerfRun(profile, 0.0, failure=f"refused: the users' logins would send the test user's password over "
                       f"plain http:// to {host}; point perf.base_url at https://")
    try:
        login = _login(target)
    except CheckFailed as exc:
        return PerfRun(profile, 0.0, failure=f"cannot find the app's login flow: {exc}")
    summary = perf_reports / f"{profile}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    credentials = target.app.credentials if target.app else None
    try:
        published_item = _published_item(target, perf)
    except CheckFailed as exc:
        return PerfRun(profile, 0.0, failure=f"cannot read the app's OpenAPI document for perf.resource: {exc}")
    run_plan = plan(perf, profile, target.app, login, target.ca_bundle, summary, published_item)
    echo(f"opsgate perf: {profile} profile, {run_plan['planned_s']:g} s planned, against {run_plan['base_url']}")
    run = run_locust(run_plan, perf, perf_reports, credentials.password.get_secret_value() if credentials else None,
                     echo, _process_sampler(target, perf, profile))
    _rows_settled(run, perf, target, login)
    if run.summary:
        write_summary(str(summary), run.summary)  # with what the gate removed and what is left
    return run


def _published_item(target: Target, perf: Perf) -> str | None:
    """The resource's item URL template from the app's OpenAPI document, when the target gives none."""
    app = target.app
    if not perf.resource or perf.resource.item_path or not app:
        return None
    api = HttpClient(app.base_url, ca_bundle=target.ca_bundle, timeout=app.timeout_s)
    document = published_document(api.call("GET", app.openapi_path))
    return item_template(document, perf.resource.path) if document else None


def _rows_settled(run: PerfRun, perf: Perf, target: Target, login: Login | None = None) -> PerfRun:
    """The gate's own try at the rows the users could not remove (opsgate.load.cleanup), as the test user when the
    resource needs the login; the run's summary records it (rows.removed_after, rows.left)."""
    rows = run.summary.get("rows") if run.summary else None
    base_url = perf.base_url or (target.app.base_url if target.app else None)
    if not rows or not base_url:
        return run
    app, token = target.app, None
    if rows["undeleted"] and perf.resource and perf.resource.auth and app and app.credentials:
        api = HttpClient(app.base_url, ca_bundle=target.ca_bundle, timeout=app.timeout_s)
        with contextlib.suppress(CheckFailed):  # no token: the deletes answer 401, and the check names that
            flow = login or _login(target)
            token = log_in(api, flow, app.credentials).access if flow else None
    settle(rows, HttpClient(str(base_url), ca_bundle=target.ca_bundle, timeout=perf.timeout_s), token)
    return run


def _process_sampler(target: Target, perf: Perf, profile: str) -> ProcessSampler | None:
    """A sampler of the app's own processes, when a soak judges their growth and the target says where they are
    (without app.port, those checks skip saying so)."""
    app = target.app
    if profile != "soak" or not app or app.port is None or not process_budgets(target):
        return None
    return ProcessSampler(app.host, app.port, app.process, perf.drift_step_s)


def _judged_elsewhere(path: Path, profile: str) -> PerfRun:
    try:
        summary = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return PerfRun(profile, 0.0, failure=f"cannot read the summary {path}: {exc}")
    return PerfRun(summary.get("profile", profile), summary.get("duration_s", 0.0), summary=summary)


@pytest.fixture(scope="session")
def prometheus_api(target: Target) -> PrometheusApi:
    prometheus = component(target, "prometheus")
    return PrometheusApi(prometheus.url, ca_bundle=target.ca_bundle, timeout=prometheus.timeout_s)


def ran(run: PerfRun) -> dict[str, Any]:
    """The run's summary; the check fails when Locust did not run or end."""
    if run.failure or run.summary is None:
        raise CheckFailed("perf/run-failed", f"the {run.profile} run gave no result: {run.failure}", run.cause)
    return run.summary


def trusted(run: PerfRun) -> dict[str, Any]:
    """The run's summary, when it measured the app and not the generator; else the check is inconclusive."""
    summary = ran(run)
    reasons = untrustworthy(summary)
    if reasons:
        raise Inconclusive("perf/generator-saturated", "; ".join(reasons))
    return summary
