"""A cluster's WAL archive and backups in a pgBackRest repository: the configuration its archive_command and the
nightly-style backups read. The primary's is stanza `opsgate` in .stack/pgbackrest/ (`PRIMARY`); another shape's
cluster names its own. Outside the data filesystem, so a full data disk does not take the archive with it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg

from stack.components.postgres.access import superuser_session
from stack.components.postgres.paths import PG_DATA, PG_SOCKET_DIR
from stack.config import PORTS, STATE
from stack.files import render


@dataclass(frozen=True)
class Repository:
    """One stanza's repository under `home`, for the cluster in `data` listening on `port` (socket in `socket`)."""

    home: Path
    stanza: str
    data: Path
    socket: Path
    port: int

    @property
    def config(self) -> Path:
        return self.home / "pgbackrest.conf"

    @property
    def repo(self) -> Path:
        return self.home / "repo"

    @property
    def command(self) -> list[str]:
        return ["pgbackrest", f"--config={self.config}", f"--stanza={self.stanza}"]

    @property
    def archive_command(self) -> str:
        return f"{' '.join(self.command)} archive-push %p"

    @property
    def directories(self) -> tuple[Path, ...]:
        """What must exist (owned by the server's account, which runs archive_command) before the server starts."""
        return (self.repo, *(self.home / name for name in ("log", "lock", "spool")))

    def files(self) -> dict[Path, str]:
        return {self.config: render("pgbackrest.conf", repo=self.repo, logs=self.home / "log",
                                    lock=self.home / "lock", spool=self.home / "spool", data=self.data,
                                    socket=self.socket, port=self.port, stanza=self.stanza)}

    def superuser(self, dbname: str) -> psycopg.Connection:
        return superuser_session(self.socket, self.port, dbname)


PRIMARY = Repository(STATE / "pgbackrest", "opsgate", PG_DATA, PG_SOCKET_DIR, PORTS["postgres"])
