"""Backup-restore suite fixtures: the round trip and the rehearsal each run once per gate (fixtures.dr), and their
facts are what the checks read. Each run appends a line to the DR history."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_html import extras as html_extras

from fixtures.checks import component, parametrize
from fixtures.dr import rehearse, round_trip
from fixtures.dr_run import SOURCES, DrRun, last_runs
from fixtures.options import TARGET_KEY
from fixtures.reporting import REPORTS_DIR
from fixtures.safety import writes_allowed
from fixtures.target import Target
from fixtures.target_backup import Backup

# Where a run's failure can come from, before the check's own step: every check may cite these.
UPSTREAM = ("db/unreachable", "backup/scratch-failed", "backup/dump-failed", "backup/none-found",
            "backup/storage-unreadable",
            "backup/archive-unreadable", "backup/restore-failed", "backup/roles-missing")
HISTORY_SHOWN = 5
SHOWN = 5  # differences named in a failure; the rest are counted


def listed(differences: list[str]) -> str:
    more = f" (and {len(differences) - SHOWN} more)" if len(differences) > SHOWN else ""
    return "; ".join(differences[:SHOWN]) + more


@pytest.fixture(scope="session")
def backup(target: Target) -> Backup:
    return component(target, "backup")


# The rehearsal's sources each check runs for: every kind for most; WAL replay only where there is an archive.
SOURCES_OF = {"rehearsal": SOURCES, "archive_rehearsal": ("pgbackrest",)}
REHEARSALS_KEY = pytest.StashKey[dict[str, DrRun]]()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    backup = metafunc.config.stash[TARGET_KEY].backup
    for argname, sources in SOURCES_OF.items():
        if argname in metafunc.fixturenames:
            configured = [source for source in sources if backup and getattr(backup, source)]
            parametrize(metafunc, argname, configured, str, " or ".join(f"backup.{s}" for s in sources),
                        indirect=True)


def _history(config: pytest.Config, backup: Backup) -> Path | None:
    """The target's history file; else reports/dr-history.jsonl, unless the run writes no reports."""
    if backup.history:
        return Path(backup.history)
    return None if config.getoption("no_reports") else config.rootpath / REPORTS_DIR / "dr-history.jsonl"


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
    run = round_trip(backup, write_canary=canary_checked and writes_allowed(target))
    return _recorded(run, request.config, backup, target)


def _rehearsal_of(request: pytest.FixtureRequest, backup: Backup, target: Target) -> DrRun:
    """One rehearsal per source and run, whichever fixture asks first."""
    done = request.config.stash.setdefault(REHEARSALS_KEY, {})
    source = request.param
    if source not in done:
        done[source] = _recorded(rehearse(backup, source), request.config, backup, target)
    return done[source]


@pytest.fixture(scope="session")
def rehearsal(request: pytest.FixtureRequest, backup: Backup, target: Target) -> DrRun:
    return _rehearsal_of(request, backup, target)


@pytest.fixture(scope="session")
def archive_rehearsal(request: pytest.FixtureRequest, backup: Backup, target: Target) -> DrRun:
    return _rehearsal_of(request, backup, target)


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
