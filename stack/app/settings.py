"""Configuration, read once from OPSGATE_APP_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


class SettingsError(RuntimeError):
    """A required setting is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    jwt_secret: str
    cors_origins: tuple[str, ...]
    version: str
    demo_user: str
    demo_password: str | None
    metrics_omitted: tuple[str, ...] = ()  # families left out of /metrics (the app-metrics-missing fault)
    flavor: str = "reference"  # "reference" or "template" (the routes of a typical public FastAPI project)
    error_every: int = 0  # every Nth items request answers 500 (the app-errors fault)
    leak_kb: int = 0  # memory kept for good per items request (the app-memory-leak fault)
    # The template flavor's items: "read-only" (GET /api/v1/items and one item) or "full" (the public template's
    # collection: GET/POST /api/v1/items/ with the trailing slash, GET/PUT/DELETE /api/v1/items/{id}).
    items_collection: str = "read-only"
    updates_not_found: bool = False  # every PUT on an item answers 404 (the debian-writes-fail fault)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        def require(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise SettingsError(f"{name} is not set")
            return value

        return cls(
            database_url=require("OPSGATE_APP_DATABASE_URL"),
            redis_url=require("OPSGATE_APP_REDIS_URL"),
            jwt_secret=require("OPSGATE_APP_JWT_SECRET"),
            cors_origins=_csv(env.get("OPSGATE_APP_CORS_ORIGINS", "")),
            version=env.get("OPSGATE_APP_VERSION", "").strip() or "1.4.0",
            demo_user=env.get("OPSGATE_APP_DEMO_USER", "").strip() or "demo",
            demo_password=env.get("OPSGATE_APP_DEMO_PASSWORD") or None,
            metrics_omitted=tuple(
                n.strip() for n in env.get("OPSGATE_APP_METRICS_OMITTED", "").split(",") if n.strip()
            ),
            flavor=_choice("OPSGATE_APP_FLAVOR", env.get("OPSGATE_APP_FLAVOR", "").strip() or "reference",
                           ("reference", "template")),
            error_every=int(env.get("OPSGATE_APP_ERROR_EVERY", "").strip() or 0),
            leak_kb=int(env.get("OPSGATE_APP_LEAK_KB", "").strip() or 0),
            items_collection=_choice("OPSGATE_APP_ITEMS_COLLECTION",
                                     env.get("OPSGATE_APP_ITEMS_COLLECTION", "").strip() or "read-only",
                                     ("read-only", "full")),
            updates_not_found=env.get("OPSGATE_APP_UPDATES_NOT_FOUND", "").strip() == "1",
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in error messages, health output or logs."""
        passwords = (urlsplit(url).password for url in (self.database_url, self.redis_url))
        return tuple(s for s in (*passwords, self.jwt_secret, self.demo_password) if s)


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _csv(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def describe_error(exc: BaseException, secrets: Iterable[str] = ()) -> str:
    """Summarise an exception in one line (class and first message line) with secrets masked."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
