"""Readiness probes and reloads shared by the components: return quietly when serving, raise NotReady otherwise."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable

import requests

from stack.config import HOST, PORTS
from stack.process import NotReady

PROBE_TIMEOUT = 1.0


def http_url(port_key: str, path: str = "") -> str:
    return f"http://{HOST}:{PORTS[port_key]}{path}"


def probe_http(url: str, expect: int | None = 200) -> Callable[[], None]:
    """Ready when `url` answers `expect` (any status when None)."""

    def probe() -> None:
        try:
            status = requests.get(url, timeout=PROBE_TIMEOUT, allow_redirects=False).status_code
        except requests.RequestException as exc:
            raise NotReady(f"{url}: {type(exc).__name__}") from None
        if expect is not None and status != expect:
            raise NotReady(f"{url}: HTTP {status}")

    return probe


def probe_tcp(port: int) -> Callable[[], None]:
    def probe() -> None:
        try:
            socket.create_connection((HOST, port), timeout=PROBE_TIMEOUT).close()
        except OSError as exc:
            raise NotReady(f"{HOST}:{port}: {exc.strerror or exc}") from None

    return probe


def require(condition: object, why: str) -> None:
    """A probe step: NotReady(`why`) unless `condition` holds."""
    if not condition:
        raise NotReady(why)


def reload_by_signal(pid: int) -> None:
    os.kill(pid, signal.SIGHUP)


def reload_over_http(port_key: str) -> Callable[[int], None]:
    """Prometheus and Alertmanager reload synchronously on POST /-/reload and answer an error if it failed."""

    def reload(_pid: int) -> None:
        response = requests.post(http_url(port_key, "/-/reload"), timeout=10)
        if response.status_code != 200:
            raise RuntimeError(f"{port_key} rejected its new configuration: {response.text.strip()[:200]}")

    return reload
