"""Backup-restore suite fixtures: the round trip and the rehearsal each run once per gate (opsgate.dr.jobs), and their
facts are what the checks read. Each run appends a line to the DR history."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pytest_html import extras as html_extras

from opsgate.core.deadline import DeadlineExceeded
from opsgate.dr import pg_content
from opsgate.dr.backups import BackupFile
from opsgate.dr.jobs import rehearse, round_trip
from opsgate.dr.pitr import TARGETS, rehearse_point_in_time
from opsgate.dr.run import SOURCES, DrRun, last_runs
from opsgate.dr.snapshot import rehearse_snapshot
from opsgate.dr.volume_archives import VolumeRestore, rehearse_volume
from opsgate.plugin.checks import component, parametrize
from opsgate.plugin.extras import selected
from opsgate.plugin.options import TARGET_KEY, target_path
from opsgate.plugin.safety import writes_allowed
from opsgate.report.files import reports_dir
from opsgate.target import Target
from opsgate.target.backup import Backup, VolumeArchive

# Where a run's failure can come from, before the check's own step: every check may cite these.
UPSTREAM = ("backup/source-unreachable", "backup/source-auth-failed", "backup/source-privileges",
            "backup/scratch-failed", "backup/dump-failed", "backup/none-found", "backup/storage-unreadable",
            "backup/restore-into-source", "backup/archive-unreadable", "backup/restore-failed", "backup/roles-missing")
DRILL = "backup/drill-failed"
UNLISTED = "(the source's tables could not be listed)"
HISTORY_SHOWN = 5
SHOWN = 5  # differences named in a failure; the rest are counted


def listed(differences: list[str]) -> str:
    more = f" (and {len(differences) - SHOWN} more)" if len(differences) > SHOWN else ""
    return "; ".join(differences[:SHOWN]) + more


def shrinkage(newest: BackupFile, previous: BackupFile | None, max_shrink_pct: float) -> str | None:
    """What is wrong when the newest backup is more than `max_shrink_pct` smaller than the one before it."""
    if previous is None:
        pytest.skip("only one backup: nothing to compare its size with")
    shrunk_pct = 100 * (previous.size - newest.size) / previous.size if previous.size else 0
    if shrunk_pct <= max_shrink_pct:
        return None
    return (f"the newest backup {newest.path.name} ({newest.size} bytes) is {shrunk_pct:.0f}% smaller than the one "
            f"before it ({previous.path.name}, {previous.size} bytes); the limit is {max_shrink_pct:g}%")


@pytest.fixture(scope="session")
def backup(target: Target) -> Backup:
    return component(target, "backup")


# The rehearsal's sources each check runs for: every kind for most; WAL replay only where there is an archive;
# size only where there are generations to compare; age where it is known (a snapshot's only when the pipeline
# passes `taken_at`).
SOURCES_OF = {"rehearsal": SOURCES, "archive_rehearsal": ("pgbackrest",), "dated_rehearsal": SOURCES,
              "sized_rehearsal": ("dumps", "s3", "pgbackrest")}
REHEARSALS_KEY = pytest.StashKey[dict[str, DrRun]]()
# Volume archives each check runs for: every one, or the Prometheus ones.
VOLUMES_OF = {"volume_restore": ("files", "prometheus"), "tsdb_restore": ("prometheus",)}
VOLUMES_KEY = pytest.StashKey[dict[str, VolumeRestore]]()


TABLES_KEY = pytest.StashKey[list[str]]()
LISTING_TIMEOUT_S = 3.0


def _source_tables(config: pytest.Config, backup: Backup) -> list[str]:
    """The source's tables, listed once while the checks are collected (one per-table check each); a source that
    cannot be listed gets one check, under an id that says so, which fails with the round trip's own finding."""
    if not selected(config.getoption("markexpr") or "", "backup"):
        return [UNLISTED]  # -m cannot select this suite (pytest's own reading of it): the source is not asked
    if TABLES_KEY not in config.stash:
        try:
            with pg_content.connect(backup.source_dsn, timeout_s=LISTING_TIMEOUT_S) as conn:
                config.stash[TABLES_KEY] = pg_content.tables(conn)
        except (psycopg.Error, DeadlineExceeded):
            config.stash[TABLES_KEY] = [UNLISTED]
    return config.stash[TABLES_KEY]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    backup = metafunc.config.stash[TARGET_KEY].backup
    if "table" in metafunc.fixturenames:
        parametrize(metafunc, "table", _source_tables(metafunc.config, backup) if backup else [], str, "backup")
    for argname, sources in SOURCES_OF.items():
        if argname in metafunc.fixturenames:
            configured = [source for source in sources if backup and getattr(backup, source)
                          and not (argname == "dated_rehearsal" and source == "snapshot" and backup.snapshot
                                   and backup.snapshot.taken_at is None)]
            parametrize(metafunc, argname, configured, str, " or ".join(f"backup.{s}" for s in sources),
                        indirect=True)
    if "pitr_rehearsal" in metafunc.fixturenames:
        pgbackrest = backup.pgbackrest if backup else None
        targets = [kind for kind in TARGETS if pgbackrest and (kind == "between-backups" or
                                                                 pgbackrest.recovery_target() is not None)]
        parametrize(metafunc, "pitr_rehearsal", targets, str, "backup.pgbackrest", indirect=True)
    for argname, kinds in VOLUMES_OF.items():
        if argname in metafunc.fixturenames:
            volumes = [volume for volume in (backup.volumes if backup else []) if volume.kind in kinds]
            missing = "backup.volumes" + (" of kind prometheus" if kinds == ("prometheus",) else "")
            parametrize(metafunc, argname, volumes, lambda volume: volume.name, missing, indirect=True)


