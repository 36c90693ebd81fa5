"""Hold PostgreSQL sessions in a bad state until killed: the helper process behind the session faults.

    python -m stack.holder connections N | idle-in-transaction | long-query | lock-wait

Sessions use the app's role and the application name `opsgate-fault`, so they look like a misbehaving app.
"""

from __future__ import annotations

import sys
import threading
import time

import psycopg

from stack.config import app_dsn

APPLICATION = "opsgate-fault"


def _connect(autocommit: bool = True) -> psycopg.Connection:
    return psycopg.connect(app_dsn(), application_name=APPLICATION, autocommit=autocommit, connect_timeout=5)


def hold(mode: str, count: int = 1) -> list[psycopg.Connection]:
    """Open the sessions for `mode` and leave them in its state; the returned connections must stay referenced."""
    if mode == "connections":
        return [_connect() for _ in range(count)]
    if mode == "idle-in-transaction":
        conn = _connect(autocommit=False)
        conn.execute("SELECT 1")  # opens the transaction, then the session goes idle inside it
        return [conn]
    if mode == "long-query":
        conn = _connect()
        threading.Thread(target=conn.execute, args=("SELECT pg_sleep(3600)",), daemon=True).start()
        return [conn]
    if mode == "lock-wait":
        blocker, waiter = _connect(autocommit=False), _connect()
        row = blocker.execute("SELECT id FROM items ORDER BY id LIMIT 1 FOR UPDATE").fetchone()
        update = "UPDATE items SET name = name WHERE id = %s"
        threading.Thread(target=waiter.execute, args=(update, row), daemon=True).start()
        return [blocker, waiter]
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    held = hold(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    print(f"holding {len(held)} session(s): {sys.argv[1]}", flush=True)
    while True:
        time.sleep(3600)
