"""A volume's backup comes back: the newest archive of each volume the target lists is recent, not suspiciously
small, restores into a scratch directory with every file its listing names, and a Prometheus TSDB in it reads
back with recent samples."""

import time

import pytest

from opsgate.dr.volume_archives import VolumeRestore
from opsgate.target.backup import Backup

from .conftest import shrinkage

pytestmark = pytest.mark.backup
FOUND = ("backup/none-found",)


@pytest.mark.runbook("backup/stale", *FOUND)
def test_volume_backup_is_within_rpo(volume_restore: VolumeRestore, backup: Backup) -> None:
    if volume_restore.archive is None:
        volume_restore.restored()
    age_s = volume_restore.age_s
    assert age_s is not None and age_s <= backup.rpo_budget_s, (
        f"the newest archive of volume {volume_restore.volume.name} is {(age_s or 0) / 3600:.1f} h old; the RPO "
        f"budget is {backup.rpo_budget_s / 3600:g} h"
    )


@pytest.mark.runbook("backup/shrunk", *FOUND)
def test_volume_backup_has_not_shrunk(volume_restore: VolumeRestore, backup: Backup) -> None:
    if volume_restore.archive is None:
        volume_restore.restored()
    assert volume_restore.archive
    problem = shrinkage(volume_restore.archive, volume_restore.previous, backup.max_shrink_pct)
    assert not problem, problem


@pytest.mark.runbook("backup/archive-unreadable", *FOUND)
def test_volume_backup_restores_as_listed(volume_restore: VolumeRestore) -> None:
    volume_restore.restored()
    assert volume_restore.members > 0, f"the newest archive of volume {volume_restore.volume.name} lists no files"
    assert not volume_restore.missing, (
        f"restored without the size its listing gives: {'; '.join(volume_restore.missing[:5])}"
    )


@pytest.mark.runbook("backup/tsdb-unreadable", "backup/archive-unreadable", *FOUND)
def test_restored_tsdb_holds_recent_samples(tsdb_restore: VolumeRestore, backup: Backup) -> None:
    tsdb_restore.restored()
    name = tsdb_restore.volume.name
    assert not tsdb_restore.tsdb_problem, f"the TSDB restored from volume {name} does not read: " \
        f"{tsdb_restore.tsdb_problem}"
    assert tsdb_restore.tsdb_samples and tsdb_restore.tsdb_newest_s, (
        f"the TSDB restored from volume {name} reads, but holds no samples of `up`: the backup archived an "
        "empty or wrong directory"
    )
    lag_s = time.time() - tsdb_restore.tsdb_newest_s
    assert lag_s <= backup.rpo_budget_s, (
        f"the newest sample in the TSDB restored from volume {name} is {lag_s / 3600:.1f} h old; the RPO budget "
        f"is {backup.rpo_budget_s / 3600:g} h"
    )
