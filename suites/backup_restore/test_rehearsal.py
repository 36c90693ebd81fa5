"""The backup that already exists is the one a disaster needs: the newest is recent and not suspiciously small,
it restores into a scratch instance, and the copy matches the live database (schema, roles, row counts within
the tolerance) and passes pg_amcheck, within the RTO budget."""

from collections.abc import Callable

import pytest

from opsgate.dr.pgbackrest_repo import segment
from opsgate.dr.run import DrRun
from opsgate.target.backup import Backup

from .conftest import UPSTREAM, listed, shrinkage

pytestmark = pytest.mark.backup


def _newest(rehearsal: DrRun) -> None:
    if rehearsal.backup is None and rehearsal.failure:
        raise rehearsal.failure


@pytest.mark.runbook("backup/none-found", *UPSTREAM)
def test_a_backup_exists(rehearsal: DrRun) -> None:
    _newest(rehearsal)


@pytest.mark.runbook("backup/stale", *UPSTREAM)
def test_newest_backup_is_within_rpo(dated_rehearsal: DrRun, backup: Backup) -> None:
    rehearsal = dated_rehearsal
    _newest(rehearsal)
    assert rehearsal.backup and rehearsal.rpo_s is not None
    assert rehearsal.rpo_s <= backup.rpo_budget_s, (
        f"the newest backup {rehearsal.backup.path.name} is {rehearsal.rpo_s / 3600:.1f} h old; the RPO budget is "
        f"{backup.rpo_budget_s / 3600:g} h: a restore now would lose everything since"
    )


@pytest.mark.runbook("backup/shrunk", *UPSTREAM)
def test_newest_backup_has_not_shrunk(sized_rehearsal: DrRun, backup: Backup) -> None:
    rehearsal = sized_rehearsal
    _newest(rehearsal)
    assert rehearsal.backup
    problem = shrinkage(rehearsal.backup, rehearsal.previous, backup.max_shrink_pct)
    assert not problem, problem


@pytest.mark.runbook("backup/archive-unreadable", *UPSTREAM)
def test_newest_backup_is_readable(rehearsal: DrRun) -> None:
    rehearsal.reached("find")
    assert rehearsal.archive_entries > 0, f"{rehearsal.backup.path if rehearsal.backup else 'it'} lists nothing"


@pytest.mark.runbook("backup/restore-failed", *UPSTREAM)
def test_newest_backup_restores(rehearsal: DrRun) -> None:
    rehearsal.reached("restore")


@pytest.mark.runbook("backup/schema-differs", *UPSTREAM)
def test_restored_schema_matches_live(rehearsal: DrRun) -> None:
    differences = rehearsal.compared().catalog_differences(roles=False)
    assert not differences, f"the restored catalog differs from the live database's: {listed(differences)}"


@pytest.mark.runbook("backup/roles-missing", *UPSTREAM)
def test_restored_roles_match_live(rehearsal: DrRun) -> None:
    differences = rehearsal.compared().catalog_differences(roles=True)
    assert not differences, f"the restored roles differ from the live database's: {listed(differences)}"


@pytest.mark.runbook("backup/rows-differ", *UPSTREAM)
def test_restored_rows_match_live_within_tolerance(rehearsal: DrRun, backup: Backup) -> None:
    differences = rehearsal.compared().row_differences(backup.row_tolerance_pct)
    assert not differences, (
        f"beyond {backup.row_tolerance_pct:g}% of live: {listed(differences)}"
    )


@pytest.mark.runbook("backup/amcheck-failed", *UPSTREAM)
def test_restored_copy_passes_amcheck(rehearsal: DrRun) -> None:
    rehearsal.reached("verify")
    assert not rehearsal.amcheck_problems, f"pg_amcheck found damage in the restored copy: " \
        f"{listed(rehearsal.amcheck_problems)}"


@pytest.mark.runbook("backup/wal-gap", *UPSTREAM)
def test_restore_replays_the_whole_archive(archive_rehearsal: DrRun) -> None:
    archive_rehearsal.reached("restore")
    replayed, archived = archive_rehearsal.replayed_to, archive_rehearsal.archive_end
    assert replayed and archived, "the restore did not say how far it replayed"
    assert segment(replayed) >= segment(archived), (
        f"recovery stopped in WAL segment {replayed}, but the archive holds WAL up to {archived}: a segment in "
        "between is missing, and a restore now would silently lose every transaction after the gap"
    )


@pytest.mark.runbook("backup/pitr-failed", *UPSTREAM)
def test_point_in_time_restore_reaches_its_target(pitr_rehearsal: DrRun) -> None:
    pitr_rehearsal.reached("restore")
    assert not pitr_rehearsal.recovery_missed, pitr_rehearsal.recovery_missed


@pytest.mark.runbook("backup/rto-exceeded", *UPSTREAM)
def test_rehearsal_within_rto_budget(rehearsal: DrRun, backup: Backup, show_phases: Callable[[DrRun], None]) -> None:
    show_phases(rehearsal)
    rehearsal.reached("verify")
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in rehearsal.phases.items())
    assert rehearsal.rto_s <= backup.rto_budget_s, (
        f"the restore took {rehearsal.rto_s:.1f} s ({phases}); the RTO budget is {backup.rto_budget_s:g} s"
    )
