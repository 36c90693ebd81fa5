"""Real faults the reference stack can inject: stopped processes, rewritten configs, broken schema, latency.

A fault's `inject` breaks the running stack for real. Healing converges the fault's `services` (rewriting
their files, restarting or reloading them) and then runs the fault's own `undo` for state that is not a file
(a renamed table, a helper process).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis

from stack import process
from stack.config import CORS_ORIGINS, PORTS, ROOT
from stack.services import (
    APP_ENV,
    WWW,
    admin_connection,
    app_settings,
    env_file,
    nginx_files,
    probe_tcp,
    redis_url,
    write_changed,
)

if TYPE_CHECKING:
    from stack.core import Stack

SLOW_PROXY = "slow-proxy"
SLOW_PROXY_DELAY_S = 1.5
DEAD_API = "https://127.0.0.1:1/api/v1"  # nothing listens on port 1: the fetch is refused


@dataclass(frozen=True)
class Fault:
    name: str
    summary: str
    inject: Callable[[Stack], None]
    services: tuple[str, ...] = ()  # converged on heal
    undo: Callable[[Stack], None] = lambda _stack: None


def _stop(service: str) -> Callable[[Stack], None]:
    return lambda stack: stack.stop(service)


def _slow_app(stack: Stack) -> None:
    process.spawn(
        SLOW_PROXY,
        [sys.executable, "-m", "stack.slowproxy", str(PORTS["slow_proxy"]), str(PORTS["app"]), str(SLOW_PROXY_DELAY_S)],
        cwd=ROOT,
    )
    process.wait_ready(SLOW_PROXY, probe_tcp(PORTS["slow_proxy"]), deadline=10)
    write_changed(nginx_files(upstream_port=PORTS["slow_proxy"]))
    stack.reload("nginx")


ITEMS_TABLE, RENAMED_ITEMS_TABLE = "items", "items_renamed_by_fault"


def _rename_items(old: str, new: str) -> None:
    with admin_connection("app") as conn:
        if conn.execute("SELECT to_regclass(%s)", (old,)).fetchone() == (old,):
            conn.execute(f"ALTER TABLE {old} RENAME TO {new}")
    _flush_cache()  # the cached item list would hide the broken table from readers


def _flush_cache() -> None:
    redis.Redis.from_url(redis_url(), socket_timeout=2).flushdb()


def _stop_postgres(stack: Stack) -> None:
    stack.stop("postgres")
    _flush_cache()  # a cached item list would keep answering for up to 30 s and hide the outage from readers


def _break_app_schema(_stack: Stack) -> None:
    _rename_items(ITEMS_TABLE, RENAMED_ITEMS_TABLE)


def _repair_app_schema(_stack: Stack) -> None:
    _rename_items(RENAMED_ITEMS_TABLE, ITEMS_TABLE)


def _drop_cors_origin(stack: Stack) -> None:
    APP_ENV.write_text(env_file(app_settings(cors_origins=CORS_ORIGINS[1:])))
    stack.restart("app")


def _point_frontend_at_dead_api(_stack: Stack) -> None:
    (WWW / "config.js").write_text(f'window.OPSGATE_CONFIG = {{ apiBase: "{DEAD_API}" }};\n')


FAULTS: dict[str, Fault] = {
    fault.name: fault
    for fault in (
        Fault("app-down", "the app process is stopped", _stop("app"), ("app",)),
        Fault("redis-down", "Redis is stopped", _stop("redis"), ("redis",)),
        Fault("postgres-down", "PostgreSQL is stopped (and the read cache flushed)", _stop_postgres, ("postgres",)),
        Fault(
            "app-slow",
            f"a proxy adds {SLOW_PROXY_DELAY_S} s between nginx and the app",
            _slow_app,
            ("nginx",),
            lambda _stack: process.stop(SLOW_PROXY),
        ),
        Fault(
            "app-500",
            "the items table is renamed under the app (schema drift): GET /api/v1/items answers 500",
            _break_app_schema,
            undo=_repair_app_schema,
        ),
        Fault(
            "frontend-broken",
            "the frontend's app.js is missing (404)",
            lambda _stack: (WWW / "app.js").unlink(missing_ok=True),
            ("nginx",),
        ),
        Fault(
            "frontend-wrong-api",
            f"the frontend calls a dead API at {DEAD_API}",
            _point_frontend_at_dead_api,
            ("nginx",),
        ),
        Fault(
            "cors-origin-removed", f"the app no longer allows the origin {CORS_ORIGINS[0]}", _drop_cors_origin, ("app",)
        ),
    )
}
