"""Superuser sessions over a cluster's Unix socket (trust auth, never on TCP): one way in for every cluster of the
stack, so the default primary, its replica and the debian shape's cluster are reached alike."""

from __future__ import annotations

from pathlib import Path

import psycopg


def superuser_session(socket_dir: Path, port: int, dbname: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(host=str(socket_dir), port=port, user="postgres", dbname=dbname, connect_timeout=2,
                           autocommit=True)
