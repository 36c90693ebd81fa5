"""Redis answers quickly, has memory headroom and a policy for when it runs out, accepts clients, persists."""

import time

import pytest

from opsgate.probes.redis_server import RedisServer
from opsgate.target import Redis

pytestmark = pytest.mark.redis


@pytest.mark.runbook("redis/slow-ping", "redis/unreachable")
def test_ping_within_budget(redis_server: RedisServer, redis_config: Redis) -> None:
    elapsed = redis_server.ping_ms()
    assert elapsed <= redis_config.ping_max_ms, (
        f"PING took {elapsed:.1f} ms; its budget is {redis_config.ping_max_ms} ms"
    )


@pytest.mark.runbook("redis/memory-full", "redis/unreachable")
def test_memory_below_maxmemory(redis_server: RedisServer, redis_config: Redis) -> None:
    memory = redis_server.info("memory")
    if not memory["maxmemory"]:  # nothing to measure against: a pass here would say nothing
        pytest.skip(f"Redis has no maxmemory (it grows until the host runs out; used_memory "
                    f"{memory['used_memory_human']}): the host's memory checks watch it")
    used_pct = 100 * memory["used_memory"] / memory["maxmemory"]
    assert used_pct < redis_config.max_memory_pct, (
        f"used_memory {memory['used_memory_human']} is {used_pct:.0f}% of maxmemory {memory['maxmemory_human']} "
        f"(threshold {redis_config.max_memory_pct:g}%)"
    )


@pytest.mark.runbook("redis/noeviction", "redis/unreachable")
def test_bounded_memory_has_an_eviction_policy(redis_server: RedisServer) -> None:
    memory = redis_server.info("memory")
    assert not (memory["maxmemory"] and memory["maxmemory_policy"] == "noeviction"), (
        f"maxmemory is {memory['maxmemory_human']} with policy noeviction: once full, every write fails with OOM"
    )


@pytest.mark.runbook("redis/rejected-connections", "redis/unreachable")
def test_no_connections_rejected(redis_server: RedisServer, redis_config: Redis) -> None:
    before = redis_server.info("stats")["rejected_connections"]
    time.sleep(redis_config.rejected_window_s)
    grown = redis_server.info("stats")["rejected_connections"] - before
    assert grown == 0, f"{grown} connection(s) rejected in {redis_config.rejected_window_s:g} s (maxclients reached)"


@pytest.mark.runbook("redis/too-many-clients", "redis/unreachable")
def test_connected_clients_below_threshold(redis_server: RedisServer, redis_config: Redis) -> None:
    clients = redis_server.info("clients")
    used_pct = 100 * clients["connected_clients"] / clients["maxclients"]
    assert used_pct < redis_config.max_clients_pct, (
        f"{clients['connected_clients']} clients connected of maxclients {clients['maxclients']} ({used_pct:.0f}%)"
    )


@pytest.mark.runbook("redis/persistence-failing", "redis/unreachable")
def test_persistence_is_healthy(redis_server: RedisServer) -> None:
    persistence = redis_server.info("persistence")
    assert persistence["rdb_last_bgsave_status"] == "ok", (
        f"the last RDB snapshot failed ({persistence['rdb_last_bgsave_status']}); "
        f"{persistence['rdb_changes_since_last_save']} changes are not on disk"
    )
    if persistence["aof_enabled"]:
        assert persistence["aof_last_write_status"] == "ok", f"AOF writes fail: {persistence['aof_last_write_status']}"
