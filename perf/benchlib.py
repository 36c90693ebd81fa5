"""Shared by the benchmarks: run a command on the healthy stack, time it, report medians side by side."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST = [sys.executable, "-m", "pytest", "-q", "--no-reports", "-p", "no:randomly"]


def stack_up() -> None:
    subprocess.run([sys.executable, "-m", "stack", "up"], cwd=ROOT, check=True, capture_output=True)


def timed(command: list[str], ok_codes: tuple[int, ...] = (0,)) -> float:
    """Wall time of `command`; an unexpected exit code aborts the benchmark rather than timing a crash."""
    began = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - began
    if result.returncode not in ok_codes:
        sys.exit(f"{' '.join(command)} failed on the healthy stack:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return elapsed


def print_table(samples: dict[str, list[float]], baseline_name: str) -> None:
    """A Markdown table of medians, each with its ratio to the baseline contender."""
    runs = len(next(iter(samples.values())))
    baseline = statistics.median(samples[baseline_name])
    print(f"\n| contender | median of {runs} | ratio to {baseline_name} |\n|---|---:|---:|")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} s | {median / baseline:.2f}x |")
