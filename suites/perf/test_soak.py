"""A soak must not leave the app growing: the target's Prometheus series (memory, open files, connections), or the
app process's own (resident memory, open files, threads, sampled on its host: no /metrics needed), read over the
soak's steady state, fitted with a straight line whose slope is held to a budget per hour."""

from typing import Any

import pytest

from opsgate.core.verdict import fail
from opsgate.load.process_drift import shown
from opsgate.load.run import PerfRun
from opsgate.load.verdict import MIN_DRIFT_POINTS, slope_per_hour
from opsgate.plugin.inconclusive import Inconclusive
from opsgate.probes.prometheus import PrometheusApi
from opsgate.target.perf import Drift, Perf, ProcessMeasure

from .conftest import trusted

pytestmark = [pytest.mark.perf, pytest.mark.destructive]


def steady_state(perf_run: PerfRun, perf: Perf) -> tuple[float, float]:
    """The soak's span after its warm-up (epoch seconds); the check skips unless the run was a soak."""
    summary: dict[str, Any] = trusted(perf_run)
    if perf_run.profile != "soak":
        pytest.skip(f"the run's profile is {perf_run.profile}: drift is judged by pytest -m perf --perf-profile soak")
    return summary["started_at"] + perf.soak.warmup_s, summary["started_at"] + summary["duration_s"]


@pytest.mark.runbook("perf/resource-growth", "perf/too-few-samples", "perf/generator-saturated", "perf/run-failed",
                     "monitoring/prometheus-down")
def test_nothing_grows_during_the_soak(perf_run: PerfRun, perf: Perf, drift: Drift,
                                       prometheus_api: PrometheusApi) -> None:
    start, end = steady_state(perf_run, perf)
    series = prometheus_api.query_range(drift.query, start, end, perf.drift_step_s)
    fits = [(slope_per_hour([(float(t), float(v)) for t, v in one["values"]]), one["metric"]) for one in series]
    judged = [(slope, labels) for slope, labels in fits if slope is not None]
    if not judged:
        raise Inconclusive("perf/too-few-samples", f"{drift.query} gave fewer than {MIN_DRIFT_POINTS} points over the "
                           f"soak's steady state ({end - start:.0f} s): lengthen the soak or shorten drift_step_s")
    slope, labels = max(judged, key=lambda fit: fit[0])
    if slope > drift.max_growth_per_hour:
        fail("perf/resource-growth", f"{drift.name} grew {slope:.4g} per hour over the soak ({drift.query}"
             f"{' ' + str(labels) if len(series) > 1 else ''}); the budget is {drift.max_growth_per_hour:g} per hour")


@pytest.mark.runbook("perf/resource-growth", "perf/too-few-samples", "perf/generator-saturated", "perf/run-failed")
def test_the_app_process_does_not_grow(perf_run: PerfRun, perf: Perf, process_budget: tuple[ProcessMeasure, float],
                                       request: pytest.FixtureRequest) -> None:
    start, end = steady_state(perf_run, perf)
    (measure, budget), sampler = process_budget, perf_run.processes
    if sampler is None:
        pytest.skip("the app's processes were not sampled: app.port is not set, or the run was judged elsewhere "
                    "(--perf-summary)")
    if sampler.failure:
        pytest.skip(f"the app's processes could not be sampled: {sampler.failure}")
    points = sampler.series(measure, start, end)
    missed = f"; {len(sampler.missed)} samples lost, the last: {sampler.missed[-1]}" if sampler.missed else ""
    if measure == "open files" and sampler.samples and not any(measure in one.measures for one in sampler.samples):
        pytest.skip(f"the app's {measure} could not be read on {sampler.spec}: /proc/<pid>/fd is readable only by "
                    "the app's user or root")
    slope = slope_per_hour(points)
    if slope is None:
        raise Inconclusive("perf/too-few-samples", f"{len(points)} samples of the app's {measure} over the soak's "
                           f"steady state ({end - start:.0f} s), {MIN_DRIFT_POINTS} needed: lengthen the soak or "
                           f"shorten drift_step_s{missed}")
    saw = (f"app process {measure}: {shown(measure, points[0][1])} first, {shown(measure, points[-1][1])} last, "
           f"{shown(measure, slope)} per hour fitted over {len(points)} samples in {end - start:.0f} s, summed over "
           f"pids {', '.join(map(str, sampler.samples[-1].pids))} on {sampler.spec}{missed}")
    request.node.user_properties.append(("evidence", saw))
    if slope > budget:
        fail("perf/resource-growth", f"{saw}; the budget is {shown(measure, budget)} per hour")
