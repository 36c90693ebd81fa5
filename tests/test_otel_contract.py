"""The OpenTelemetry collector check, against the health_check extension's documented answers (the reference
stack runs no collector): 200 "Server available" passes; 503 "Server not available" and silence fail."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from stack.core import Stack
from tests.gate import patched_target, run_gate
from tests.test_bad_input import free_port

pytestmark = pytest.mark.stack
# As the collector's health_check extension answers GET / (docs: extension/healthcheckextension).
ANSWERS = {
    "available": (200, {"status": "Server available", "upSince": "2026-11-22T06:00:00Z", "uptime": "1h0m0s"}),
    "not-available": (503, {"status": "Server not available", "upSince": "0001-01-01T00:00:00Z", "uptime": ""}),
}


@contextmanager
def collector_health(variant: str) -> Iterator[str]:
    status, body = ANSWERS[variant]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


CHECK = "test_exporters::test_otel_collector_is_healthy"


def run_otel_check(url: str, tmp_path: Path) -> tuple[str, str | None]:
    target = patched_target("otel", {"prometheus": {"otel_health_url": url}})
    verdict = run_gate("monitoring", tmp_path, target=target, extra=("-k", "otel")).verdicts[CHECK]
    return verdict.outcome, verdict.runbook


def test_available_collector_passes(stack: Stack, tmp_path: Path) -> None:
    with collector_health("available") as url:
        assert run_otel_check(url, tmp_path) == ("passed", None)


def test_unavailable_collector_fails(stack: Stack, tmp_path: Path) -> None:
    with collector_health("not-available") as url:
        assert run_otel_check(url, tmp_path) == ("failed", "monitoring/otel-collector-down")


def test_silent_collector_fails(stack: Stack, tmp_path: Path) -> None:
    assert run_otel_check(f"http://127.0.0.1:{free_port()}/", tmp_path) == ("failed", "monitoring/otel-collector-down")
