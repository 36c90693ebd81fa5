"""Starting, finding and stopping the stack's server processes.

Each process runs in its own session (so a stop reaches its workers too) and is recorded in
`.stack/run/<name>.pid` as "<pid> <start time>": the start time guards against a recycled pid.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from stack.config import STATE

RUN_DIR = STATE / "run"
LOG_DIR = STATE / "logs"


class StackError(Exception):
    """A stack operation that could not be completed; str() is a one-line reason."""


class NotReady(Exception):
    """A readiness probe's one-line reason why a service is not serving yet."""


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the parenthesised command name; starttime is field 22 of the whole line.
    return stat.rsplit(")", 1)[1].split()[19]


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def pidfile(name: str) -> Path:
    return RUN_DIR / f"{name}.pid"


def log_path(name: str) -> Path:
    return LOG_DIR / f"{name}.log"


def running_pid(name: str) -> int | None:
    """The pid of our process `name` if it is alive (a zombie or a recycled pid counts as gone)."""
    try:
        pid_text, started = pidfile(name).read_text().split()
    except (OSError, ValueError):
        return None
    pid = int(pid_text)
    if _start_time(pid) != started or _state(pid) in ("Z", "X"):
        return None
    return pid


def is_frozen(pid: int) -> bool:
    return _state(pid) == "T"


def recorded_names() -> list[str]:
    return sorted(p.stem for p in RUN_DIR.glob("*.pid"))


def spawn(
    name: str, argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None, user: str | None = None
) -> int:
    """Start `argv` in the background with output appended to the service log; returns its pid."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with log_path(name).open("ab") as log:
        log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting {name}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            user=user,
            group=pwd.getpwnam(user).pw_gid if user else None,
            extra_groups=[] if user else None,
            start_new_session=True,
        )
    pidfile(name).write_text(f"{proc.pid} {_start_time(proc.pid)}\n")
    return proc.pid


def signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def stop(name: str, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Stop process `name` and its session: `sig`, then SIGKILL after `timeout` seconds."""
    pid = running_pid(name)
    if pid is not None:
        signal_group(pid, signal.SIGCONT)  # a frozen process cannot act on sig
        signal_group(pid, sig)
        deadline = time.monotonic() + timeout
        while running_pid(name) == pid and time.monotonic() < deadline:
            time.sleep(0.05)
        if running_pid(name) == pid:
            signal_group(pid, signal.SIGKILL)
            while running_pid(name) == pid:
                time.sleep(0.05)
        signal_group(pid, signal.SIGKILL)  # workers that outlived their master
        _reap(pid)
    pidfile(name).unlink(missing_ok=True)


def _reap(pid: int) -> None:
    """Collect the exit status when the stopped process is our own child (the Python API in a long run)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _last_log_line(name: str) -> str:
    try:
        lines = [line for line in log_path(name).read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1][:200] if lines else ""


def wait_ready(name: str, probe: Callable[[], None], deadline: float) -> None:
    """Poll `probe` until it passes; fail at once if process `name` died, or after `deadline` seconds."""
    end = time.monotonic() + deadline
    while True:
        try:
            probe()
            return
        except NotReady as exc:
            if running_pid(name) is None:
                raise StackError(
                    f"{name} exited while starting: {_last_log_line(name)} (log: {log_path(name)})"
                ) from None
            if time.monotonic() > end:
                raise StackError(f"{name} not ready after {deadline:.0f} s: {exc}") from None
        time.sleep(0.1)
