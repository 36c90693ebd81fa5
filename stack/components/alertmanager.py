"""Alertmanager, which Prometheus sends its alerts to, and its fault: stopped."""

from __future__ import annotations

from stack.components.prometheus import stop_scraped
from stack.config import HOST, PORTS, STATE
from stack.files import render
from stack.model import Component, Fault, Service
from stack.probes import http_url, probe_http, reload_over_http

ALERTMANAGER = STATE / "alertmanager"
CONFIG = ALERTMANAGER / "alertmanager.yml"

SERVICE = Service(
    name="alertmanager",
    port=PORTS["alertmanager"],
    url=http_url("alertmanager"),
    command=lambda: [
        "prometheus-alertmanager",
        f"--config.file={CONFIG}",
        f"--storage.path={ALERTMANAGER / 'data'}",
        f"--web.listen-address={HOST}:{PORTS['alertmanager']}",
        "--cluster.listen-address=",
    ],
    ready=probe_http(http_url("alertmanager", "/-/ready")),
    files=lambda: {CONFIG: render("alertmanager.yml")},
    reload=reload_over_http("alertmanager"),
    data_dir=ALERTMANAGER / "data",
    config=CONFIG,
)


def component() -> Component:
    fault = Fault(
        "alertmanager-down", "Alertmanager is stopped", stop_scraped("alertmanager", "alertmanager"), ("alertmanager",)
    )
    return Component("alertmanager", services=(SERVICE,), faults=(fault,))
