"""Benchmark: the db suite's wall time on the stack's database near-empty, then grown to ~1 GB (median of N).

    .venv/bin/python -m perf.bench_db [--runs 5] [--scale 70]

The data is pgbench's schema (`pgbench -i -s 70` is about 1 GB) created in the app database beside the app's
tables, and dropped afterwards. The stack's data filesystem is enlarged to 6 GB for it first, since the primary
and the replica each hold the data and its WAL, and stays so until it is unmounted (PostgreSQL recycles the
load's WAL only gradually). The suite's queries read
catalogs and statistics views only, so its time should barely move with the data size.
"""

from __future__ import annotations

import argparse
import subprocess

from perf.benchlib import PYTEST, ROOT, print_table, stack_up, timed
from stack.components.postgres.server import PG_BIN, PG_FILESYSTEM, PG_SOCKET_DIR
from stack.config import PORTS

DB_SUITE = [*PYTEST, "-m", "db"]
PSQL = [str(PG_BIN / "psql"), "-h", str(PG_SOCKET_DIR), "-p", str(PORTS["postgres"]), "-U", "postgres", "-d", "app",
        "-qAtc"]


def database_mb() -> float:
    return float(subprocess.run([*PSQL, "SELECT pg_database_size('app') / 1048576.0"], check=True,
                                capture_output=True, text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=int, default=70, help="pgbench scale factor (70 is about 1 GB)")
    args = parser.parse_args()
    stack_up()
    samples: dict[str, list[float]] = {}
    small = f"db suite, app database near-empty ({database_mb():.0f} MB)"
    samples[small] = [timed(DB_SUITE) for _ in range(args.runs)]
    subprocess.run(["mount", "-o", "remount,size=6g", str(PG_FILESYSTEM)], check=True)
    try:
        print(f"generating pgbench data at scale {args.scale} ...", flush=True)
        subprocess.run([str(PG_BIN / "pgbench"), "-i", "-q", "-s", str(args.scale), "-h", str(PG_SOCKET_DIR),
                        "-p", str(PORTS["postgres"]), "-U", "postgres", "app"], check=True, cwd=ROOT)
        big = f"db suite, app database at {database_mb():.0f} MB"
        # Exit 1 allowed: the bulk load read every block from disk once, which the cache-hit check rightly flags.
        samples[big] = [timed(DB_SUITE, ok_codes=(0, 1)) for _ in range(args.runs)]
    finally:
        subprocess.run([*PSQL, "DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_history,"
                        " pgbench_tellers"], check=True)
        subprocess.run([*PSQL, "SELECT pg_stat_reset()"], check=True, capture_output=True)  # forget the bulk load

    print_table(samples, small)


if __name__ == "__main__":
    main()
