"""The load test, judged k6-style: every SLO the target sets is a check, on exact percentiles. A run that measured
its own generator (saturated CPU, users short of the profile) is inconclusive, never a pass."""

import json
from typing import Any

import pytest
from pytest_html import extras as html_extras

from opsgate.core.verdict import fail
from opsgate.load.cleanup import still_there
from opsgate.load.report import report_html
from opsgate.load.run import PerfRun
from opsgate.load.verdict import MIN_SAMPLES, RUNBOOK, Threshold, breaking_point, regression, steps, thresholds
from opsgate.load.verdict import untrustworthy as untrustworthy_reasons
from opsgate.plugin.inconclusive import Inconclusive
from opsgate.target.perf import Perf

from .conftest import ran, trusted

pytestmark = [pytest.mark.perf, pytest.mark.destructive]  # load is a write: refused on production
SLO_RUNBOOKS = ("perf/slow-responses", "perf/error-rate", "perf/throughput-low", "perf/too-few-samples",
                "perf/generator-saturated", "perf/run-failed")


def _rows(perf: Perf, profile: str, summary: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for threshold in thresholds(perf, profile):
        value, samples = threshold.measured(summary)
        verdict = "no samples" if value is None else "too few samples" if samples < MIN_SAMPLES.get(
            threshold.metric, 1) else "held" if threshold.held(value) else "broke"
        rows.append({"id": threshold.id, "value": "-" if value is None else f"{value:.4g}", "limit": threshold.limit,
                     "verdict": verdict})
    return rows


@pytest.mark.runbook("perf/generator-saturated", "perf/run-failed")
def test_the_generator_kept_up(perf_run: PerfRun, perf: Perf, perf_reports: Any, extras: list[Any]) -> None:
    summary = ran(perf_run)
    reasons = untrustworthy_reasons(summary)
    rows = _rows(perf, perf_run.profile, summary)
    verdict = "inconclusive" if reasons else "fail" if any(r["verdict"] == "broke" for r in rows) else "pass"
    stress_steps = steps(summary, perf.slo_for("stress")) if perf_run.profile == "stress" else []
    extras.append(html_extras.html(report_html(perf_run.profile, verdict, reasons, rows, summary, stress_steps,
                                               perf_run.html, perf_run.csv_prefix, perf_reports.parent)))
    if reasons:
        raise Inconclusive("perf/generator-saturated", "; ".join(reasons))


@pytest.mark.runbook(*SLO_RUNBOOKS)
def test_slo_holds(perf_run: PerfRun, threshold: Threshold) -> None:
    value, samples = threshold.measured(trusted(perf_run))
    if value is None:
        fail(RUNBOOK[threshold.metric], f"no {threshold.scope!r} request completed: is it a request name of the "
             "perf section (requests.name, or METHOD path)?")
    needed = MIN_SAMPLES.get(threshold.metric, 1)
    if samples < needed:
        raise Inconclusive("perf/too-few-samples", f"{threshold.id} needs {needed} samples at least, the run had "
                           f"{samples}: lengthen the profile or add users")
    if not threshold.held(value):
        fail(RUNBOOK[threshold.metric], threshold.said(value, trusted(perf_run)))


@pytest.mark.runbook("perf/rows-left-behind", "perf/run-failed")
def test_no_rows_left_behind(perf_run: PerfRun, perf: Perf, request: pytest.FixtureRequest) -> None:
    """Every row the load's users created is gone: removed by them, or by the gate after the run."""
    rows = ran(perf_run).get("rows")
    if not rows or (perf.locustfile and not rows["created"]):  # opsgate's own users note every row, even none
        pytest.skip("no row was noted (perf.locustfile's users do not note theirs in opsgate.load.rows.LEDGER, or the "
                    "summary is an older opsgate's): nothing to judge")
    left: dict[str, str] = rows.get("left", rows["undeleted"])
    if left:
        fail("perf/rows-left-behind", f"{len(left)} of the {rows['created']} rows the load created are still in the "
             f"app (the users' deletes and the gate's after the run failed): {still_there(left)}")
    request.node.user_properties.append(("rows", f"{rows['created']} created, {rows['created']} removed "
                                         f"({rows.get('removed_after', 0)} by the gate after the run)"))


@pytest.mark.runbook("perf/slow-responses", "perf/generator-saturated", "perf/run-failed")
def test_stress_breaking_point(perf_run: PerfRun, perf: Perf, request: pytest.FixtureRequest) -> None:
    ran(perf_run)
    if perf_run.profile != "stress":
        pytest.skip(f"the run's profile is {perf_run.profile}: the breaking point is found by "
                    "pytest -m perf --perf-profile stress")
    found = steps(trusted(perf_run), perf.slo_for("stress"))
    point = breaking_point(found)
    request.node.user_properties.append(("breaking_point_users", point))
    if point is None:
        first = found[0] if found else None
        fail("perf/slow-responses", "the SLOs broke at the first step" + (
            f" ({first.users} users: p95 {first.p95_ms} ms, {first.error_rate_pct:.1f}% errors)" if first else ""))


@pytest.mark.runbook("perf/regressed", "perf/generator-saturated", "perf/run-failed")
def test_p95_no_worse_than_the_baseline(perf_run: PerfRun, perf: Perf, request: pytest.FixtureRequest) -> None:
    ran(perf_run)
    path = request.config.getoption("perf_baseline")
    if path is None:
        pytest.skip("no --perf-baseline given (a summary in reports/perf/ of an earlier run)")
    try:
        baseline = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        fail("perf/regressed", f"cannot read the baseline {path}: {exc}")
    worse = regression(trusted(perf_run), baseline, perf.baseline_regression_pct)
    if worse:
        fail("perf/regressed", f"slower than the baseline {path.name}: {'; '.join(worse)}")
