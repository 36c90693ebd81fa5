"""Shapes of the reference stack: which components run, with which settings.

A shape is data: a second way to build the same stack is a new `Shape` here, not a branch in every component.
The services and faults of a shape are assembled from its components; `python -m stack up --shape NAME` picks
one and records it, so later commands (status, inject, heal, down) act on the shape that is running.
A shape may extend a `base` shape: it runs the base's components and its own, and comes up beside the running
base (starting only its own services) or goes back to it (stopping only them), without touching the base's.
"""

from __future__ import annotations

from dataclasses import dataclass

from stack.components import (
    alertmanager,
    app,
    backups,
    containers,
    debian,
    decoys,
    exporters,
    frontend,
    nginx,
    pki,
    postgres,
    prometheus,
    redis,
    s3,
)
from stack.config import STATE
from stack.model import Component, Fault, Service
from stack.process import StackError

SHAPE_FILE = STATE / "shape"


@dataclass(frozen=True)
class Shape:
    name: str
    summary: str
    components: tuple[Component, ...]  # in dependency order: `down` stops them in reverse
    base: str | None = None  # the shape this one extends: its components come first in `components`

    def __post_init__(self) -> None:
        for kind, names in (("service", [s.name for s in self.services]), ("fault", [f.name for f in self.faults])):
            twice = sorted({name for name in names if names.count(name) > 1})
            if twice:
                raise ValueError(f"shape {self.name}: {kind} names defined twice: {', '.join(twice)}")

    @property
    def services(self) -> list[Service]:
        return [service for component in self.components for service in component.services]

    @property
    def faults(self) -> list[Fault]:
        return [fault for component in self.components for fault in component.faults]

    def extension_of(self, base: Shape) -> tuple[Component, ...]:
        """The components this shape runs beyond `base`'s."""
        theirs = {component.name for component in base.components}
        return tuple(component for component in self.components if component.name not in theirs)


DEFAULT = Shape(
    "default",
    "one nginx.conf, JSON login with refresh tokens, a readiness report, app metrics",
    (
        postgres.component(),
        redis.component(redis.RedisSettings()),
        app.component(app.AppSettings()),
        backups.component(),
        s3.component(),
        frontend.component(),
        pki.component(),
        nginx.component(nginx.NginxSettings()),
        prometheus.component(),
        alertmanager.component(),
        exporters.component(),
        containers.component(),
    ),
)
VARIANT_DEMO_USER = "demo@opsgate.test"  # its app's seed user, beside the default shape's in the same database
SITE_WITHOUT_STATUS = frontend.FrontendSettings(status_path=None)  # the template app has no status report
VARIANT = Shape(
    "variant",
    "a stack we did not build: the template app (OAuth2 form login with e-mail user names, no readiness report, "
    "no metrics), nginx laid out the Debian way with a single-page-app fallback, a second nginx and a second "
    "uvicorn on the host",
    (
        postgres.component(),
        redis.component(redis.RedisSettings()),
        app.component(
            app.AppSettings(flavor="template", demo_user=VARIANT_DEMO_USER, ready_path="/api/v1/utils/health-check/")
        ),
        backups.component(),
        frontend.component(SITE_WITHOUT_STATUS),
        pki.component(),
        nginx.component(nginx.NginxSettings(layout="debian", site=SITE_WITHOUT_STATUS)),
        prometheus.component(prometheus.PrometheusSettings(scrape_app=False)),
        alertmanager.component(),
        exporters.component(),
        decoys.component(),
    ),
)
DEBIAN = Shape(
    "debian",
    "the default shape plus, beside it, a PostgreSQL cluster laid out the Debian way (configuration outside the "
    "data directory) with its own pgBackRest stanza and nightly plain-SQL dumps, and the template app with the "
    "public template's whole items collection (/api/v1/items/) on that cluster",
    (*DEFAULT.components, debian.component()),
    base=DEFAULT.name,
)
SHAPES = {shape.name: shape for shape in (DEFAULT, VARIANT, DEBIAN)}


def recorded_shape() -> str | None:
    """The shape the stack in `.stack/` was last brought up as."""
    try:
        return SHAPE_FILE.read_text().strip() or None
    except OSError:
        return None


def shape_named(name: str) -> Shape:
    if name not in SHAPES:
        raise StackError(f"unknown shape {name!r} (shapes: {', '.join(SHAPES)})")
    return SHAPES[name]
