"""Performance: no statement slow on average (pg_stat_statements), and reads served from the buffer cache."""

import warnings

import pytest

from opsgate.core.verdict import fail
from opsgate.probes.postgres import Database, redact_sql
from opsgate.target import Postgres

pytestmark = pytest.mark.db
CONNECT = ("db/unreachable", "db/not-accepting", "db/auth-failed", "db/database-missing")
MIN_BLOCKS_TO_JUDGE = 1000


@pytest.mark.runbook("db/slow-statements", "db/extension-missing", *CONNECT)
def test_no_statement_is_slow_on_average(db: Database, postgres: Postgres) -> None:
    if "pg_stat_statements" not in db.extensions():
        fail("db/extension-missing", "pg_stat_statements is not installed: statement timings are unknown")
    slow = [s for s in db.slowest_statements(postgres.statement_min_calls) if s["mean_ms"] > postgres.statement_warn_ms]
    described = [f"{s['mean_ms']:.0f} ms mean over {s['calls']} calls: {redact_sql(s['query'])}" for s in slow]
    for line in described:
        warnings.warn(f"slow statement: {line}", stacklevel=1)
    failing = [d for s, d in zip(slow, described, strict=True) if s["mean_ms"] > postgres.statement_fail_ms]
    assert not failing, f"statements slower than {postgres.statement_fail_ms:g} ms on average: {'; '.join(failing)}"


@pytest.mark.runbook("db/cache-hit-ratio", *CONNECT)
def test_buffer_cache_hit_ratio(db: Database, postgres: Postgres) -> None:
    hit, read = db.cache_blocks()
    if hit + read < MIN_BLOCKS_TO_JUDGE:  # a ratio of a handful of reads says nothing either way
        pytest.skip(f"{hit + read} block requests since the statistics were reset, fewer than the "
                    f"{MIN_BLOCKS_TO_JUDGE} a hit ratio needs")
    ratio = 100 * hit / (hit + read)
    assert ratio >= postgres.cache_hit_min_pct, (
        f"buffer cache hit ratio {ratio:.1f}% (threshold {postgres.cache_hit_min_pct:g}%): {read} blocks read from disk"
    )
