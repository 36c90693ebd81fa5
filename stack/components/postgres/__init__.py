"""PostgreSQL 15 with a streaming replica: the server (`server`), and the faults that break it, split by kind:
sessions held in a bad state (`sessions`, driven by the `holder` helper process) and everything else (`faults`)."""

from __future__ import annotations

from stack.components.postgres import faults, server, sessions
from stack.model import Component


def component() -> Component:
    return Component("postgres", services=server.SERVICES, faults=(*faults.FAULTS, *sessions.FAULTS))
