"""Exact response times for the SLO gate, beside Locust's own statistics (which round to two significant digits).

Every request's time goes into an HDR histogram of its name (microseconds, 3 significant digits: within 0.1%),
and into one of the run's time windows (the latency-over-time plot, the stress profile's steps). Each process
samples its own CPU and memory every second: a generator that is itself the bottleneck makes the verdict
inconclusive. Worker processes (`--processes`, or workers on other machines) send what they recorded since their
last report to the master with Locust's own reports, and the master (or the one local process) writes the
summary the gate judges, and a progress line on long runs.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent
import psutil
from hdrh.histogram import HdrHistogram

HIGHEST_US = 3_600_000_000  # an hour: no request a gate judges takes longer
DIGITS = 3
SAMPLE_S = 1.0


def histogram() -> HdrHistogram:
    return HdrHistogram(1, HIGHEST_US, DIGITS)


def _encoded(histograms: dict[Any, HdrHistogram]) -> dict[str, str]:
    return {str(key): hist.encode().decode() for key, hist in histograms.items() if hist.get_total_count()}


@dataclass
class Recorder:
    window_s: float
    totals: dict[str, HdrHistogram] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    windows: dict[int, HdrHistogram] = field(default_factory=dict)
    window_errors: Counter[int] = field(default_factory=Counter)
    users: dict[int, int] = field(default_factory=dict)  # window -> most users running in it
    generator: dict[str, list[tuple[float, float, int]]] = field(default_factory=dict)  # process -> (t, cpu, rss)
    started: float | None = None

    def record(self, name: str, response_time_ms: float, failed: bool) -> None:
        if self.started is None:
            return
        micros = min(HIGHEST_US, max(1, round(response_time_ms * 1000)))
        self.totals.setdefault(name, histogram()).record_value(micros)
        window = int((time.time() - self.started) // self.window_s)
        self.windows.setdefault(window, histogram()).record_value(micros)
        if failed:
            self.errors[name] += 1
            self.window_errors[window] += 1

    def sample(self, process: psutil.Process, key: str) -> None:
        """The generator's own CPU (% of one core) and resident memory, once a second."""
        if self.started is not None:
            self.generator.setdefault(key, []).append(
                (round(time.time() - self.started, 1), process.cpu_percent(), process.memory_info().rss))

    def users_now(self, count: int) -> None:
        if self.started is not None:
            window = int((time.time() - self.started) // self.window_s)
            self.users[window] = max(self.users.get(window, 0), count)

    def take(self) -> dict[str, Any]:
        """What was recorded since the last report, for the master; forgotten here."""
        report = {"totals": _encoded(self.totals), "errors": dict(self.errors), "windows": _encoded(self.windows),
                  "window_errors": {str(k): v for k, v in self.window_errors.items()}, "generator": self.generator}
        self.totals, self.windows, self.generator = {}, {}, {}
        self.errors, self.window_errors = Counter(), Counter()
        return report

    def merge(self, report: dict[str, Any], worker: str) -> None:
        for name, encoded in report["totals"].items():
            self.totals.setdefault(name, histogram()).add(HdrHistogram.decode(encoded))
        for key, encoded in report["windows"].items():
            self.windows.setdefault(int(key), histogram()).add(HdrHistogram.decode(encoded))
        self.errors.update(report["errors"])
        self.window_errors.update({int(k): v for k, v in report["window_errors"].items()})
        for key, samples in report["generator"].items():
            self.generator.setdefault(f"{worker}/{key}", []).extend(tuple(s) for s in samples)

    def summary(self, duration_s: float, asked_users: int, failures: list[dict[str, Any]]) -> dict[str, Any]:
        everything = histogram()
        for hist in self.totals.values():
            everything.add(hist)
        named = {name: _stats(hist, self.errors[name], duration_s) for name, hist in sorted(self.totals.items())}
        windows = [{"start_s": round(key * self.window_s, 1), "users": self.users.get(key, 0),
                    **_stats(hist, self.window_errors[key], self.window_s)}
                   for key, hist in sorted(self.windows.items())]
        return {"started_at": self.started, "duration_s": round(duration_s, 2), "asked_users": asked_users,
                "window_s": self.window_s, "most_users": max(self.users.values(), default=0),
                "total": _stats(everything, sum(self.errors.values()), duration_s), "requests": named,
                "windows": windows, "generator": self.generator, "failures": failures}


def _stats(hist: HdrHistogram, errors: int, duration_s: float) -> dict[str, Any]:
    count = hist.get_total_count()
    ms = {f"p{q:g}_ms": hist.get_value_at_percentile(q) / 1000 for q in (50, 90, 95, 99)} if count else {}
    return {"count": count, "errors": errors, "rps": round(count / duration_s, 2) if duration_s else 0.0,
            "max_ms": hist.get_max_value() / 1000 if count else None, **ms}


def sampler(recorder: Recorder, key: str) -> Callable[[], None]:
    process = psutil.Process()
    process.cpu_percent()  # the first reading is meaningless: it starts the measurement

    def loop() -> None:
        while True:
            gevent.sleep(SAMPLE_S)
            recorder.sample(process, key)

    return loop


def write_summary(path: str, summary: dict[str, Any]) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps(summary))
    os.replace(partial, target)


def progress(elapsed_s: float, planned_s: float, users: int, totals: dict[str, HdrHistogram],
             errors: Counter[str]) -> None:
    count = sum(hist.get_total_count() for hist in totals.values())
    failed = sum(errors.values())
    print(f"opsgate perf: {elapsed_s:.0f}/{planned_s:.0f} s, {users} users, {count} requests, "
          f"{failed / count * 100 if count else 0:.1f}% failed", file=sys.stderr, flush=True)
