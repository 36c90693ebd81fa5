"""The load profiles' schedules, as plain functions of the profile's sizes and the time since the start: how many
users to run, at what spawn rate, or None when the run is over. perf/shapes.py runs them as Locust shapes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Users = tuple[int, float] | None  # (users, spawn rate per second), or None: stop
StepHeld = Callable[[int], bool]  # did every SLO hold in that step (window)?


def slo_held(p95_ms: float | None, error_rate_pct: float, p95_limit: float | None,
             error_rate_limit: float | None) -> bool:
    """Whether a stress step's (a window's) p95 and error rate met the SLO's limits (None: not judged); a step
    without a p95 fails a p95 limit."""
    return (p95_limit is None or (p95_ms is not None and p95_ms <= p95_limit)) and \
        (error_rate_limit is None or error_rate_pct <= error_rate_limit)


def load(sizes: dict[str, Any], elapsed_s: float, _held: StepHeld) -> Users:
    """Ramp to `users` at `spawn_rate`, hold until `duration_s` (a soak is the same with its own sizes)."""
    return None if elapsed_s >= sizes["duration_s"] else (sizes["users"], sizes["spawn_rate"])


def stress(sizes: dict[str, Any], elapsed_s: float, held: StepHeld) -> Users:
    """Steps of `step_users` more users every `step_s`, from `start_users` up to `max_users`; over after the
    first step in which an SLO broke (the breaking point is the step before it)."""
    step = int(elapsed_s // sizes["step_s"])
    users = sizes["start_users"] + step * sizes["step_users"]
    if users > sizes["max_users"] or (step > 0 and not held(step - 1)):
        return None
    return users, sizes["spawn_rate"]


def spike(sizes: dict[str, Any], elapsed_s: float, _held: StepHeld) -> Users:
    """`users`, then `spike_users` for `spike_s`, then `users` again while the app recovers."""
    spike_from, spike_to = sizes["before_s"], sizes["before_s"] + sizes["spike_s"]
    if elapsed_s >= spike_to + sizes["after_s"]:
        return None
    return (sizes["spike_users"] if spike_from <= elapsed_s < spike_to else sizes["users"]), sizes["spawn_rate"]


SCHEDULES: dict[str, Callable[[dict[str, Any], float, StepHeld], Users]] = {
    "load": load, "stress": stress, "spike": spike, "soak": load}
