"""Bad input gets a specific one-line verdict within the timeout: wrong password or database, a refused port,
and a server that accepts TCP but never answers. Never a hang, never a traceback."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from opsgate.core.verdict import CheckFailed
from opsgate.probes.http import HttpClient
from opsgate.probes.postgres import Database
from opsgate.probes.redis_server import RedisServer
from opsgate.probes.tls import covers, fetch_certificate
from stack.config import PORTS, SECRETS
from stack.core import Stack
from tests.gate import patched_target, run_gate

pytestmark = pytest.mark.stack
TIMEOUT_S = 2.0
SLACK_S = 2.0  # process scheduling on a loaded 2-core machine, not a performance budget


@contextmanager
def blackhole() -> Iterator[int]:
    """A port whose listener completes TCP handshakes (the kernel does) but never reads or answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed on exit: nothing listens there


def pg_dsn(
    password: str = SECRETS["OPSGATE_PG_MONITOR_PASSWORD"], port: int = PORTS["postgres"], db: str = "app"
) -> str:
    return f"postgresql://monitor:{password}@127.0.0.1:{port}/{db}"


def verdict_of(probe: Callable[[], object]) -> tuple[str, str, float]:
    began = time.monotonic()
    with pytest.raises(CheckFailed) as failure:
        probe()
    return failure.value.runbook, str(failure.value), time.monotonic() - began


@pytest.mark.parametrize(
    ("case", "dsn", "runbook", "says"),
    [
        ("wrong password", pg_dsn(password="not-the-password"), "db/auth-failed", "password authentication failed"),
        ("wrong database", pg_dsn(db="no_such_db"), "db/database-missing", 'database "no_such_db" does not exist'),
        ("refused port", pg_dsn(port=free_port()), "db/unreachable", "Connection refused"),
    ],
)
def test_postgres_bad_input(stack: Stack, case: str, dsn: str, runbook: str, says: str) -> None:
    cited, message, elapsed = verdict_of(Database(dsn, connect_timeout_s=TIMEOUT_S).roundtrip_ms)
    assert (cited, "\n" in message) == (runbook, False), message
    assert says in message and "not-the-password" not in message
    assert elapsed < TIMEOUT_S + SLACK_S


def test_postgres_that_never_answers_times_out() -> None:
    with blackhole() as port:
        cited, message, elapsed = verdict_of(Database(pg_dsn(port=port), connect_timeout_s=TIMEOUT_S).roundtrip_ms)
    assert cited == "db/unreachable" and "timeout" in message, message
    assert elapsed < TIMEOUT_S + SLACK_S


@pytest.mark.parametrize(
    ("case", "password", "port_kind", "says"),
    [
        ("wrong password", "not-the-password", "redis", "credentials"),
        ("refused port", SECRETS["OPSGATE_REDIS_PASSWORD"], "free", "refused"),
        ("never answers", SECRETS["OPSGATE_REDIS_PASSWORD"], "blackhole", "Timeout"),
    ],
)
def test_redis_bad_input(stack: Stack, case: str, password: str, port_kind: str, says: str) -> None:
    with blackhole() as silent:
        port = {"redis": PORTS["redis"], "free": free_port(), "blackhole": silent}[port_kind]
        server = RedisServer(f"redis://:{password}@127.0.0.1:{port}/0", timeout_s=TIMEOUT_S)
        cited, message, elapsed = verdict_of(server.ping_ms)
    assert cited == "redis/unreachable" and says.lower() in message.lower(), message
    assert elapsed < 2 * TIMEOUT_S + SLACK_S  # connect, then one read: each bounded by the timeout


def test_http_endpoint_that_never_answers_times_out() -> None:
    with blackhole() as port:
        answer = HttpClient(f"https://127.0.0.1:{port}", ca_bundle=None, timeout=TIMEOUT_S).call("GET", "/health")
    assert answer.failure == "timeout" and "within 2 s" in answer.detail, answer.detail


def test_db_suite_against_a_silent_server_finishes_with_one_verdict(stack: Stack, tmp_path: Path) -> None:
    """The whole suite, pointed at a server that never answers: every check fails fast with the same verdict."""
    with blackhole() as port:
        target = patched_target("blackhole", {"postgres": {"dsn": pg_dsn(port=port), "connect_timeout_s": TIMEOUT_S}})
        began = time.monotonic()
        run = run_gate("db", tmp_path, target=target)
        elapsed = time.monotonic() - began
    assert run.returncode == 1 and "Traceback" not in run.output
    failed = run.failed()
    assert failed and {v.runbook for v in failed.values()} == {"db/unreachable"}, failed
    assert elapsed < 30, f"one connect timeout for the whole suite, not one per check: {elapsed:.0f} s"


def test_tls_expected_but_plain_http_is_served(stack: Stack) -> None:
    cited, message, elapsed = verdict_of(lambda: fetch_certificate("127.0.0.1", PORTS["nginx_http"], "localhost", 2))
    assert cited == "tls/handshake-failed" and "plain HTTP" in message, message
    assert elapsed < TIMEOUT_S + SLACK_S


def test_tls_port_that_never_speaks_times_out() -> None:
    with blackhole() as port:
        cited, message, elapsed = verdict_of(lambda: fetch_certificate("127.0.0.1", port, "localhost", TIMEOUT_S))
    assert cited == "tls/handshake-failed" and f"no complete TLS handshake within {TIMEOUT_S:g} s" in message, message
    assert elapsed < TIMEOUT_S + SLACK_S


def test_server_name_nobody_serves_gets_the_default_certificate(stack: Stack) -> None:
    """nginx answers an unknown SNI name with its default server's certificate: the name check catches it."""
    cert = fetch_certificate("127.0.0.1", PORTS["nginx_https"], "nobody-serves-this.example", TIMEOUT_S)
    assert not covers(cert, "nobody-serves-this.example") and covers(cert, "localhost")
