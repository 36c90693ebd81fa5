"""Redis with a password and a bounded memory, and the faults that break it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import redis

from stack.config import HOST, PORTS, SECRETS, STATE, redis_url
from stack.files import render
from stack.model import Component, Controller, Fault, Service, stop
from stack.probes import PROBE_TIMEOUT
from stack.process import NotReady

CONFIG = STATE / "redis" / "redis.conf"


@dataclass(frozen=True)
class RedisSettings:
    eviction_policy: str = "allkeys-lru"


def client() -> redis.Redis:
    return redis.Redis.from_url(redis_url(), socket_timeout=5, socket_connect_timeout=5)


def flush_cache() -> None:
    """Empty the app's cache: faults that break what the app reads flush it, or cached answers hide them."""
    client().flushdb()


def probe_redis() -> None:
    try:
        redis.Redis.from_url(redis_url(), socket_timeout=PROBE_TIMEOUT, socket_connect_timeout=PROBE_TIMEOUT).ping()
    except redis.RedisError as exc:
        raise NotReady(str(exc)) from None


def _fill(_stack: Controller) -> None:
    """Write 64 KiB values until used memory reaches maxmemory; allkeys-lru then evicts to stay there."""
    redis_client = client()
    maxmemory = int(redis_client.config_get("maxmemory")["maxmemory"])
    value, batch = b"x" * 65536, 0
    while redis_client.info("memory")["used_memory"] < 0.98 * maxmemory:
        with redis_client.pipeline(transaction=False) as pipe:
            for i in range(64):
                pipe.set(f"opsgate:fault:fill:{batch}:{i}", value)
            pipe.execute()
        batch += 1


def _set_policy(policy: str) -> Callable[[Controller], None]:
    return lambda _stack: client().config_set("maxmemory-policy", policy)


def component(settings: RedisSettings = RedisSettings()) -> Component:
    service = Service(
        name="redis",
        port=PORTS["redis"],
        url=f"redis://{HOST}:{PORTS['redis']}/0",
        command=lambda: ["redis-server", str(CONFIG)],
        ready=probe_redis,
        files=lambda: {
            CONFIG: render(
                "redis.conf",
                host=HOST,
                port=PORTS["redis"],
                password=SECRETS["OPSGATE_REDIS_PASSWORD"],
                state=STATE,
                eviction_policy=settings.eviction_policy,
            )
        },
        data_dir=STATE / "redis",
        config=CONFIG,
    )
    faults = (
        Fault("redis-down", "Redis is stopped", stop("redis"), ("redis",)),
        Fault(
            "redis-noeviction",
            "CONFIG SET maxmemory-policy noeviction",
            _set_policy("noeviction"),
            undo=_set_policy(settings.eviction_policy),
        ),
        Fault("redis-memory-full", "keys fill Redis up to its maxmemory", _fill, undo=lambda _stack: flush_cache()),
    )
    return Component("redis", services=(service,), faults=faults)
