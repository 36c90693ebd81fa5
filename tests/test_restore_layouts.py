"""The pgBackRest restore runs whatever a physical backup holds. The stack's repository is restored with the
copy's data directory made as other layouts leave it: a Debian cluster's (pg_createcluster keeps postgresql.conf,
pg_hba.conf and pg_ident.conf in /etc/postgresql: the backup holds none) and a RHEL one's (postgresql.conf in the
data directory, including a file of the source's machine the gate's does not have). The copy starts on the gate's
own configuration and the source's settings recovery needs; without them, the failure names the setting. And a copy
of the repository with bytes of its newest backup changed (the matrix row pgbackrest-checksum-mismatch, on a copy
of its own): pgbackrest verify exits 0, and the gate reads what it reports."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from opsgate.core.verdict import CheckFailed
from opsgate.dr import pg_content
from opsgate.dr.jobs import connect_source, programs_of
from opsgate.dr.pgbackrest_repo import Repository
from opsgate.dr.scratch_postgres import ScratchPostgres, SourceSettings, source_settings
from opsgate.target import load_target
from opsgate.target.backup import Backup
from stack.components import pgbackrest
from stack.components.pgbackrest import AFTER_BACKUP_TABLE
from stack.components.postgres import archive
from stack.components.postgres.archive import PRIMARY
from stack.files import give_to_service_user
from tests.gate import LOCAL_TARGET

pytestmark = pytest.mark.stack
CONFIG_FILES = ("postgresql.conf", "pg_hba.conf", "pg_ident.conf")


def _debian(data: Path) -> None:
    for name in CONFIG_FILES:
        (data / name).unlink()


def _rhel(data: Path) -> None:
    with (data / "postgresql.conf").open("a") as config:
        config.write("include '/etc/opsgate-not-on-this-machine/tuning.conf'\nport = 5432\nlisten_addresses = '*'\n")


LAYOUTS: dict[str, Callable[[Path], None]] = {"debian": _debian, "rhel": _rhel}


def _settings() -> Backup:
    backup = load_target(LOCAL_TARGET).backup
    assert backup is not None and backup.pgbackrest is not None
    return backup


def _restored_as(layout: Callable[[Path], None], source: SourceSettings | None = None) -> ScratchPostgres:
    """The stack's newest backup restored, its data directory then laid out as `layout` leaves it."""
    settings = _settings()
    assert settings.pgbackrest is not None
    repository = Repository(settings.pgbackrest, settings.step_timeout_s)

    def populate(data: Path, user: str | None) -> None:
        repository.restore(data, user)
        layout(data)

    with connect_source(settings.source_dsn) as conn:
        programs, _, _ = programs_of(conn, settings)
        carried = source_settings(conn, settings.pgbackrest.server_settings())
    return ScratchPostgres(programs, settings.scratch_user, populate=populate,
                           source=carried if source is None else source)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_backup_of_any_layout_restores_on_the_gates_own_configuration(layout: str, stack: object) -> None:
    scratch = _restored_as(LAYOUTS[layout])
    try:
        with pg_content.connect(scratch.conninfo("app"), timeout_s=10) as copy:
            assert copy.execute(f"SELECT count(*) FROM {AFTER_BACKUP_TABLE}").fetchone()[0] > 0
            # The source runs max_prepared_transactions = 5 (in a file its postgresql.conf includes): carried over.
            assert copy.execute("SHOW max_prepared_transactions").fetchone()[0] == "5"
    finally:
        scratch.remove()


def test_without_the_sources_settings_the_failure_names_the_setting(stack: object) -> None:
    """The stack's source runs max_prepared_transactions above the default: a copy without it cannot recover."""
    with pytest.raises(CheckFailed) as failed:
        _restored_as(_debian, SourceSettings(unshown=("shared_preload_libraries",))).remove()
    said = str(failed.value)
    assert failed.value.runbook == "backup/restore-failed", said
    assert "insufficient parameter settings" in said and "max_prepared_transactions = 0" in said, said
    assert "pg_read_all_settings" in said and "backup.pgbackrest.settings" in said, said


def test_declared_settings_win_and_are_spelled_for_postgresql(stack: object) -> None:
    settings = _settings()
    assert settings.pgbackrest is not None
    declared = settings.pgbackrest.model_copy(update={"settings": {
        "max_prepared_transactions": 7, "shared_preload_libraries": "pg_stat_statements", "jit": False}})
    with connect_source(settings.source_dsn) as conn:
        carried = source_settings(conn, declared.server_settings())
    assert carried.values["max_prepared_transactions"] == "7" and carried.values["jit"] == "off", carried
    assert carried.values["max_connections"] == "50" and not carried.unshown, carried


@pytest.fixture
def repository_copy(stack: object) -> Iterator[archive.Repository]:
    """The stack's repository copied (its configuration pointed at the copy), owned by the service account."""
    home = Path(tempfile.mkdtemp(prefix="opsgate-repo-copy-"))
    try:
        shutil.copytree(PRIMARY.repo, home / "repo")
        for state in ("log", "lock", "spool"):
            (home / state).mkdir()
        (home / "pgbackrest.conf").write_text(PRIMARY.config.read_text().replace(str(PRIMARY.home), str(home)))
        give_to_service_user(home, *home.rglob("*"))
        yield dataclasses.replace(PRIMARY, home=home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_a_backup_whose_bytes_changed_is_unreadable_though_verify_exits_0(
        repository_copy: archive.Repository) -> None:
    settings = _settings()
    assert settings.pgbackrest is not None
    copy = Repository(settings.pgbackrest.model_copy(update={"config": str(repository_copy.config)}), 120)
    assert copy.verify() >= 2
    pgbackrest.change_backup_bytes(repository_copy)
    with pytest.raises(CheckFailed) as failed:
        copy.verify()
    said = str(failed.value)
    assert failed.value.runbook == "backup/archive-unreadable" and "checksum invalid: 1" in said, said
