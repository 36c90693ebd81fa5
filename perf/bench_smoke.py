"""Benchmark: the smoke gate against the hand-run curl script, side by side in one run (median of N).

    .venv/bin/python -m perf.bench_smoke [--runs 5]

Brings the reference stack up, then alternates the contenders so drift on the machine hits all of them alike.
Prints a Markdown table for the README's Performance section.
"""

from __future__ import annotations

import argparse
import sys

from perf.benchlib import PYTEST, print_table, stack_up, timed

SMOKE = [*PYTEST, "-m", "smoke"]
BASELINE = "hand-run curl script (perf/smoke_by_hand.sh)"
VISIT_ONCE = """
from opsgate.probes.browser import Browser
browser = Browser(".stack/pki/ca.pem", timeout_s=10, wait_for_order_s=10)
assert browser.visit("https://localhost:18443/", "#items li").result(timeout=30).ready_text
browser.close(5)
"""
CONTENDERS = {
    BASELINE: ["bash", "perf/smoke_by_hand.sh"],
    "opsgate smoke gate (pytest -m smoke)": SMOKE,
    "opsgate smoke gate, 2 workers (pytest -m smoke -n 2)": [*SMOKE, "-n", "2"],
    # The curl script cannot run the page's JavaScript; this is the like-for-like comparison.
    "opsgate smoke gate without the browser check": [*SMOKE, "-k", "not frontend"],
    # The floor under the browser check: the interpreter, Chromium's launch and one page load, nothing else.
    "one page in Chromium, nothing else (opsgate.probes.browser)": [sys.executable, "-c", VISIT_ONCE],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    stack_up()
    samples: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    for round_ in range(runs):
        for name, command in CONTENDERS.items():
            samples[name].append(timed(command))
        print(f"round {round_ + 1}/{runs}: " + ", ".join(f"{s[-1]:.2f} s" for s in samples.values()), flush=True)
    print_table(samples, BASELINE)


if __name__ == "__main__":
    main()
