"""Benchmark: backing up and restoring a ~1 GB database three ways, side by side in one run (median of N).

    .venv/bin/python -m perf.bench_dr [--runs 3] [--scale 70]

The source is a database `bench_dr` of its own on the stack's primary, filled by `pgbench -i -s 70` (about 1 GB)
and dropped afterwards; the stack's data filesystem is enlarged to 6 GB for it first (the primary and the replica
each hold the data and its WAL), and shrunk back afterwards unless the load's WAL still fills most of it. The
contenders:

  (a) the runbooks' procedure: plain `pg_dump` piped to `psql -v ON_ERROR_STOP=1` into a fresh database;
  (b) `pg_dump -Fd -j2` into a temporary directory, then `pg_restore -j2 --exit-on-error`;
  (c) opsgate's round trip (`opsgate.dr.jobs.round_trip`): snapshot, roles and `pg_dump -Fd -j2`, the archive's
      listing, `pg_restore -j2`, then the exact comparison with the source and `pg_amcheck` on the copy.

Each restores into a fresh throwaway instance (`opsgate.dr.scratch_postgres`, on /tmp), never into the source, and
each sample is timed from creating that instance to removing it, since (c) does both inside its run. The
contenders alternate (a, b, c, a, b, c, ...) so drift on the machine hits all alike. The targets: (c) at most
1.3 x (b) and 0.5 x (a). Prints a Markdown table with ratios to (b), (c)/(a), and the share of (c)'s phases.
Needs root (the remount), the stack up, and about 3 GB free on /tmp per sample at scale 70.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from opsgate.dr.backups import create_database
from opsgate.dr.jobs import round_trip
from opsgate.dr.pg_programs import PgPrograms, last_lines
from opsgate.dr.run import ROUND_TRIP
from opsgate.dr.scratch_postgres import PORT, ScratchPostgres
from opsgate.target.backup import Backup
from perf.benchlib import ROOT, print_table
from stack.components.postgres.server import PG_BIN, PG_FILESYSTEM, PG_SOCKET_DIR, REPLICA_SOCKET_DIR
from stack.config import PORTS

DB = "bench_dr"
JOBS = 2
STEP_TIMEOUT_S = 1200.0  # of each program; a 1 GB plain restore on a slow machine must not be cut short
BIG_FS_BYTES = 6 << 30
SOURCE = ["-h", str(PG_SOCKET_DIR), "-p", str(PORTS["postgres"]), "-U", "postgres"]
REPLICA = ["-h", str(REPLICA_SOCKET_DIR), "-p", str(PORTS["postgres_replica"]), "-U", "postgres"]
# (c) reaches the source the way (a) and (b) do, as postgres over the primary's Unix socket (trust), so the
# comparison is of the procedures, not of TCP against a socket or of scram. Backup.source_dsn must be a URL with
# a host (`postgresql://postgres@/bench_dr?host=...` is refused), so the socket directory is the percent-encoded
# host, which libpq (psycopg, pg_dump, pg_dumpall) reads as a socket path.
SOURCE_DSN = f"postgresql://postgres@{quote(str(PG_SOCKET_DIR), safe='')}:{PORTS['postgres']}/{DB}"
RUNBOOK = "(a) runbook: pg_dump piped to psql"  # no "|": it would split the Markdown table's cell
RAW = f"(b) pg_dump -Fd -j{JOBS} + pg_restore -j{JOBS}"
OPSGATE = "(c) opsgate round trip (dump, restore, verify)"
TEARDOWN = "teardown"  # (c)'s time outside its phases: removing the scratch instance and the dump


def psql(command: str, dbname: str = "postgres", *, socket: list[str] = SOURCE) -> str:
    result = subprocess.run([str(PG_BIN / "psql"), *socket, "-X", "-d", dbname, "-qAtc", command],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"psql {command!r} failed: {last_lines(result.stderr)}")
    return result.stdout.strip()


def check(argv: list[str], what: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=STEP_TIMEOUT_S, check=False)
    if result.returncode != 0 or "ERROR:" in result.stderr:
        sys.exit(f"{what} failed (exit {result.returncode}): {last_lines(result.stderr)}")


def filesystem_bytes() -> tuple[int, int]:
    """Size and used bytes of the stack's data filesystem."""
    stat = os.statvfs(PG_FILESYSTEM)
    return stat.f_blocks * stat.f_frsize, (stat.f_blocks - stat.f_bfree) * stat.f_frsize