def _history(config: pytest.Config, backup: Backup) -> Path | None:
    """The target's history file; else reports/dr-history.jsonl, unless the run writes no reports."""
    if backup.history:
        return Path(backup.history)
    return None if config.getoption("no_reports") else reports_dir(config.rootpath) / "dr-history.jsonl"


def _recorded(run: DrRun, config: pytest.Config, backup: Backup, target: Target) -> DrRun:
    history = _history(config, backup)
    if history:
        run.record(history, target.name)
    return run


@pytest.fixture(scope="session")
def round_trip_run(request: pytest.FixtureRequest, backup: Backup, target: Target) -> DrRun:
    # The canary is a write: only when a selected check needs it, and never on production without allow_writes.
    canary_checked = any(item.get_closest_marker("destructive") and "round_trip_run" in item.fixturenames
                         for item in request.session.items)
    # The drill (an app on the copy, the smoke suite against it) only when its check is selected.
    drilled = any(DRILL in marker.args for item in request.session.items for marker in item.iter_markers("runbook"))
    run = round_trip(backup, write_canary=canary_checked and writes_allowed(target),
                     target_file=target_path(request.config) if drilled else None)
    return _recorded(run, request.config, backup, target)


def _rehearsal_of(request: pytest.FixtureRequest, backup: Backup, target: Target) -> DrRun:
    """One rehearsal per source and run, whichever fixture asks first."""
    done = request.config.stash.setdefault(REHEARSALS_KEY, {})
    source = request.param
    if source not in done:
        run = rehearse_snapshot(backup, backup.snapshot) if source == "snapshot" and backup.snapshot \
            else rehearse(backup, source)
        done[source] = _recorded(run, request.config, backup, target)
    return done[source]


@pytest.fixture(scope="session")
def rehearsal(request: pytest.FixtureRequest, backup: Backup, target: Target) -> DrRun:
    return _rehearsal_of(request, backup, target)


@pytest.fixture(scope="session")
def archive_rehearsal(request: pytest.FixtureRequest, backup: Backup, target: Target) -> DrRun:
    return _rehearsal_of(request, backup, target)


@pytest.fixture(scope="session")
def dated_rehearsal(request: pytest.FixtureRequest, backup: Backup, target: Target) -> DrRun:
    return _rehearsal_of(request, backup, target)


@pytest.fixture(scope="session")
def sized_rehearsal(request: pytest.FixtureRequest, backup: Backup, target: Target) -> DrRun:
    return _rehearsal_of(request, backup, target)


@pytest.fixture(scope="session")
def pitr_rehearsal(request: pytest.FixtureRequest, backup: Backup, target: Target) -> DrRun:
    return _recorded(rehearse_point_in_time(backup, request.param), request.config, backup, target)


def _volume_restore_of(request: pytest.FixtureRequest, backup: Backup, target: Target) -> VolumeRestore:
    """One restore per volume and run, whichever fixture asks first; a line in the DR history."""
    done = request.config.stash.setdefault(VOLUMES_KEY, {})
    volume: VolumeArchive = request.param
    if volume.name not in done:
        done[volume.name] = rehearse_volume(volume)
        _recorded(done[volume.name].run, request.config, backup, target)
    return done[volume.name]


@pytest.fixture(scope="session")
def volume_restore(request: pytest.FixtureRequest, backup: Backup, target: Target) -> VolumeRestore:
    return _volume_restore_of(request, backup, target)


@pytest.fixture(scope="session")
def tsdb_restore(request: pytest.FixtureRequest, backup: Backup, target: Target) -> VolumeRestore:
    return _volume_restore_of(request, backup, target)


@pytest.fixture
def show_phases(request: pytest.FixtureRequest, backup: Backup, extras: list[Any]) -> Callable[[DrRun], None]:
    """Put the run's phases and the last runs of the history in the HTML report, passed or failed."""

    def show(run: DrRun) -> None:
        rows = "".join(f"<tr><td>{html.escape(name)}</td><td>{seconds:.2f} s</td></tr>"
                       for name, seconds in run.phases.items())
        history = _history(request.config, backup)
        past = "".join(
            f"<tr><td>{html.escape(str(line.get('at')))}</td><td>{html.escape(str(line.get('mode')))}</td>"
            f"<td>{line.get('rto_s')}</td><td>{line.get('rpo_s')}</td>"
            f"<td>{html.escape(str(line.get('failure') or 'ok'))}</td></tr>"
            for line in (last_runs(history, HISTORY_SHOWN) if history else []))
        extras.append(html_extras.html(
            f"<h4>{run.mode}: phases</h4><table><tr><th>phase</th><th>time</th></tr>{rows}</table>"
            f"<h4>last runs ({html.escape(str(history))})</h4><table><tr><th>at</th><th>mode</th><th>RTO s</th>"
            f"<th>RPO s</th><th>verdict</th></tr>{past}</table>"))

    return show
