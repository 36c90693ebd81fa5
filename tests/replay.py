"""An HTTP API replayed from recorded answers on 127.0.0.1, for the contract tests of checks whose server cannot
run here (Grafana, Kubernetes). A folder of recordings holds `healthy/` and one folder per variant, each a set of
JSON exchanges `{"request": "GET /path", "status": 200, "body": ...}`, and `unauthorized.json`."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.test_bad_input import free_port

Exchange = dict[str, Any]
# What the server answers: from the request's path and headers, the variant's exchanges and `unauthorized.json`.
Answer = Callable[[str, Message, dict[str, Exchange], Exchange], Exchange]


def read(path: Path) -> Exchange:
    return json.loads(path.read_text())


def exchanges(recordings: Path, variant: str) -> dict[str, Exchange]:
    """`healthy/`'s exchanges with the variant's replacing those it re-records, by request line."""
    recorded = {}
    for folder in dict.fromkeys(("healthy", variant)):
        paths = sorted((recordings / folder).glob("*.json"))
        if not paths:
            raise ValueError(f"no recordings in {recordings / folder}")
        recorded.update({exchange["request"]: exchange for exchange in map(read, paths)})
    return recorded


class _Replay(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, recorded: dict[str, Exchange], unauthorized: Exchange, answer: Answer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.recorded, self.unauthorized, self.answer = recorded, unauthorized, answer


class _Handler(BaseHTTPRequestHandler):
    server: _Replay

    def do_GET(self) -> None:
        exchange = self.server.answer(self.path, self.headers, self.server.recorded, self.server.unauthorized)
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
def replayed(recordings: Path, variant: str | None, answer: Answer) -> Iterator[str]:
    """Serve a variant of the recordings on 127.0.0.1 (an ephemeral port); yields the base URL. Variant None: the
    URL of a port where nothing listens (the API unreachable)."""
    if variant is None:
        yield f"http://127.0.0.1:{free_port()}"
        return
    server = _Replay(exchanges(recordings, variant), read(recordings / "unauthorized.json"), answer)
    thread = threading.Thread(target=server.serve_forever, name=f"{recordings.name}-{variant}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
