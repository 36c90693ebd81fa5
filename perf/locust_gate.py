"""What the SLO gate adds to any locustfile: `locust -f perf/locust_gate.py,<locustfile>`.

It records exact response times (perf.recorder) on every process, merges the workers' records on the master,
runs the target's load profile as the one concrete LoadTestShape (perf.shapes), and writes the summary the gate
judges when Locust quits. Its settings come from the plan file the gate writes (OPSGATE_PERF_PLAN, JSON, no
secrets): the profile and its sizes, the time window, where the summary goes.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import gevent
from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from perf.profiles import slo_held
from perf.recorder import Recorder, progress, sampler, write_summary
from perf.shapes import SHAPES

PLAN: dict[str, Any] = json.loads(open(os.environ["OPSGATE_PERF_PLAN"]).read())  # noqa: SIM115 - read at import
RECORDER = Recorder(window_s=PLAN["window_s"])
REPORT_KEY = "opsgate"
run: dict[str, Any] = {"users": 0, "began": 0.0, "environment": None}  # the most users asked; when; Locust's


def _held(window: int) -> bool:
    """Whether the run's SLO held in one window (a stress step): its p95 and error rate, from exact times."""
    hist = RECORDER.windows.get(window)
    if hist is None or not hist.get_total_count():
        return True  # nothing measured yet (a worker's report is late): no reason to stop
    slo = PLAN["slo"]
    return slo_held(hist.get_value_at_percentile(95) / 1000, RECORDER.window_errors[window] /
                    hist.get_total_count() * 100, slo.get("p95_ms"), slo.get("error_rate_pct"))


class Shape(SHAPES[PLAN["profile"]]):  # type: ignore[misc, valid-type]  # the one Locust runs
    abstract = False
    sizes = PLAN["sizes"]
    step_held = staticmethod(_held)

    def tick(self) -> tuple[int, float] | None:
        ticked = super().tick()
        if ticked:
            run["users"] = max(run["users"], ticked[0])
        if self.runner:
            RECORDER.users_now(self.runner.user_count)
        return ticked


@events.init.add_listener
def _init(environment: Environment, **_: Any) -> None:
    run["environment"], runner = environment, environment.runner
    role = "worker" if isinstance(runner, WorkerRunner) else "master" if isinstance(runner, MasterRunner) else "local"
    gevent.spawn(sampler(RECORDER, role))
    if isinstance(runner, MasterRunner):
        events.worker_report.add_listener(
            lambda client_id, data, **_: RECORDER.merge(data[REPORT_KEY], client_id) if REPORT_KEY in data else None)


@events.test_start.add_listener
def _start(environment: Environment, **_: Any) -> None:
    RECORDER.started = run["began"] = time.time()
    if not isinstance(environment.runner, WorkerRunner):
        gevent.spawn(_report_progress, environment)


def _report_progress(environment: Environment) -> None:
    while True:
        gevent.sleep(PLAN["progress_s"])
        progress(time.time() - run["began"], PLAN["planned_s"], environment.runner.user_count,
                 RECORDER.totals, RECORDER.errors)


@events.request.add_listener
def _request(name: str, response_time: float, exception: BaseException | None, **_: Any) -> None:
    RECORDER.record(name, response_time, exception is not None)


@events.report_to_master.add_listener
def _report(data: dict[str, Any], **_: Any) -> None:
    data[REPORT_KEY] = RECORDER.take()


@events.quit.add_listener
def _quit(**_: Any) -> None:
    environment = run["environment"]  # `quit` is fired with the exit code only
    if isinstance(environment.runner, WorkerRunner):
        return
    errors = sorted(environment.runner.stats.errors.values(), key=lambda e: -e.occurrences)[:10]
    failures = [{"name": e.name, "method": e.method, "error": str(e.error), "occurrences": e.occurrences}
                for e in errors]
    summary = RECORDER.summary(time.time() - run["began"], run["users"], failures)
    write_summary(PLAN["summary"], {"profile": PLAN["profile"], "release": PLAN.get("release"), **summary})

