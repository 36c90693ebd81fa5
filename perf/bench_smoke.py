"""Benchmark: the smoke gate against the hand-run curl script, side by side in one run (median of N).

    .venv/bin/python perf/bench_smoke.py [--runs 5]

Brings the reference stack up, then alternates the contenders so drift on the machine hits all of them alike.
Prints a Markdown table for the README's Performance section. Every contender must pass on the healthy
stack; a failing run aborts the benchmark rather than timing a failure.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST = [sys.executable, "-m", "pytest", "-q", "--no-reports", "-p", "no:randomly", "-m", "smoke"]
CONTENDERS = {
    "hand-run curl script (perf/smoke_by_hand.sh)": ["bash", "perf/smoke_by_hand.sh"],
    "opsgate smoke gate (pytest -m smoke)": PYTEST,
    "opsgate smoke gate, 2 workers (pytest -m smoke -n 2)": [*PYTEST, "-n", "2"],
    # The curl script cannot run the page's JavaScript; this is the like-for-like comparison.
    "opsgate smoke gate without the browser check": [*PYTEST, "-k", "not frontend"],
}


def timed(command: list[str]) -> float:
    began = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - began
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed on the healthy stack:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    subprocess.run([sys.executable, "-m", "stack", "up"], cwd=ROOT, check=True, capture_output=True)
    samples: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    for round_ in range(runs):
        for name, command in CONTENDERS.items():
            samples[name].append(timed(command))
        print(f"round {round_ + 1}/{runs}: " + ", ".join(f"{s[-1]:.2f} s" for s in samples.values()), flush=True)
    baseline = statistics.median(next(iter(samples.values())))
    print(f"\n| contender | median of {runs} | ratio to the curl script |\n|---|---:|---:|")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} s | {median / baseline:.2f}x |")


if __name__ == "__main__":
    main()
