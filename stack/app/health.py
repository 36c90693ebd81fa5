"""Liveness (process up) and readiness (database, Redis and schema revision) endpoints."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from time import perf_counter
from typing import Literal, TypeVar

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from stack.app.db import current_revision
from stack.app.settings import Settings, describe_error

router = APIRouter(tags=["health"])

T = TypeVar("T")

# The pool waits at most 3 s and Redis at most ~2 s; this only trips when a server hangs mid-query.
PROBE_TIMEOUT_SECONDS = 4.0


class Check(BaseModel):
    ok: bool
    latency_ms: float
    error: str | None


class MigrationCheck(BaseModel):
    ok: bool
    current: str | None
    head: str
    error: str | None


class Checks(BaseModel):
    database: Check
    redis: Check
    migrations: MigrationCheck


class Readiness(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    checks: Checks


@router.get("/health")
async def liveness() -> dict[str, str]:
    # Async and dependency-free so it answers even when the worker thread pool is saturated.
    return {"status": "ok"}


async def _probe(settings: Settings, fn: Callable[[], T]) -> tuple[T | None, str | None, float]:
    """Run a blocking probe in a thread; return (result, error, latency in ms)."""
    start = perf_counter()
    try:
        result, error = await asyncio.wait_for(asyncio.to_thread(fn), PROBE_TIMEOUT_SECONDS), None
    except Exception as exc:
        result, error = None, describe_error(exc, settings.secrets)
    return result, error, round((perf_counter() - start) * 1000, 2)


@router.get("/api/v1/health", response_model=Readiness, responses={503: {"model": Readiness}})
async def readiness(request: Request) -> JSONResponse:
    state = request.app.state
    settings: Settings = state.settings
    head: str = state.head

    def ping_database() -> None:
        with state.pool.connection() as conn:
            conn.execute("SELECT 1")

    def read_revision() -> str | None:
        with state.pool.connection() as conn:
            return current_revision(conn)

    (_, db_error, db_ms), (_, redis_error, redis_ms), (current, rev_error, _) = await asyncio.gather(
        _probe(settings, ping_database), _probe(settings, state.cache.ping), _probe(settings, read_revision)
    )
    if rev_error is None and current != head:
        rev_error = f"database at revision {current or 'none'}, scripts at {head}"
    checks = Checks(
        database=Check(ok=db_error is None, latency_ms=db_ms, error=db_error),
        redis=Check(ok=redis_error is None, latency_ms=redis_ms, error=redis_error),
        migrations=MigrationCheck(ok=rev_error is None, current=current, head=head, error=rev_error),
    )
    healthy = db_error is None and redis_error is None and rev_error is None
    body = Readiness(status="ok" if healthy else "degraded", version=settings.version, checks=checks)
    return JSONResponse(
        body.model_dump(), status_code=status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE
    )
