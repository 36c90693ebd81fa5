"""Benchmark: is the load generator the bottleneck? Side by side in one run on this machine (median of N):

    .venv/bin/python -m perf.bench_load [--runs 3] [--seconds 10] [--users 20]

  app endpoint (the reference app's GET /api/v1/items, straight to the app on 127.0.0.1):
    wrk (Debian package, -t2 -c<users>)                   the app's capacity, as a C generator measures it
    Locust + opsgate's gate (exact percentiles), --processes <cores>
    Locust alone (the same users, no gate module)         what the exact percentiles cost
  static page (nginx's https frontend page):
    wrk, and Locust with the gate, one process            Locust's requests per second per core

The target is Locust with the gate >= 0.8 x wrk on the app endpoint. Users have no think time; every run is
bounded in time and sends load to 127.0.0.1 only. Needs the stack up (`make up`) and wrk installed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from opsgate.load.run import GATE_MODULE, OWN_LOCUSTFILE, plan
from opsgate.target.perf import LoadProfile, Perf, PerfRequest
from perf.benchlib import ROOT, stack_up
from stack.config import PORTS

APP_URL = f"http://127.0.0.1:{PORTS['app']}"
STATIC_URL = f"https://localhost:{PORTS['nginx_https']}"
CA = ROOT / ".stack" / "pki" / "ca.pem"


def wrk(url: str, users: int, seconds: int) -> float:
    env = {**os.environ, "SSL_CERT_FILE": str(CA)}
    result = subprocess.run(["wrk", "-t2", f"-c{users}", f"-d{seconds}s", url], capture_output=True, text=True,
                            timeout=seconds + 30, env=env, check=True)
    found = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if not found:
        sys.exit(f"wrk printed no rate: {result.stdout[-500:]}")
    return float(found[1])


def locust(base_url: str, path: str, users: int, seconds: int, processes: int, gate: bool) -> float:
    with tempfile.TemporaryDirectory(prefix="opsgate-bench-") as work:
        summary = Path(work) / "summary.json"
        perf = Perf(base_url=base_url, think_time_s=(0, 0), requests=(PerfRequest(path=path),),
                    load=LoadProfile(users=users, spawn_rate=users * 5, duration_s=seconds))
        run_plan = plan(perf, "load", None, None, str(CA), summary)
        (Path(work) / "plan.json").write_text(json.dumps(run_plan))
        files = f"{GATE_MODULE},{OWN_LOCUSTFILE}" if gate else str(OWN_LOCUSTFILE)
        sizes = [] if gate else ["-u", str(users), "-r", str(users * 5), "-t", f"{seconds}s"]
        csv_prefix = Path(work) / "locust"
        command = [sys.executable, "-m", "locust", "-f", files, "--headless", "--host", base_url, "--only-summary",
                   "--loglevel", "ERROR", "--csv", str(csv_prefix), *sizes,
                   *(["--processes", str(processes)] if processes > 1 else [])]
        env = {**os.environ, "OPSGATE_PERF_PLAN": str(Path(work) / "plan.json"), "PYTHONPATH": str(ROOT)}
        subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=seconds + 60, check=False)
        with open(f"{csv_prefix}_stats.csv") as stats:
            total = next(row for row in csv.DictReader(stats) if row["Name"] == "Aggregated")
        return float(total["Requests/s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    stack_up()
    cores = os.cpu_count() or 1
    contenders = {
        "app: wrk": lambda: wrk(f"{APP_URL}/api/v1/items", args.users, args.seconds),
        f"app: Locust + gate, {cores} processes": lambda: locust(APP_URL, "/api/v1/items", args.users,
                                                                 args.seconds, cores, gate=True),
        f"app: Locust alone, {cores} processes": lambda: locust(APP_URL, "/api/v1/items", args.users,
                                                                args.seconds, cores, gate=False),
        "static: wrk": lambda: wrk(f"{STATIC_URL}/", args.users, args.seconds),
        "static: Locust + gate, 1 process": lambda: locust(STATIC_URL, "/", args.users, args.seconds, 1,
                                                           gate=True),
    }
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for run in range(args.runs):  # alternating, so drift on the machine hits every contender alike
        for name, measure in contenders.items():
            rates[name].append(measure())
            print(f"run {run + 1}/{args.runs}: {name}: {rates[name][-1]:.0f} req/s", flush=True)
    median = {name: statistics.median(values) for name, values in rates.items()}
    names = list(median)
    print(f"\n{cores} cores; {args.users} users without think time, {args.seconds} s per sample, "
          f"median of {args.runs}\n\n| contender | req/s | ratio to wrk |\n|---|---:|---:|")
    for name in names:
        baseline = median["app: wrk"] if name.startswith("app") else median["static: wrk"]
        print(f"| {name} | {median[name]:.0f} | {median[name] / baseline:.2f}x |")
    gate, alone = median[names[1]], median[names[2]]
    verdict = "met" if gate >= 0.8 * median["app: wrk"] else "missed"
    print(f"\nLocust + gate / wrk on the app: {gate / median['app: wrk']:.2f}x (target >= 0.8x: {verdict}); "
          f"the exact percentiles cost {(1 - gate / alone) * 100:.0f}% of Locust's rate; Locust with the gate "
          f"serves {median[names[4]]:.0f} req/s per core on a static page")


if __name__ == "__main__":
    main()
