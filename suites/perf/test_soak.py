"""A soak must not leave the app growing: the target's Prometheus series (memory, open files, connections), read
over the soak's steady state, fitted with a straight line whose slope is held to a budget per hour."""

import pytest

from opsgate.core.verdict import fail
from opsgate.load.run import PerfRun
from opsgate.load.verdict import MIN_DRIFT_POINTS, slope_per_hour
from opsgate.plugin.inconclusive import Inconclusive
from opsgate.probes.prometheus import PrometheusApi
from opsgate.target.perf import Drift, Perf

from .conftest import trusted

pytestmark = [pytest.mark.perf, pytest.mark.destructive]


@pytest.mark.runbook("perf/resource-growth", "perf/too-few-samples", "perf/generator-saturated", "perf/run-failed",
                     "monitoring/prometheus-down")
def test_nothing_grows_during_the_soak(perf_run: PerfRun, perf: Perf, drift: Drift,
                                       prometheus_api: PrometheusApi) -> None:
    summary = trusted(perf_run)
    if perf_run.profile != "soak":
        pytest.skip(f"the run's profile is {perf_run.profile}: drift is judged by pytest -m perf --perf-profile soak")
    start = summary["started_at"] + perf.soak.warmup_s
    end = summary["started_at"] + summary["duration_s"]
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
