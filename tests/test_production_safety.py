"""Production safety for real: against a production target the gate sends no write (a request-logging server
sees only reads), a listed write endpoint is refused and says so, and the test user's password is never sent
over plain http:// to a host that is not this one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

from tests.gate import run_gate

WRITE_ENDPOINTS = [{"path": "/api/items", "method": method, "status": 200} for method in ("POST", "PUT", "DELETE")]


class RequestLog(BaseHTTPRequestHandler):
    """Answers every request with a JSON `{}` and writes down its method and path."""

    seen: ClassVar[list[tuple[str, str]]] = []

    def _answer(self) -> None:
        self.seen.append((self.command, self.path))
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _answer

    def log_message(self, *_args: object) -> None:  # quiet: the list is the log
        pass


@pytest.fixture
def request_log() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    RequestLog.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), RequestLog)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", RequestLog.seen
    server.shutdown()
    server.server_close()


def _target(tmp_path: Path, **fields: object) -> Path:
    path = tmp_path / "prod.yml"
    path.write_text(yaml.safe_dump({"name": "prod", "environment": "production", **fields}))
    return path


def test_production_target_receives_no_write(request_log: tuple[str, list[tuple[str, str]]], tmp_path: Path) -> None:
    base_url, seen = request_log
    app = {"base_url": base_url, "liveness": {"path": "/health"}, "endpoints": [{"path": "/api/items"},
                                                                                  *WRITE_ENDPOINTS]}
    run = run_gate("smoke", tmp_path, target=_target(tmp_path, app=app))
    writes = [(method, path) for method, path in seen if method not in ("GET", "HEAD", "OPTIONS")]
    assert writes == [], f"a production target received writes: {writes}"
    assert ("GET", "/api/items") in seen, "the read endpoint was checked"
    refused = {check: v.message for check, v in run.verdicts.items() if "refused" in v.message}
    assert set(refused) == {f"test_endpoints::test_endpoint_{kind}[{e['method']} /api/items]"
                            for e in WRITE_ENDPOINTS for kind in ("answers", "matches_the_apps_openapi")}, refused
    assert all(run.verdicts[check].outcome == "skipped" for check in refused), "a refused check is not a pass"


def test_allow_writes_lets_write_endpoints_run(request_log: tuple[str, list[tuple[str, str]]],
                                               tmp_path: Path) -> None:
    base_url, seen = request_log
    app = {"base_url": base_url, "liveness": {"path": "/health"}, "endpoints": WRITE_ENDPOINTS}
    run_gate("smoke", tmp_path, target=_target(tmp_path, allow_writes=True, app=app))
    assert {method for method, _ in seen} >= {"POST", "PUT", "DELETE"}


def test_password_is_never_sent_over_plain_http_to_another_host(tmp_path: Path) -> None:
    app = {
        "base_url": "http://opsgate-plain-http.invalid",
        "credentials": {"username": "smoke", "password": "never-sent-in-clear"},
        "login": {"path": "/token"},
    }
    run = run_gate("smoke", tmp_path, target=_target(tmp_path, app=app))
    verdict = run.verdicts["test_auth::test_login_call_and_refresh"]
    assert verdict.outcome == "skipped", verdict
    assert "refused: logging in would send the test user's password over plain http://" in verdict.message


SHORT_LOAD = {"profile": "load", "load": {"users": 2, "spawn_rate": 2, "duration_s": 2}, "think_time_s": [0, 0.1],
              "requests": [{"path": "/api/load"}]}


def test_production_target_receives_no_load(request_log: tuple[str, list[tuple[str, str]]], tmp_path: Path) -> None:
    base_url, seen = request_log
    run = run_gate("perf", tmp_path, target=_target(tmp_path, app={"base_url": base_url}, perf=SHORT_LOAD))
    assert ("GET", "/api/load") not in seen, "a production target received load"
    assert run.verdicts and all(v.outcome == "skipped" for v in run.verdicts.values()), run.output[-2000:]
    assert "refused" in run.verdicts["test_slo::test_the_generator_kept_up"].message


def test_allow_writes_lets_the_load_run(request_log: tuple[str, list[tuple[str, str]]], tmp_path: Path) -> None:
    base_url, seen = request_log
    run_gate("perf", tmp_path, target=_target(tmp_path, allow_writes=True, app={"base_url": base_url},
                                              perf=SHORT_LOAD))
    assert seen.count(("GET", "/api/load")) > 5, seen[:10]
