"""tests/hostile.py's servers behave as documented, against real clients; each check is bounded (seconds)."""

from __future__ import annotations

import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable

import psycopg
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.hostile import CANCEL_REQUEST, GSSENC_REQUEST, KINDS, Hostile


def _connect(server: Hostile, timeout: float = 2) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


def _in_thread(call: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """Run `call` on a daemon thread; its result or exception lands in the list."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_silent_reads_and_never_answers() -> None:
    with Hostile("silent") as server, _connect(server, timeout=1) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(TimeoutError):
            client.recv(1)


def test_trickle_http_sends_a_200_one_byte_a_second() -> None:
    with Hostile("trickle-http") as server, _connect(server, timeout=2.5) as client:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        began, received = time.monotonic(), b""
        while len(received) < 3:
            received += client.recv(3 - len(received))  # a 2.5 s per-read timeout never fires
        assert received == b"HTTP/1.1 200"[:3]
        assert time.monotonic() - began >= 1.5


def _tls_handshake(client: socket.socket) -> None:
    """A TLS client handshake over memory BIOs, so that every socket read has the socket's own timeout (an SSL
    socket's timeout bounds the whole handshake instead)."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname="localhost")
    while True:
        try:
            return tls.do_handshake()
        except ssl.SSLWantReadError:
            client.sendall(outgoing.read())
            data = client.recv(65536)
            if not data:
                raise ConnectionAbortedError("the server closed the connection") from None
            incoming.write(data)


def test_trickle_tls_handshake_neither_completes_nor_times_out() -> None:
    with Hostile("trickle-tls") as server:
        client = _connect(server, timeout=2)  # per read: a byte comes every second
        thread, outcome = _in_thread(lambda: _tls_handshake(client))
        thread.join(3)
        assert thread.is_alive(), f"the handshake ended: {outcome}"
    thread.join(2)  # stop() closed the connection: the handshake fails now
    assert not thread.is_alive() and isinstance(outcome[0], ConnectionAbortedError)
    client.close()


def test_garbage_is_no_protocol_and_ends_after_4_kb() -> None:
    with Hostile("garbage") as server, _connect(server, timeout=3) as client:
        first = client.recv(8)
        assert first and not first.startswith(b"HTTP/") and first[0] not in range(0x14, 0x18)
        assert first[:1] not in (b"N", b"S", b"R", b"E") and first[:1] not in (b"+", b"-", b":", b"$", b"*", b"_")
        client.sendall(b"PING\r\n")
        received = len(first)
        while chunk := client.recv(65536):  # the server closes the connection: no timeout
            received += len(chunk)
        assert 4096 <= received <= 8192


def test_pg_stall_connects_then_never_answers_a_query() -> None:
    with Hostile("pg-stall") as server:
        conn = psycopg.connect(host="127.0.0.1", port=server.port, user="x", dbname="x", connect_timeout=3)
        assert conn.info.parameter_status("server_version") == "15.5"
        thread, outcome = _in_thread(lambda: conn.execute("SELECT 1").fetchone())
        thread.join(2)
        assert thread.is_alive(), f"SELECT 1 was answered: {outcome}"
        with _connect(server) as client:  # a GSSENCRequest is refused with N, as an SSLRequest is
            client.sendall(struct.pack("!ii", 8, GSSENC_REQUEST))
            assert client.recv(1) == b"N"
        with _connect(server) as client:  # a CancelRequest is just closed
            client.sendall(struct.pack("!iiii", 16, CANCEL_REQUEST, 4242, 0x5EC2E7))
            assert client.recv(1) == b""
    thread.join(2)
    assert not thread.is_alive() and isinstance(outcome[0], psycopg.OperationalError)
    conn.close()


def test_redis_stall_answers_the_first_command_only() -> None:
    no_retry = Retry(NoBackoff(), 0)  # redis-py retries a timeout on a new connection, whose first command is answered
    with Hostile("redis-stall") as server:
        plain = redis.Redis(port=server.port, socket_timeout=1, retry=no_retry, protocol=2, driver_info=None)
        assert plain.ping() is True  # RESP2 and no CLIENT SETINFO: PING is the connection's first command
        with pytest.raises(redis.TimeoutError):
            plain.ping()
        plain.close()
        default = redis.Redis(port=server.port, socket_timeout=1, retry=no_retry)  # HELLO 3, then CLIENT SETINFO
        with pytest.raises(redis.TimeoutError):
            default.ping()
        default.close()


def test_dies_after_first_answers_once_then_never() -> None:
    with Hostile("dies-after-first") as server:
        with _connect(server) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert client.recv(12) == b"HTTP/1.1 200"
        with _connect(server, timeout=1) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            with pytest.raises(TimeoutError):
                client.recv(1)


def test_stop_ends_many_connections_within_a_second() -> None:
    server = Hostile("silent").start()
    clients = [_connect(server) for _ in range(50)]
    time.sleep(0.2)  # every connection accepted and served
    began = time.monotonic()
    server.stop()
    assert time.monotonic() - began < 1
    assert all(client.recv(1) == b"" for client in clients)  # EOF, not a timeout
    for client in clients:
        client.close()
    with pytest.raises(OSError):
        _connect(server)


def test_unknown_kind_is_refused() -> None:
    assert len(KINDS) == 7
    with pytest.raises(ValueError, match="unknown kind"):
        Hostile("teapot")
