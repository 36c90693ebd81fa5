"""Grafana's HTTP API replayed from recorded answers (tests/grafana_api/), to contract-test the Grafana checks."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RECORDINGS = Path(__file__).parent / "grafana_api"
TOKEN = "glsa_OpsgateContractTestToken0000000_5f3c9a1e"  # shaped like a Grafana service-account token
USER, PASSWORD = "opsgate", "opsgate-contract-pw"
ACCEPTED = {f"Bearer {TOKEN}", "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
UNAUTHENTICATED = {"GET /api/health"}  # Grafana serves its health to anyone
NOT_FOUND = {"status": 404, "body": {"message": "Not found"}}  # Grafana's answer to an unknown API route


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def exchanges(variant: str) -> dict[str, dict[str, Any]]:
    """`healthy/`'s exchanges with the variant's replacing those it re-records, by request line."""
    recorded = {}
    for folder in dict.fromkeys(("healthy", variant)):
        paths = sorted((RECORDINGS / folder).glob("*.json"))
        if not paths:
            raise ValueError(f"no recordings in {RECORDINGS / folder}")
        recorded.update({exchange["request"]: exchange for exchange in map(_read, paths)})
    return recorded


class _Replay(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, recorded: dict[str, dict[str, Any]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.recorded = recorded
        self.unauthorized = _read(RECORDINGS / "unauthorized.json")


class _Handler(BaseHTTPRequestHandler):
    server: _Replay

    def do_GET(self) -> None:
        request = f"GET {self.path}"
        exchange = self.server.recorded.get(request, NOT_FOUND)
        if request not in UNAUTHENTICATED and self.headers.get("Authorization") not in ACCEPTED:
            exchange = self.server.unauthorized
        body = b"" if exchange["body"] is None else json.dumps(exchange["body"]).encode()
        self.send_response(exchange["status"])
        if body:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the gate's output is what the tests read; a request log would only bury it


@contextmanager
def recorded_grafana(variant: str) -> Iterator[str]:
    """Serve a variant of the recordings on 127.0.0.1 (an ephemeral port); yields the base URL."""
    server = _Replay(exchanges(variant))
    thread = threading.Thread(target=server.serve_forever, name=f"grafana-{variant}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
