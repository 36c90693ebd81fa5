"""Redis read-through cache for the item list. Redis failures degrade to the database, never to errors."""

from __future__ import annotations

import logging

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)


class ItemsCache:
    KEY = "items:list"
    TTL_SECONDS = 30

    def __init__(self, redis_url: str) -> None:
        self.client = redis.Redis.from_url(
            redis_url,
            socket_timeout=1.0,
            socket_connect_timeout=1.0,
            # One immediate retry replaces a connection dropped by a Redis restart; the library
            # default (10 retries with backoff) would stall requests for seconds while Redis is down.
            retry=Retry(NoBackoff(), retries=1),
            decode_responses=True,
        )

    def get(self) -> str | None:
        try:
            return self.client.get(self.KEY)
        except redis.RedisError as exc:
            log.warning("cache read failed, using the database: %s", type(exc).__name__)
            return None

    def set(self, body: str) -> None:
        try:
            self.client.set(self.KEY, body, ex=self.TTL_SECONDS)
        except redis.RedisError as exc:
            log.warning("cache write failed: %s", type(exc).__name__)

    def invalidate(self) -> None:
        try:
            self.client.delete(self.KEY)
        except redis.RedisError as exc:
            # The entry (if any) still expires after TTL_SECONDS.
            log.warning("cache invalidation failed: %s", type(exc).__name__)

    def ping(self) -> None:
        self.client.ping()

    def close(self) -> None:
        self.client.close()