def remount(size_bytes: int) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size_bytes // 1024}k", str(PG_FILESYSTEM)], check=True)


def release_space(wait_s: float = 60) -> int:
    """After the drop: checkpoint the primary, let the replica replay up to it (it holds a copy of the data until
    then), restartpoint the replica, so both recycle the load's WAL; the filesystem's used bytes then."""
    psql("CHECKPOINT")
    lsn = psql("SELECT pg_current_wal_lsn()")
    until = time.monotonic() + wait_s
    while psql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'", socket=REPLICA) != "t" and time.monotonic() < until:
        time.sleep(1)
    psql("CHECKPOINT", socket=REPLICA)
    return filesystem_bytes()[1]


class Contenders:
    def __init__(self, programs: PgPrograms, encoding: str, accounts: int) -> None:
        self.programs, self.encoding, self.accounts = programs, encoding, accounts

    def _sample(self, restore: Callable[[ScratchPostgres], None]) -> float:
        """Seconds from a fresh scratch instance through `restore` into it to its removal, not counting the
        row-count check that proves the restore happened."""
        began = time.perf_counter()
        scratch = ScratchPostgres(self.programs, "postgres")
        try:
            restore(scratch)
            check_began = time.perf_counter()
            restored = psql("SELECT count(*) FROM pgbench_accounts", DB,
                            socket=["-h", str(scratch.socket), "-p", str(PORT), "-U", "postgres"])
            check_s = time.perf_counter() - check_began
            if int(restored) != self.accounts:
                sys.exit(f"the copy has {restored} pgbench_accounts rows, the source {self.accounts}")
        finally:
            scratch.remove()
        return time.perf_counter() - began - check_s

    def _create(self, scratch: ScratchPostgres) -> None:
        self.programs.run("psql", "-X", "-q", "-d", scratch.conninfo(), "-c", create_database(DB, self.encoding))

    def runbook(self) -> float:
        def restore(scratch: ScratchPostgres) -> None:
            self._create(scratch)
            dump = shlex.join([str(PG_BIN / "pg_dump"), *SOURCE, DB])
            load = shlex.join([str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                               scratch.conninfo(DB)])
            # pipefail, as the runbook says: without it a failed pg_dump would pass as a fast restore.
            check(["bash", "-o", "pipefail", "-c", f"{dump} | {load} >/dev/null"], "pg_dump | psql")

        return self._sample(restore)

    def raw(self) -> float:
        def restore(scratch: ScratchPostgres) -> None:
            with tempfile.TemporaryDirectory(prefix="bench-dr-") as work:
                archive = str(Path(work) / "database")
                check([str(PG_BIN / "pg_dump"), *SOURCE, "-Fd", "-j", str(JOBS), "-f", archive, DB], "pg_dump -Fd")
                self._create(scratch)
                check([str(PG_BIN / "pg_restore"), "-j", str(JOBS), "--exit-on-error", "-d", scratch.conninfo(DB),
                       archive], "pg_restore")

        return self._sample(restore)

    def opsgate(self) -> tuple[float, dict[str, float]]:
        """Seconds of the whole round trip, and each phase's (plus the teardown after them)."""
        settings = Backup(source_dsn=SOURCE_DSN, jobs=JOBS, step_timeout_s=STEP_TIMEOUT_S)
        began = time.perf_counter()
        run = round_trip(settings, write_canary=False)
        elapsed = time.perf_counter() - began
        if run.failure is not None:
            sys.exit(f"the round trip failed at {run.failed_step}: {run.failure}")
        compared = run.compared()
        problems = [*compared.row_differences(), *compared.content_differences(),
                    *compared.catalog_differences(roles=False), *compared.catalog_differences(roles=True),
                    *run.amcheck_problems]
        if problems:  # a copy that differs means the sample timed something else than a good round trip
            sys.exit(f"the round trip's copy differs from the source: {'; '.join(problems[:5])}")
        return elapsed, {**run.phases, TEARDOWN: elapsed - sum(run.phases.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", type=int, default=70, help="pgbench scale factor (70 is about 1 GB)")
    args = parser.parse_args()
    psql("SELECT 1")  # the stack must be up: this benchmark does not start it
    fs_size, _ = filesystem_bytes()
    if fs_size < BIG_FS_BYTES:
        remount(BIG_FS_BYTES)
    samples: dict[str, list[float]] = {RUNBOOK: [], RAW: [], OPSGATE: []}
    phases: list[dict[str, float]] = []
    try:
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")  # left over from an interrupted run
        psql(f"CREATE DATABASE {DB}")
        print(f"generating pgbench data at scale {args.scale} ...", flush=True)
        subprocess.run([str(PG_BIN / "pgbench"), "-i", "-q", "-s", str(args.scale), *SOURCE, DB], check=True,
                       cwd=ROOT, capture_output=True)
        psql("CHECKPOINT")  # not in the first sample
        size_mb = float(psql(f"SELECT pg_database_size('{DB}') / 1048576.0"))
        encoding = psql(f"SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = '{DB}'")
        print(f"{DB}: {size_mb:.0f} MB", flush=True)
        contenders = Contenders(PgPrograms.of_major(15, str(PG_BIN), STEP_TIMEOUT_S), encoding,
                                int(psql("SELECT count(*) FROM pgbench_accounts", DB)))
        for round_no in range(1, args.runs + 1):
            samples[RUNBOOK].append(contenders.runbook())
            print(f"round {round_no}/{args.runs}: {RUNBOOK}: {samples[RUNBOOK][-1]:.1f} s", flush=True)
            samples[RAW].append(contenders.raw())
            print(f"round {round_no}/{args.runs}: {RAW}: {samples[RAW][-1]:.1f} s", flush=True)
            elapsed, phase_s = contenders.opsgate()
            samples[OPSGATE].append(elapsed)
            phases.append(phase_s)
            split = ", ".join(f"{name} {seconds:.1f}" for name, seconds in phase_s.items())
            print(f"round {round_no}/{args.runs}: {OPSGATE}: {elapsed:.1f} s ({split})", flush=True)
    finally:
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        used = release_space()
        if fs_size < BIG_FS_BYTES and used < fs_size * 3 // 4:  # the kept WAL fills part of it for a while
            remount(fs_size)
        elif fs_size < BIG_FS_BYTES:
            print(f"{PG_FILESYSTEM} left at 6 GB: {used >> 20} MB still in use", flush=True)

    print(f"\nSource: pgbench scale {args.scale}, {size_mb:.0f} MB; each sample restores into a fresh scratch "
          "instance, timed from its creation to its removal.")
    print_table(samples, RAW)
    median = {name: statistics.median(values) for name, values in samples.items()}
    for other, target in ((RAW, 1.3), (RUNBOOK, 0.5)):
        ratio = median[OPSGATE] / median[other]
        verdict = "met" if ratio <= target else "missed"
        print(f"\n(c) / {other.split()[0]}: {ratio:.2f}x (target <= {target}x: {verdict})")
    # Each run's phase as a share of that run's wall time, then the median over the runs.
    shares = {name: statistics.median(run[name] / sum(run.values()) * 100 for run in phases)
              for name in (*ROUND_TRIP, TEARDOWN) if all(name in run for run in phases)}  # no drill here
    seconds = {name: statistics.median(run[name] for run in phases) for name in shares}
    print(f"\n(c) phase shares, median of {len(phases)}: "
          + ", ".join(f"{name} {shares[name]:.0f}% ({seconds[name]:.1f} s)" for name in shares))


if __name__ == "__main__":
    main()
