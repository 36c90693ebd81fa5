"""A backup taken now comes back whole: restored into a scratch instance, it equals the source as the backup saw
it, table by table (rows and content), in its catalog (schema, owners, grants, roles), and passes pg_amcheck; a
canary written just before it is in it; the app, started on the copy, passes its smoke suite (the DR drill);
and the whole round trip fits the RTO budget."""

from collections.abc import Callable

import pytest

from opsgate.dr.run import DrRun
from opsgate.plugin.checks import required
from opsgate.target import Target
from opsgate.target.backup import Backup

from .conftest import DRILL, UPSTREAM, listed

pytestmark = pytest.mark.backup


@pytest.mark.runbook("backup/dump-failed", *UPSTREAM)
def test_backup_is_taken_and_readable(round_trip_run: DrRun) -> None:
    round_trip_run.reached("dump")
    assert round_trip_run.archive_entries > 0, "pg_restore --list shows nothing in the archive pg_dump wrote"


@pytest.mark.runbook("backup/restore-failed", *UPSTREAM)
def test_backup_restores_into_a_scratch_instance(round_trip_run: DrRun) -> None:
    round_trip_run.reached("restore")


@pytest.mark.runbook("backup/rows-differ", *UPSTREAM)
def test_every_table_comes_back(round_trip_run: DrRun) -> None:
    missing = round_trip_run.compared().missing()
    assert not missing, f"the restored copy lacks tables of the source: {listed(missing)}"


@pytest.mark.runbook("backup/rows-differ", *UPSTREAM)
def test_table_comes_back_with_its_rows(round_trip_run: DrRun, table: str) -> None:
    problem = round_trip_run.compared().rows_of(table)
    assert not problem, f"as backed up: {problem}"


@pytest.mark.runbook("backup/content-differs", *UPSTREAM)
def test_table_comes_back_with_its_content(round_trip_run: DrRun, table: str) -> None:
    problem = round_trip_run.compared().content_of(table)
    assert not problem, f"as backed up: {problem}"


@pytest.mark.runbook("backup/schema-differs", *UPSTREAM)
def test_schema_owners_and_grants_come_back(round_trip_run: DrRun) -> None:
    differences = round_trip_run.compared().catalog_differences(roles=False)
    assert not differences, f"the restored catalog differs from the source's: {listed(differences)}"


@pytest.mark.runbook("backup/roles-missing", *UPSTREAM)
def test_roles_come_back(round_trip_run: DrRun) -> None:
    differences = round_trip_run.compared().catalog_differences(roles=True)
    assert not differences, f"the restored roles differ from the source's: {listed(differences)}"


@pytest.mark.runbook("backup/schema-differs", *UPSTREAM)
def test_sequences_are_ahead_of_their_columns(round_trip_run: DrRun) -> None:
    behind = round_trip_run.compared().sequences_behind
    assert not behind, f"the restored app's next insert would collide: {listed(behind)}"


@pytest.mark.runbook("backup/amcheck-failed", *UPSTREAM)
def test_restored_copy_passes_amcheck(round_trip_run: DrRun) -> None:
    round_trip_run.reached("verify")
    problems = round_trip_run.amcheck_problems
    assert not problems, f"pg_amcheck found damage in the restored copy: {listed(problems)}"


@pytest.mark.destructive  # writes the canary row into the source
@pytest.mark.runbook("backup/canary-missing", *UPSTREAM)
def test_canary_written_before_the_backup_comes_back(round_trip_run: DrRun) -> None:
    if round_trip_run.canary_failure:
        raise round_trip_run.canary_failure
    round_trip_run.reached("verify")
    assert round_trip_run.canary_restored, (
        f"the canary {round_trip_run.canary} written at {round_trip_run.canary_at} is not in the restored copy"
    )


@pytest.mark.runbook(DRILL, *UPSTREAM)
def test_the_app_passes_its_smoke_suite_on_the_restored_copy(round_trip_run: DrRun, backup: Backup,
                                                             target: Target) -> None:
    required(backup.drill, "backup.drill", target)
    round_trip_run.reached("drill")
    drill = round_trip_run.drill
    assert drill and drill.passed, "the drill's smoke run against the app on the restored copy executed no checks"
    assert not drill.failed, (
        f"on the restored copy the app fails {len(drill.failed)} smoke checks: {listed(drill.failed)}"
    )


@pytest.mark.runbook("backup/rto-exceeded", *UPSTREAM)
def test_round_trip_within_rto_budget(round_trip_run: DrRun, backup: Backup,
                                      show_phases: Callable[[DrRun], None]) -> None:
    show_phases(round_trip_run)
    round_trip_run.reached("verify")
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in round_trip_run.phases.items())
    assert round_trip_run.rto_s <= backup.rto_budget_s, (
        f"the round trip took {round_trip_run.rto_s:.1f} s ({phases}); the RTO budget is {backup.rto_budget_s:g} s"
    )
