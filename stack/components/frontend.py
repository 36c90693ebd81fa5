"""The static frontend (`stack/frontend/`), served by nginx from `.stack/www`, and the faults that break it."""

from __future__ import annotations

from pathlib import Path

from stack.config import FRONTEND_SOURCE, STATE
from stack.model import Component, Controller, Fault

WWW = STATE / "www"
DEAD_API = "https://127.0.0.1:1/api/v1"  # nothing listens on port 1: the fetch is refused


def files() -> dict[Path, str]:
    """The frontend's files as nginx serves them (part of nginx's files: converging nginx heals them)."""
    return {WWW / source.name: source.read_text() for source in sorted(FRONTEND_SOURCE.iterdir())}


def _point_at_dead_api(_stack: Controller) -> None:
    (WWW / "config.js").write_text(f'window.OPSGATE_CONFIG = {{ apiBase: "{DEAD_API}" }};\n')


def component() -> Component:
    faults = (
        Fault(
            "frontend-broken",
            "the frontend's app.js is missing (404)",
            lambda _stack: (WWW / "app.js").unlink(missing_ok=True),
            ("nginx",),
        ),
        Fault("frontend-wrong-api", f"the frontend calls a dead API at {DEAD_API}", _point_at_dead_api, ("nginx",)),
    )
    return Component("frontend", faults=faults)
