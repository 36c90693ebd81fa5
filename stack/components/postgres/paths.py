"""Where the stack's PostgreSQL primary and replica live (on a size-limited tmpfs when run as root)."""

from __future__ import annotations

from pathlib import Path

from stack.config import STATE

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_FILESYSTEM = STATE / "postgres"
PG_DATA = PG_FILESYSTEM / "data"
PG_SOCKET_DIR = PG_FILESYSTEM / "run"
PG_CONFIG = PG_FILESYSTEM / "opsgate.conf"
REPLICA_DATA = PG_FILESYSTEM / "replica"
REPLICA_SOCKET_DIR = PG_FILESYSTEM / "replica-run"
