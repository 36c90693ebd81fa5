"""What a component contributes to the stack: services (how a server is configured, started, probed and
reloaded) and faults (how it is broken for real and healed), typed against the `Controller` the orchestrator
implements, so components never import the orchestrator."""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from stack.files import read_env_file


class Controller(Protocol):
    """What a fault may ask of the running stack."""

    def start(self, name: str) -> None: ...
    def stop(self, name: str) -> None: ...
    def reload(self, name: str) -> None: ...
    def restart(self, name: str) -> None: ...
    def wait_until_monitored(self) -> None: ...


@dataclass
class Service:
    name: str
    port: int
    url: str
    command: Callable[[], list[str]]
    ready: Callable[[], None]
    files: Callable[[], dict[Path, str]] = dict
    reload: Callable[[int], None] | None = None  # applies changed files in place; None means restart
    stop_signal: int = signal.SIGTERM
    depends_on: tuple[str, ...] = ()
    as_service_user: bool = False
    env_path: Path | None = None
    prepare: Callable[[], None] | None = None
    after_ready: Callable[[], None] | None = None
    data_dir: Path | None = None
    config: Path | None = None

    def environment(self) -> dict[str, str]:
        return read_env_file(self.env_path) if self.env_path and self.env_path.exists() else {}


@dataclass(frozen=True)
class Fault:
    """A real fault: `inject` breaks the running stack; heal converges `services` (rewriting their files,
    reloading or restarting them), then runs `undo` for state that is not a file (a renamed table, a helper)."""

    name: str
    summary: str
    inject: Callable[[Controller], None]
    services: tuple[str, ...] = ()
    undo: Callable[[Controller], None] = lambda _stack: None


@dataclass(frozen=True)
class Component:
    name: str
    services: tuple[Service, ...] = ()
    faults: tuple[Fault, ...] = ()


def stop(service: str) -> Callable[[Controller], None]:
    """The simplest fault: the service is stopped."""
    return lambda stack: stack.stop(service)
