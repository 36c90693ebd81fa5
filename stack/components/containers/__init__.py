"""A real Docker Engine of the stack's own (`dockerd --bridge=none --iptables=false`, socket in .stack/docker)
running a small Compose project, brought up with Debian's docker-compose, and the faults that break it.

The project (stack/templates/rig-compose.yml): `web` (BusyBox httpd), `worker` (a loop), `proxy` (the host's nginx,
for `docker://` host specs) and the one-shot `migrate`. A fault renders the file with one service changed, or acts
on a container; healing renders it healthy and runs `docker-compose up -d` (the engine's reload), then `undo`
recreates a container whose state is not in the file (its logs, a process it ran out of memory with).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import docker
import docker.errors
from docker.models.containers import Container

from stack.components.containers.images import CURRENT, PREVIOUS, REPOSITORY, ensure_images
from stack.config import PORTS, STATE
from stack.files import render
from stack.model import Component, Controller, Fault, Service
from stack.process import NotReady, StackError

ENGINE_DIR = STATE / "docker"
SOCKET = ENGINE_DIR / "docker.sock"
DOCKER_HOST = f"unix://{SOCKET}"
PROJECT = "opsgate-rig"
RIG_DIR = STATE / "rig"
COMPOSE_FILE = RIG_DIR / "compose.yml"
WWW = RIG_DIR / "www"
INDEX = WWW / "index.html"
PROXY_CONF = RIG_DIR / "proxy"
COMPOSE_TIMEOUT_S = 60
HEALTHY_DEADLINE_S = 60
SERVICES = ("web", "worker", "proxy")  # long-running, each with a health check
WORKER = "touch /tmp/ready; while true; do echo 'worker: batch done'; sleep 2; done"
MIGRATE = "echo 'migrations: 3 applied, schema at 0003'"


def client(timeout: float = 10) -> docker.DockerClient:
    return docker.DockerClient(base_url=DOCKER_HOST, timeout=timeout)


def compose_file(*, web_tag: str = CURRENT, worker: str = WORKER, migrate: str = MIGRATE) -> str:
    return render("rig-compose.yml", web_tag=web_tag, web_port=PORTS["rig_web"], www=WWW, proxy_conf=PROXY_CONF,
                  proxy_port=PORTS["rig_proxy"], worker_script=json.dumps(worker), migrate_script=json.dumps(migrate))


def _files() -> dict[Path, str]:
    return {
        COMPOSE_FILE: compose_file(),
        INDEX: "<!doctype html><title>opsgate rig</title><p>ok</p>\n",
        PROXY_CONF / "nginx.conf": render("rig-nginx.conf", proxy_port=PORTS["rig_proxy"], web_port=PORTS["rig_web"]),
    }


def compose(*args: str) -> None:
    """`docker-compose -p opsgate-rig -f .stack/rig/compose.yml ARGS` against the stack's engine."""
    argv = ["docker-compose", "--no-ansi", "-p", PROJECT, "-f", str(COMPOSE_FILE), *args]
    try:
        subprocess.run(argv, env={**os.environ, "DOCKER_HOST": DOCKER_HOST}, capture_output=True, text=True,
                       timeout=COMPOSE_TIMEOUT_S, check=True)
    except subprocess.CalledProcessError as exc:
        raise StackError(f"docker-compose {' '.join(args)}: {(exc.stderr or exc.stdout).strip()[-300:]}") from None
    except subprocess.TimeoutExpired:
        raise StackError(f"docker-compose {' '.join(args)}: no answer in {COMPOSE_TIMEOUT_S} s") from None


def by_service() -> dict[str, Container]:
    """The project's containers now, by Compose service."""
    found = client().containers.list(all=True, filters={"label": f"com.docker.compose.project={PROJECT}"})
    return {container.labels["com.docker.compose.service"]: container for container in found}


def container(service: str) -> Container:
    return by_service()[service]


def _not_settled() -> list[str]:
    """What keeps the project from being healthy: a service not running healthy, or migrate not exited 0."""
    containers, waiting = by_service(), []
    for service in SERVICES:
        if service not in containers:
            waiting.append(f"{service} missing")
        elif (health := containers[service].attrs["State"].get("Health", {}).get("Status")) != "healthy":
            waiting.append(f"{service} {health or containers[service].status}")
    migrate = containers.get("migrate")
    if not migrate or migrate.attrs["State"]["Status"] != "exited" or migrate.attrs["State"]["ExitCode"] != 0:
        waiting.append("migrate not exited 0")
    return waiting


def wait_until(what: str, done: Callable[[], bool], deadline_s: float = HEALTHY_DEADLINE_S) -> None:
    end = time.monotonic() + deadline_s
    while not done():
        if time.monotonic() > end:
            raise StackError(f"{PROJECT}: {what} not reached in {deadline_s:.0f} s")
        time.sleep(0.2)


def bring_up_project() -> None:
    """Images, then `docker-compose up -d`, then wait until every service is healthy and migrate exited 0."""
    ensure_images(client())
    compose("up", "-d", "--remove-orphans")
    end = time.monotonic() + HEALTHY_DEADLINE_S
    while waiting := _not_settled():
        if time.monotonic() > end:
            raise StackError(f"{PROJECT} not healthy after {HEALTHY_DEADLINE_S} s: {', '.join(waiting)}")
        time.sleep(0.2)


