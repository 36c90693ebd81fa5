"""The Stack: bring the reference stack up and down, report its state, inject and heal faults.

The orchestrator knows services and faults only through the shape it runs (`stack.shapes`); components know
it only as a `Controller`.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from stack import process
from stack.components.prometheus import every_target_scraped_twice
from stack.config import STATE
from stack.files import run_as_user, write_changed
from stack.model import Component, Fault, Service
from stack.process import StackError
from stack.shapes import DEFAULT, SHAPE_FILE, Shape, recorded_shape, shape_named

READY_DEADLINE = 30.0
FAULTS_FILE = STATE / "faults.json"


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    state: str  # "up" | "down"
    pid: int | None
    port: int
    url: str
    config: str | None
    data_dir: str | None
    log: str


def wait_ready(service: Service, deadline: float = READY_DEADLINE) -> None:
    process.wait_ready(service.name, service.ready, deadline)


class Stack:
    """The reference stack in `.stack/`, as `shape` (default: the shape it was last brought up as)."""

    def __init__(self, shape: str | None = None, progress: Callable[[str], None] | None = None) -> None:
        self.shape: Shape = shape_named(shape or recorded_shape() or DEFAULT.name)
        self.services = {service.name: service for service in self.shape.services}
        self.faults = {fault.name: fault for fault in self.shape.faults}
        self._progress = progress or (lambda _message: None)

    def _service(self, name: str) -> Service:
        if name not in self.services:
            known = ", ".join(self.services)
            raise StackError(f"unknown service {name!r} in shape {self.shape.name} (services: {known})")
        return self.services[name]

    # -- single services ---------------------------------------------------------------------------------------

    def start(self, name: str) -> None:
        """Start a stopped service with the files on disk as they are (see `converge` for the healthy ones)."""
        service = self._service(name)
        if service.prepare:
            service.prepare()
        user = run_as_user() if service.as_service_user else None
        process.spawn(name, service.command(), env=service.environment(), cwd=STATE.parent, user=user)
        wait_ready(service)
        if service.after_ready:
            service.after_ready()

    def stop(self, name: str) -> None:
        process.stop(name, self._service(name).stop_signal)

    def reload(self, name: str) -> None:
        """Apply the files on disk to the running service (restart where it cannot reload in place)."""
        service, pid = self._service(name), process.running_pid(name)
        if pid is None:
            raise StackError(f"{name} is not running; `python -m stack up` first")
        if service.reload:
            service.reload(pid)
            wait_ready(service)
        else:
            self.restart(name)

    def restart(self, name: str) -> None:
        self.stop(name)
        self.start(name)

    def converge(self, name: str) -> str:
        """Bring one service to its healthy configuration and running state; says what it had to do."""
        service = self._service(name)
        changed = write_changed(service.files())
        pid = process.running_pid(name)
        if pid is None:
            self.start(name)
            return "started"
        action = "running"
        if process.is_frozen(pid):
            process.signal_group(pid, signal.SIGCONT)
            action = "thawed"
        if changed:
            self.reload(name)
            if not service.reload:
                return "restarted"
            action = "reloaded"
        wait_ready(service)
        if service.after_ready:
            service.after_ready()
        return action

    # -- the whole stack ---------------------------------------------------------------------------------------

    def _components_to_bring_up(self) -> tuple[Component, ...]:
        """All of the shape's components; only its own when it extends the running shape (whose servers others may
        be using: none of them is touched); after stopping the running extension when going back to its base."""
        running = recorded_shape()
        if running in (None, self.shape.name) or not any(row.state == "up" for row in self.status()):
            return self.shape.components
        current = shape_named(running)
        if self.shape.base == current.name:
            return self.shape.extension_of(current)
        if current.base == self.shape.name:
            for service in reversed([s for c in current.extension_of(self.shape) for s in c.services]):
                process.stop(service.name, service.stop_signal)
            return self.shape.components
        raise StackError(f"the stack runs as shape {running}; `python -m stack down` first")

    def up(self) -> list[ServiceStatus]:
        """Start or repair every service in dependency order, in parallel; undo every fault still active (of the
        extension only, when the shape extends the running one)."""
        components = self._components_to_bring_up()
        STATE.mkdir(exist_ok=True)
        SHAPE_FILE.write_text(self.shape.name + "\n")
        faults = {fault.name for component in components for fault in component.faults}
        # A first, best-effort pass: some faults (a renamed table) would stop a service from starting, while
        # others need their service running to be undone; the pass after converging catches those.
        for name in self.active_faults():
            if name in faults:
                with contextlib.suppress(Exception):
                    self.faults[name].undo(self)
        services = [service for component in components for service in component.services]
        done = {service.name: threading.Event() for service in services}
        failures: dict[str, str] = {}

        def bring_up(service: Service) -> None:
            began = time.monotonic()
            try:
                for dependency in service.depends_on:
                    if dependency in done:  # else it is the running base's, up already
                        done[dependency].wait()
                    if dependency in failures:
                        raise StackError(f"needs {dependency}, which is not up")
                action = self.converge(service.name)
                self._progress(f"  {service.name:<18} {action:<10} {time.monotonic() - began:5.1f} s")
            except Exception as exc:  # report every service's failure, not just the first
                failures[service.name] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self._progress(f"  {service.name:<18} FAILED     {failures[service.name]}")
            finally:
                done[service.name].set()

        with ThreadPoolExecutor(max_workers=len(services)) as pool:
            list(pool.map(bring_up, services))
        if failures:
            raise StackError("; ".join(f"{name}: {reason}" for name, reason in failures.items()))
        for name in self.active_faults():
            if name in faults:
                self.faults[name].undo(self)
        self._record_faults(set(self.active_faults()) - faults)
        self.wait_until_monitored()
        return self.status()

    def down(self) -> None:
        """Stop every process we started: fault helpers, then services, dependents first."""
        for name in process.recorded_names():
            if name not in self.services:
                process.stop(name)
        for service in reversed(self.services.values()):
            self.stop(service.name)
        SHAPE_FILE.unlink(missing_ok=True)

    def status(self) -> list[ServiceStatus]:
        return [_status(service) for service in self.services.values()]

    def logs(self, name: str, lines: int = 100) -> str:
        self._service(name)
        try:
            text = process.log_path(name).read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # -- faults ------------------------------------------------------------------------------------------------

    def active_faults(self) -> list[str]:
        try:
            return [name for name in json.loads(FAULTS_FILE.read_text()) if name in self.faults]
        except (OSError, ValueError):
            return []

    def _record_faults(self, names: Iterable[str]) -> None:
        FAULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
        FAULTS_FILE.write_text(json.dumps(sorted(set(names))))

    def inject(self, name: str) -> None:
        fault = self._fault(name)
        self._record_faults([*self.active_faults(), name])
        fault.inject(self)

    def heal(self, name: str) -> None:
        fault = self._fault(name)
        for service in fault.services:
            self.converge(service)
        fault.undo(self)
        self._record_faults(set(self.active_faults()) - {name})
        self.wait_until_monitored()

    def heal_all(self) -> list[str]:
        """Heal every active fault; the names healed."""
        active = self.active_faults()
        for name in active:
            self.heal(name)
        return active

    def wait_until_monitored(self) -> None:
        """Healthy includes seen healthy: wait until Prometheus scraped every target up (when it runs)."""
        if "prometheus" in self.services and process.running_pid("prometheus"):
            process.wait_ready("prometheus", every_target_scraped_twice, READY_DEADLINE)

    def _fault(self, name: str) -> Fault:
        if name not in self.faults:
            raise StackError(f"unknown fault {name!r} in shape {self.shape.name}; `python -m stack faults` lists them")
        return self.faults[name]


def _status(service: Service) -> ServiceStatus:
    pid = process.running_pid(service.name)
    up = pid is not None and not process.is_frozen(pid)
    return ServiceStatus(
        name=service.name,
        state="up" if up else "down",
        pid=pid,
        port=service.port,
        url=service.url,
        config=str(service.config) if service.config else None,
        data_dir=str(service.data_dir) if service.data_dir else None,
        log=str(process.log_path(service.name)),
    )
