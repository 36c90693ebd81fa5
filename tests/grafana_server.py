"""Grafana's HTTP API replayed from recorded answers (tests/grafana_api/), to contract-test the Grafana checks."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path

from tests.replay import Exchange, replayed

RECORDINGS = Path(__file__).parent / "grafana_api"
TOKEN = "glsa_OpsgateContractTestToken0000000_5f3c9a1e"  # shaped like a Grafana service-account token
USER, PASSWORD = "opsgate", "opsgate-contract-pw"
ACCEPTED = {f"Bearer {TOKEN}", "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
UNAUTHENTICATED = {"GET /api/health"}  # Grafana serves its health to anyone
NOT_FOUND = {"status": 404, "body": {"message": "Not found"}}  # Grafana's answer to an unknown API route


def _answer(path: str, headers: Message, recorded: dict[str, Exchange], unauthorized: Exchange) -> Exchange:
    request = f"GET {path}"
    if request not in UNAUTHENTICATED and headers.get("Authorization") not in ACCEPTED:
        return unauthorized
    return recorded.get(request, NOT_FOUND)


@contextmanager
def recorded_grafana(variant: str | None) -> Iterator[str]:
    """A variant of the recordings served on 127.0.0.1 (None: a port where nothing listens); yields the base URL."""
    with replayed(RECORDINGS, variant, _answer) as url:
        yield url