def probe_engine() -> None:
    try:
        client(timeout=2).ping()
    except docker.errors.DockerException as exc:
        raise NotReady(f"{DOCKER_HOST}: {type(exc).__name__}") from None


def dockerd_command() -> list[str]:
    return [
        "dockerd", "--bridge=none", "--iptables=false", "--ip6tables=false", "--shutdown-timeout=3",
        f"--data-root={ENGINE_DIR / 'root'}", f"--exec-root={ENGINE_DIR / 'exec'}", f"--host={DOCKER_HOST}",
        f"--pidfile={ENGINE_DIR / 'dockerd.pid'}",
    ]


# -- faults ------------------------------------------------------------------------------------------------------


def _rendered(**changes: str) -> Callable[[Controller], None]:
    """Roll one service out as the changed file says (`docker-compose up -d` recreates it)."""

    def inject(_stack: Controller) -> None:
        COMPOSE_FILE.write_text(compose_file(**changes))
        compose("up", "-d")

    return inject


def _in_worker(script: str) -> None:
    result = container("worker").exec_run(["sh", "-c", script])
    if result.exit_code not in (0, 137):  # 137: the kernel's OOM killer ended it, as the fault intends
        raise StackError(f"worker: `{script}` exited {result.exit_code}: {result.output.decode()[-200:]}")


def oom_events(service: str, since_s: float = 600) -> int:
    """The engine's `oom` events of the service's container in the last `since_s` seconds."""
    now, worker = time.time(), container(service).id
    return sum(1 for _event in client().events(since=now - since_s, until=now, decode=True,
                                                filters={"event": "oom", "container": worker}))


def _oom(_stack: Controller) -> None:
    """A process in the worker allocates past the 64 MB limit and the kernel kills it. The container goes on (its
    main process was not the one killed), so Docker's OOMKilled stays false: only the engine's `oom` event tells."""
    _in_worker("x=$(head -c 100m /dev/zero | tr '\\0' a)")
    wait_until("the worker's oom event", lambda: oom_events("worker", since_s=60) > 0)


def _crash_loop(stack: Controller) -> None:
    _rendered(worker="echo 'worker: queue at 127.0.0.1:5672 refused the connection, exiting'; exit 1")(stack)
    wait_until("4 restarts", lambda: container("worker").attrs["RestartCount"] >= 4)


def _unhealthy(_stack: Controller) -> None:
    INDEX.unlink()  # httpd answers 404: the health check fails
    wait_until("web unhealthy", lambda: container("web").attrs["State"]["Health"]["Status"] == "unhealthy")


def _recreate(service: str) -> Callable[[Controller], None]:
    """A new container for `service`: what the old one did (its logs, its OOM kill) is gone with it."""

    def undo(_stack: Controller) -> None:
        compose("up", "-d", "--force-recreate", service)
        bring_up_project()

    return undo


def component() -> Component:
    engine = Service(
        name="dockerd",
        port=0,
        url=DOCKER_HOST,
        command=dockerd_command,
        ready=probe_engine,
        files=_files,
        reload=lambda _pid: compose("up", "-d", "--remove-orphans"),
        prepare=lambda: ENGINE_DIR.mkdir(parents=True, exist_ok=True),
        after_ready=bring_up_project,
        data_dir=ENGINE_DIR,
        config=COMPOSE_FILE,
    )
    restore = ("dockerd",)
    faults = (
        Fault("container-exited", "the worker container is stopped (`docker stop`)",
              lambda _stack: compose("stop", "worker"), restore),
        Fault("container-unhealthy", "web's health check fails (its page is gone: httpd answers 404)", _unhealthy,
              restore),
        Fault("container-restart-loop", "the worker exits 1 at start; restart: unless-stopped starts it again",
              _crash_loop, restore),
        Fault("container-oom-killed", "a process in the worker allocates past the 64 MB limit and is OOM-killed",
              _oom, restore, undo=_recreate("worker")),
        Fault("container-wrong-image-tag", f"web is rolled back to {REPOSITORY}:{PREVIOUS}",
              _rendered(web_tag=PREVIOUS), restore),
        Fault("container-missing-service", "the worker's container is removed (`docker-compose rm -s -f worker`)",
              lambda _stack: compose("rm", "-s", "-f", "worker"), restore),
        Fault("container-error-logs", "the worker logs an ERROR line",
              lambda _stack: _in_worker("echo 'ERROR payments: charge for order 1842 failed: upstream answered 503'"
                                        " > /proc/1/fd/1"), restore, undo=_recreate("worker")),
        # 56 of 64 MB: over targets/local.yml's 80%, with room left for the health checks' exec (no OOM kill)
        Fault("container-memory-near-limit", "the worker holds 56 MB of its 64 MB limit (a file in /dev/shm)",
              lambda _stack: _in_worker("dd if=/dev/zero of=/dev/shm/ballast bs=1M count=56 2>/dev/null"), restore,
              undo=lambda _stack: _in_worker("rm -f /dev/shm/ballast")),
        Fault("container-job-failed", "the migrate job exits 1", _rendered(migrate="echo 'migrations: 0004 failed: "
              "column items.sku already exists' >&2; exit 1"), restore),
    )
    return Component("containers", services=(engine,), faults=faults)
