"""Prometheus metrics, aggregated across uvicorn workers via prometheus_client multiprocess mode.

PROMETHEUS_MULTIPROC_DIR must be set (to an empty, existing directory) before the workers start:
prometheus_client decides at import time whether values live in per-process files there.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from time import perf_counter

from fastapi import Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests by route template, method and status.",
    ["handler", "method", "status"],
)
DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP request duration by route template and method.",
    ["handler", "method"],
)
# "max" merges the workers' identical samples into one series without a pid label.
APP_INFO = Gauge("app_info", "Application version (always 1).", ["version"], multiprocess_mode="max")


async def record_request(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    if request.url.path == "/metrics":
        return await call_next(request)
    start = perf_counter()
    status = 500  # an exception escaping the app is turned into a 500 by Starlette
    try:
        response = await call_next(request)
        status = response.status_code
        return response
    finally:
        # Routing stores the matched route in the scope; label by its template to bound cardinality.
        route = request.scope.get("route")
        handler = getattr(route, "path", "unmatched")
        REQUESTS.labels(handler, request.method, str(status)).inc()
        DURATION.labels(handler, request.method).observe(perf_counter() - start)


@dataclass(frozen=True)
class _Without:
    """A registry view missing some families: instrumentation a build dropped."""

    registry: Collector
    omitted: tuple[str, ...]

    def collect(self) -> Iterable[Metric]:
        # A counter's family is named without its _total suffix.
        return [
            m for m in self.registry.collect() if m.name not in self.omitted and f"{m.name}_total" not in self.omitted
        ]


def metrics_endpoint(request: Request) -> Response:
    registry: Collector = REGISTRY
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        # Process metrics cannot be aggregated from files; these describe the worker serving this scrape.
        ProcessCollector(registry=registry)
    # Without multiprocess mode (development), the default registry already includes process metrics.
    omitted = request.app.state.settings.metrics_omitted
    return Response(generate_latest(_Without(registry, omitted)), media_type=CONTENT_TYPE_LATEST)
