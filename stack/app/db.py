"""PostgreSQL access: one bounded connection pool per worker, plain SQL."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

# libpq connection parameters shared by the pool and the management CLI: fail fast on an
# unreachable server and never let a single statement run unbounded.
CONNECT_KWARGS: dict[str, Any] = {"connect_timeout": 3, "options": "-c statement_timeout=5000"}


def create_pool(database_url: str) -> ConnectionPool:
    """Create the pool closed; the app lifespan opens it without waiting for the database."""
    return ConnectionPool(
        database_url,
        kwargs=CONNECT_KWARGS,
        min_size=1,
        max_size=5,
        timeout=3.0,
        # Give up on a failed connection attempt quickly: the next request then starts a fresh
        # attempt, so the app recovers within seconds of PostgreSQL coming back.
        reconnect_timeout=5.0,
        # Discard connections broken by a server restart instead of handing them out.
        check=ConnectionPool.check_connection,
        open=False,
        name="app",
    )


def current_revision(conn: psycopg.Connection[Any]) -> str | None:
    """Return the Alembic revision recorded in the database, or None if it was never migrated."""
    exists = conn.execute("SELECT to_regclass('alembic_version') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None
