"""Other services on the same host: a second uvicorn and a second nginx master, as a shared host has them.

Checks that find "the app" or "the nginx" by process name, or by being the only one, are fooled by them; the
`app-down-decoy-running` fault stops the app while the second uvicorn keeps running.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from stack.config import HOST, PORTS, STATE
from stack.files import give_to_service_user, run_as_user
from stack.model import Component, Fault, Service, stop
from stack.probes import http_url, probe_http

DECOY_NGINX = STATE / "decoy-nginx"
DECOY_NGINX_CONFIG = DECOY_NGINX / "nginx.conf"


async def another_service(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]],
                          send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    """The second uvicorn's whole ASGI app: it answers every request with one line of text."""
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"another service on this host\n"})


def _decoy_nginx_files() -> dict[Path, str]:
    user = run_as_user()
    config = f"""# a second nginx master on the host (opsgate variant shape)
{f"user {user} {user};" if user else ""}
worker_processes 1;
pid {DECOY_NGINX}/nginx.pid;
daemon off;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {DECOY_NGINX}/tmp;
    proxy_temp_path {DECOY_NGINX}/tmp;
    fastcgi_temp_path {DECOY_NGINX}/tmp;
    uwsgi_temp_path {DECOY_NGINX}/tmp;
    scgi_temp_path {DECOY_NGINX}/tmp;
    server {{
        listen {HOST}:{PORTS["decoy_nginx"]};
        return 200 "another site on this host\\n";
    }}
}}
"""
    return {DECOY_NGINX_CONFIG: config}


def _prepare_decoy_nginx() -> None:
    (DECOY_NGINX / "tmp").mkdir(parents=True, exist_ok=True)
    give_to_service_user(DECOY_NGINX / "tmp")


SERVICES = (
    Service(
        name="decoy-uvicorn",
        port=PORTS["decoy_uvicorn"],
        url=http_url("decoy_uvicorn"),
        command=lambda: [
            sys.executable, "-m", "uvicorn", "stack.components.decoys:another_service", "--lifespan", "off",
            "--host", HOST, "--port", str(PORTS["decoy_uvicorn"]),
        ],
        ready=probe_http(http_url("decoy_uvicorn", "/")),
    ),
    Service(
        name="decoy-nginx",
        port=PORTS["decoy_nginx"],
        url=http_url("decoy_nginx"),
        command=lambda: [
            "nginx", "-p", str(DECOY_NGINX), "-e", str(DECOY_NGINX / "error.log"), "-c", str(DECOY_NGINX_CONFIG),
        ],
        ready=probe_http(http_url("decoy_nginx", "/")),
        files=_decoy_nginx_files,
        stop_signal=signal.SIGQUIT,
        prepare=_prepare_decoy_nginx,
        config=DECOY_NGINX_CONFIG,
    ),
)


def component() -> Component:
    fault = Fault(
        "app-down-decoy-running",
        "the app is stopped while another uvicorn keeps running on the host",
        stop("app"),
        ("app",),
    )
    return Component("decoys", services=SERVICES, faults=(fault,))
