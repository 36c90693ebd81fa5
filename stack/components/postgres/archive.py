"""The primary's WAL archive and backups in a pgBackRest repository (stanza `opsgate` in .stack/pgbackrest/): the
configuration the primary's archive_command and the nightly-style backups read. Outside the data filesystem, so a
full data disk does not take the archive with it."""

from __future__ import annotations

from pathlib import Path

from stack.components.postgres.paths import PG_DATA, PG_SOCKET_DIR
from stack.config import PORTS, STATE
from stack.files import render

PGBACKREST = STATE / "pgbackrest"
CONFIG = PGBACKREST / "pgbackrest.conf"
REPO = PGBACKREST / "repo"
STANZA = "opsgate"
COMMAND = ["pgbackrest", f"--config={CONFIG}", f"--stanza={STANZA}"]
ARCHIVE_COMMAND = f"{' '.join(COMMAND)} archive-push %p"


def files() -> dict[Path, str]:
    return {CONFIG: render("pgbackrest.conf", repo=REPO, logs=PGBACKREST / "log", lock=PGBACKREST / "lock",
                           spool=PGBACKREST / "spool",
                           data=PG_DATA, socket=PG_SOCKET_DIR, port=PORTS["postgres"], stanza=STANZA)}
