"""No pass without evidence: a check whose fact is absent skips with the reason, it never passes (issue 25).
Each check is called with the facts a probe would return on such a stack; the same check with the fact present
still judges it, so the skip is not a way around the verdict."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

import suites.containers.test_services as services
import suites.db.test_performance as performance
import suites.redis.test_redis as redis_checks
from opsgate.core.verdict import CheckFailed
from opsgate.target import Postgres, Redis
from opsgate.target.containers import Containers
from suites.containers.conftest import Project

POSTGRES = Postgres(dsn="postgresql://opsgate@127.0.0.1:1/app")
REDIS = Redis(url="redis://127.0.0.1:1/0")


class BlockCounts:
    def __init__(self, hit: int, read: int) -> None:
        self.blocks = hit, read

    def cache_blocks(self) -> tuple[int, int]:
        return self.blocks


class RedisMemory:
    def __init__(self, **memory: Any) -> None:
        self.memory = memory

    def info(self, section: str) -> dict[str, Any]:
        assert section == "memory"
        return self.memory


def test_a_cache_hit_ratio_of_too_few_blocks_is_not_a_pass() -> None:
    with pytest.raises(pytest.skip.Exception, match="15 block requests since the statistics were reset"):
        performance.test_buffer_cache_hit_ratio(BlockCounts(hit=10, read=5), POSTGRES)
    with pytest.raises((AssertionError, CheckFailed), match=r"buffer cache hit ratio 50\.0%"):
        performance.test_buffer_cache_hit_ratio(BlockCounts(hit=5000, read=5000), POSTGRES)


def test_redis_without_maxmemory_is_not_a_pass() -> None:
    unbounded = RedisMemory(maxmemory=0, maxmemory_human="0B", used_memory=10 << 20, used_memory_human="10.00M")
    with pytest.raises(pytest.skip.Exception, match=r"Redis has no maxmemory .*used_memory 10\.00M"):
        redis_checks.test_memory_below_maxmemory(unbounded, REDIS)
    full = RedisMemory(maxmemory=10 << 20, maxmemory_human="10.00M", used_memory=10 << 20, used_memory_human="10.00M")
    with pytest.raises(AssertionError, match="is 100% of maxmemory"):
        redis_checks.test_memory_below_maxmemory(full, REDIS)


CONTAINERS = Containers(docker_host="tcp://127.0.0.1:1", compose_project="shop", services=[{"name": "api"}],
                        health_wait_s=0.1)
API = CONTAINERS.services[0]


class Engine:
    def __init__(self, *containers: SimpleNamespace) -> None:
        self.containers = list(containers)

    def project(self, name: str) -> list[SimpleNamespace]:
        assert name == "shop"
        return self.containers


def container(**facts: Any) -> SimpleNamespace:
    return SimpleNamespace(**{"service": "api", "one_off": False, "running": True, "health": None, "name": "shop-api-1",
                              "health_output": "", **facts})


def test_a_service_without_containers_is_not_judged_healthy() -> None:
    project = Project(Engine(), CONTAINERS)
    with pytest.raises(pytest.skip.Exception, match="service api has no container in Compose project shop"):
        services.test_service_is_healthy(API, project, project.engine, CONTAINERS)


def test_a_service_without_a_healthcheck_is_not_judged_healthy() -> None:
    project = Project(Engine(container()), CONTAINERS)
    with pytest.raises(pytest.skip.Exception, match="service api defines no healthcheck"):
        services.test_service_is_healthy(API, project, project.engine, CONTAINERS)
    sick = Project(Engine(container(health="unhealthy", health_output="wget: 500")), CONTAINERS)
    with pytest.raises(AssertionError, match="shop-api-1 is unhealthy; last health check: wget: 500"):
        services.test_service_is_healthy(API, sick, sick.engine, CONTAINERS)
