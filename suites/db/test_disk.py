"""Disk: the filesystem holding the data directory has room (checked on the database host through testinfra)."""

from collections.abc import Callable

import pytest
from testinfra.host import Host

from opsgate.plugin.checks import required
from opsgate.probes.hosts import disk_usage
from opsgate.probes.postgres import Database
from opsgate.target import Postgres, Target

pytestmark = pytest.mark.db


@pytest.mark.runbook("db/disk-low", "db/unreachable", "db/not-accepting", "db/auth-failed", "db/database-missing")
def test_data_directory_has_free_space(
    db_host: Host, postgres: Postgres, db: Database, target: Target, record_metadata: Callable[[str, str], None]
) -> None:
    data_dir = required(postgres.data_dir, "postgres.data_dir", target)
    record_metadata("Database size", f"{db.size_bytes() / 1048576:.0f} MB")
    usage = disk_usage(db_host, data_dir)
    assert usage.free_pct >= postgres.min_free_disk_pct, (
        f"{usage.mountpoint} (holding {data_dir}) has {usage.free_pct:.1f}% free "
        f"({usage.free_bytes / 1048576:.0f} MB; threshold {postgres.min_free_disk_pct:g}%)"
    )
