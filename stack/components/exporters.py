"""The node, postgres and redis exporters Prometheus scrapes, and the faults that break them."""

from __future__ import annotations

from pathlib import Path

from stack import process
from stack.components.prometheus import query_is, stop_scraped
from stack.config import HOST, MONITOR_ROLE, PORTS, SECRETS, STATE, app_dsn
from stack.files import env_file
from stack.model import Component, Controller, Fault, Service
from stack.probes import http_url, probe_http

POSTGRES_EXPORTER_ENV = STATE / "postgres-exporter" / "postgres-exporter.env"
REDIS_EXPORTER_ENV = STATE / "redis-exporter" / "redis-exporter.env"


def _postgres_exporter_files() -> dict[Path, str]:
    dsn = app_dsn(MONITOR_ROLE, "OPSGATE_PG_MONITOR_PASSWORD") + "?sslmode=disable"
    return {POSTGRES_EXPORTER_ENV: env_file({"DATA_SOURCE_NAME": dsn})}


def _break_postgres_exporter(stack: Controller) -> None:
    """Give the exporter a wrong password: it runs, Prometheus scrapes it, and it reports pg_up 0."""
    password = SECRETS["OPSGATE_PG_MONITOR_PASSWORD"]
    POSTGRES_EXPORTER_ENV.write_text(POSTGRES_EXPORTER_ENV.read_text().replace(f":{password}@", ":wrong-password@"))
    stack.restart("postgres-exporter")
    process.wait_ready("prometheus", lambda: query_is("pg_up", "0"), deadline=30)


SERVICES = (
    Service(
        name="node-exporter",
        port=PORTS["node_exporter"],
        url=http_url("node_exporter", "/metrics"),
        command=lambda: ["prometheus-node-exporter", f"--web.listen-address={HOST}:{PORTS['node_exporter']}"],
        ready=probe_http(http_url("node_exporter", "/metrics")),
    ),
    Service(
        name="postgres-exporter",
        port=PORTS["postgres_exporter"],
        url=http_url("postgres_exporter", "/metrics"),
        command=lambda: ["prometheus-postgres-exporter", f"--web.listen-address={HOST}:{PORTS['postgres_exporter']}"],
        ready=probe_http(http_url("postgres_exporter", "/")),  # /metrics waits on the database
        files=_postgres_exporter_files,
        env_path=POSTGRES_EXPORTER_ENV,
        config=POSTGRES_EXPORTER_ENV,
    ),
    Service(
        name="redis-exporter",
        port=PORTS["redis_exporter"],
        url=http_url("redis_exporter", "/metrics"),
        command=lambda: [
            "prometheus-redis-exporter",
            f"-redis.addr=redis://{HOST}:{PORTS['redis']}",
            f"-web.listen-address={HOST}:{PORTS['redis_exporter']}",
        ],
        ready=probe_http(http_url("redis_exporter", "/metrics")),
        files=lambda: {REDIS_EXPORTER_ENV: env_file({"REDIS_PASSWORD": SECRETS["OPSGATE_REDIS_PASSWORD"]})},
        env_path=REDIS_EXPORTER_ENV,
        config=REDIS_EXPORTER_ENV,
    ),
)

FAULTS = (
    Fault(
        "node-exporter-down", "the node exporter is stopped", stop_scraped("node-exporter", "node"), ("node-exporter",)
    ),
    Fault(
        "postgres-exporter-broken",
        "the postgres exporter has a wrong password: pg_up 0",
        _break_postgres_exporter,
        ("postgres-exporter",),
    ),
)


def component() -> Component:
    return Component("exporters", services=SERVICES, faults=FAULTS)
