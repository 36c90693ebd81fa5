"""Hostile TCP servers on 127.0.0.1, to prove that opsgate's gate always ends against bad targets.

Each kind misbehaves in a way a per-read timeout alone does not catch (silence; one byte a second; a handshake that
completes, then no answer ever) or that a parser must refuse (garbage). One daemon thread per connection; no
connection lives longer than LIFETIME_S, and stop() ends them all within a second.

    python -m tests.hostile KIND [PORT]    # one server until Ctrl-C or SIGTERM
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import BinaryIO

KINDS = ("silent", "trickle-http", "trickle-tls", "garbage", "pg-stall", "redis-stall", "dies-after-first")
LIFETIME_S = 600.0  # whatever the client does, a connection ends after this
TRICKLE_S = 1.0  # a trickle's pause between two bytes
GARBAGE_CHUNK, GARBAGE_TOTAL, GARBAGE_QUIET_S = 512, 4096, 0.2

# A 200 whose Content-Length promises far more than a trickle can send in LIFETIME_S.
HTTP_200 = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n"
            + b'{"items": [' + b"0, " * 200)
# The one answer of a server that then dies (the gate's sweep gets it; the checks after it get silence).
HTTP_OK_ONCE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"
# A 16 KB TLS 1.2 handshake record (0x16 0x0303) opening with a ServerHello (0x02): the client waits for all of it.
TLS_SERVER_HELLO = (b"\x16\x03\x03\x3f\xf0" + b"\x02\x00\x3f\xec" + b"\x03\x03" + os.urandom(32)
                    + b"\x20" + os.urandom(32) + b"\x13\x01\x00" + bytes(600))

SSL_REQUEST, GSSENC_REQUEST, CANCEL_REQUEST, PROTOCOL_MAJOR_3 = 80877103, 80877104, 80877102, 3
PG_PARAMETERS = {"server_version": "15.5", "server_encoding": "UTF8", "client_encoding": "UTF8",
                 "DateStyle": "ISO, MDY", "integer_datetimes": "on", "standard_conforming_strings": "on",
                 "TimeZone": "UTC"}


def _pg(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


# AuthenticationOk, the parameters psycopg reads, BackendKeyData, ReadyForQuery(idle): the client is connected.
PG_READY = (_pg(b"R", struct.pack("!i", 0))
            + b"".join(_pg(b"S", f"{name}\0{value}\0".encode()) for name, value in PG_PARAMETERS.items())
            + _pg(b"K", struct.pack("!ii", 4242, 0x5EC2E7)) + _pg(b"Z", b"I"))

# HELLO gets the RESP3 map a RESP3 client checks (`proto`), else redis-py fails on "+OK" rather than stalling.
REDIS_REPLIES = {b"PING": b"+PONG\r\n", b"HELLO": b"%1\r\n$5\r\nproto\r\n:3\r\n"}


class Hostile:
    """One hostile server of `kind` (see KINDS); a context manager, or start()/stop(). `port` is bound on start."""

    def __init__(self, kind: str, port: int = 0) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
        self.kind, self.port = kind, port
        serves: dict[str, Callable[[socket.socket, float], None]] = {
            "silent": self._drain, "trickle-http": partial(self._trickle, payload=HTTP_200),
            "trickle-tls": partial(self._trickle, payload=TLS_SERVER_HELLO), "garbage": self._garbage,
            "pg-stall": self._pg_stall, "redis-stall": self._redis_stall, "dies-after-first": self._dies_after_first}
        self._serve = serves[kind]
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._answered_once = False

    def __enter__(self) -> Hostile:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> Hostile:
        self._listener = socket.create_server(("127.0.0.1", self.port), backlog=512)
        self._listener.settimeout(0.1)  # the accept loop notices stop() within this
        self.port = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept, args=(self._listener,), daemon=True,
                                          name=f"hostile-{self.kind}-{self.port}")
        self._acceptor.start()
        return self

    def stop(self) -> None:
        """Close the listener, then every connection (the peer sees EOF); waits at most ~1 s for the threads."""
        self._stopping.set()
        end = time.monotonic() + 1
        if self._acceptor:
            self._acceptor.join(0.5)  # after it, no connection is added
        if self._listener:
            self._listener.close()
        with self._lock:
            connections = dict(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv; its thread closes the socket
        for thread in connections.values():
            thread.join(max(0.0, end - time.monotonic()))

    def _accept(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._handle, args=(connection,), daemon=True,
                                      name=f"hostile-{self.kind}-{self.port}-connection")
            with self._lock:
                self._connections[connection] = thread
            thread.start()

    def _handle(self, connection: socket.socket) -> None:
        try:
            with connection:
                self._serve(connection, time.monotonic() + LIFETIME_S)
        except (OSError, ValueError):  # the client left (reset, broken pipe), its lifetime ran out, or bad framing
            pass
        finally:
            with self._lock:
                self._connections.pop(connection, None)

    @staticmethod
    def _timeout(connection: socket.socket, end: float, cap: float = LIFETIME_S) -> None:
        """The next read's timeout: what is left of the connection's lifetime, at most `cap`."""
        left = end - time.monotonic()
        if left <= 0:
            raise TimeoutError("connection lifetime over")
        connection.settimeout(min(left, cap))

    def _recv(self, connection: socket.socket, end: float, cap: float = LIFETIME_S) -> bytes:
        self._timeout(connection, end, cap)
        return connection.recv(65536)

    def _read(self, connection: socket.socket, reader: BinaryIO, end: float, size: int = 0) -> bytes:
        """`size` bytes, or a line when 0: from a buffered reader, bounded by the connection's lifetime."""
        self._timeout(connection, end)
        data = reader.read(size) if size else reader.readline(65536)
        if len(data) < size or (not size and not data.endswith(b"\n")):
            raise ConnectionAbortedError("the client closed mid-message")
        return data

    def _drain(self, connection: socket.socket, end: float) -> None:
        """Read and discard until the client leaves: never a byte back (silent, and a stall once connected)."""
        while self._recv(connection, end):
            pass

    def _dies_after_first(self, connection: socket.socket, end: float) -> None:
        """The first request gets a 200; every connection after it, silence (a server that died after the sweep)."""
        with self._lock:
            first, self._answered_once = not self._answered_once, True
        if first and self._recv(connection, end):
            connection.sendall(HTTP_OK_ONCE)
            return
        self._drain(connection, end)

    def _trickle(self, connection: socket.socket, end: float, payload: bytes) -> None:
        """After the client's first bytes, `payload` one byte a second: each read gets a byte before it times out."""
        if not self._recv(connection, end):  # whatever the client says first (a request, a ClientHello)
            return
        for byte in payload:
            connection.sendall(bytes([byte]))
            if self._stopping.wait(TRICKLE_S) or time.monotonic() > end:
                return

    def _garbage(self, connection: socket.socket, end: float) -> None:
        """A chunk on connect, after every read and after every GARBAGE_QUIET_S of quiet; closed after ~4 KB."""
        for _ in range(GARBAGE_TOTAL // GARBAGE_CHUNK):
            # \x00: the first byte of no protocol; a line ending, as a server speaking another protocol sends
            connection.sendall(b"\x00" + os.urandom(GARBAGE_CHUNK - 3) + b"\r\n")
            try:
                if not self._recv(connection, end, GARBAGE_QUIET_S):
                    return
            except TimeoutError:
                pass

    def _pg_stall(self, connection: socket.socket, end: float) -> None:
        """Enough of the v3 protocol that psycopg connects; then every query waits forever."""
        with connection.makefile("rb") as reader:
            while True:
                length, code = struct.unpack("!ii", self._read(connection, reader, end, 8))
                if not 8 <= length <= 10_000:
                    return
                if length > 8:
                    self._read(connection, reader, end, length - 8)  # the startup parameters: not needed
                if code in (SSL_REQUEST, GSSENC_REQUEST):
                    connection.sendall(b"N")  # no encryption: go on in plain text
                elif code >> 16 == PROTOCOL_MAJOR_3:
                    break
                else:  # CANCEL_REQUEST, or a protocol we do not speak: closed
                    return
            connection.sendall(PG_READY)
            self._drain(connection, end)

    def _redis_stall(self, connection: socket.socket, end: float) -> None:
        """The first command (AUTH, HELLO, PING, CLIENT SETINFO...) is answered, nothing after it."""
        with connection.makefile("rb") as reader:
            line = self._read(connection, reader, end)
            if line.startswith(b"*"):  # an array of bulk strings; else an inline command
                args = []
                for _ in range(int(line[1:])):
                    size = int(self._read(connection, reader, end)[1:])
                    args.append(self._read(connection, reader, end, size + 2)[:-2])
            else:
                args = line.split()
            command = args[0].upper() if args else b""
            connection.sendall(REDIS_REPLIES.get(command, b"+OK\r\n"))
            self._drain(connection, end)


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2 or argv[0] not in KINDS:
        print(f"usage: python -m tests.hostile {{{'|'.join(KINDS)}}} [PORT]", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM ends it as Ctrl-C does
    with Hostile(argv[0], int(argv[1]) if len(argv) == 2 else 0) as server, contextlib.suppress(KeyboardInterrupt):
        print(f"{server.kind} listening on 127.0.0.1:{server.port}", flush=True)
        while True:
            time.sleep(3600)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
