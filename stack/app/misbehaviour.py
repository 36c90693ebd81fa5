"""What the stack's load-test faults switch on through settings, off (0) in a healthy app: every Nth API request
answering 500 (`app-errors`), memory kept for good per API request (`app-memory-leak`, `debian-memory-leak`), and
every update of an item answering 404 (`debian-writes-fail`). Health, metrics and the login are spared, so the app
still looks up to everything but the load test."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from stack.app.settings import Settings

AFFECTED_PREFIX = "/api/v1/items"
_requests = itertools.count(1)
_kept: list[bytes] = []  # the leak: never cleared while the process lives

Middleware = Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]


def misbehaviour(settings: Settings) -> Middleware:
    async def misbehave(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if request.url.path.startswith(AFFECTED_PREFIX):
            if settings.leak_kb:
                _kept.append(b"\x01" * (settings.leak_kb * 1024))  # written, so resident
            if settings.error_every and next(_requests) % settings.error_every == 0:
                return JSONResponse({"detail": "injected failure"}, status_code=500)
            if settings.updates_not_found and request.method == "PUT":
                return JSONResponse({"detail": "Item not found"}, status_code=404)
        return await call_next(request)

    return misbehave
