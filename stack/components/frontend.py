"""The static frontend (`stack/frontend/`), served by nginx from `.stack/www`, and the faults that break it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from stack.config import FRONTEND_SOURCE, STATE
from stack.model import Component, Controller, Fault

WWW = STATE / "www"
DEAD_API = "https://127.0.0.1:1/api/v1"  # nothing listens on port 1: the fetch is refused


@dataclass(frozen=True)
class FrontendSettings:
    api_base: str = "/api/v1"
    status_path: str | None = "/health"  # the API's status report under api_base; None: the page shows none


def _config_js(settings: FrontendSettings, api_base: str | None = None) -> str:
    config = {"apiBase": api_base or settings.api_base, "statusPath": settings.status_path}
    return f"window.OPSGATE_CONFIG = {json.dumps(config)};\n"


def files(settings: FrontendSettings) -> dict[Path, str]:
    """The frontend's files as nginx serves them (part of nginx's files: converging nginx heals them)."""
    sources = {WWW / source.name: source.read_text() for source in sorted(FRONTEND_SOURCE.iterdir())}
    return {**sources, WWW / "config.js": _config_js(settings)}


def _point_at_dead_api(settings: FrontendSettings) -> Callable[[Controller], None]:
    return lambda _stack: (WWW / "config.js").write_text(_config_js(settings, DEAD_API))


def component(settings: FrontendSettings = FrontendSettings()) -> Component:
    faults = (
        Fault(
            "frontend-broken",
            "the frontend's app.js is missing (404)",
            lambda _stack: (WWW / "app.js").unlink(missing_ok=True),
            ("nginx",),
        ),
        Fault(
            "frontend-wrong-api",
            f"the frontend calls a dead API at {DEAD_API}",
            _point_at_dead_api(settings),
            ("nginx",),
        ),
    )
    return Component("frontend", faults=faults)
