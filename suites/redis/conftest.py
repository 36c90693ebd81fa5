"""Redis suite fixtures: one client per run, from the target's `redis` section."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from opsgate.checks import component
from opsgate.redis_server import RedisServer
from opsgate.target import Redis, Target


@pytest.fixture(scope="session")
def redis_config(target: Target) -> Redis:
    return component(target, "redis")


@pytest.fixture(scope="session")
def redis_server(redis_config: Redis) -> Iterator[RedisServer]:
    server = RedisServer(redis_config.url, timeout_s=redis_config.timeout_s)
    yield server
    server.close()
