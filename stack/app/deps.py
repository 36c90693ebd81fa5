"""FastAPI dependencies for the per-process resources created in main.create_app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from psycopg_pool import ConnectionPool

from stack.app.cache import ItemsCache
from stack.app.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_pool(request: Request) -> ConnectionPool:
    return request.app.state.pool


def get_cache(request: Request) -> ItemsCache:
    return request.app.state.cache


SettingsDep = Annotated[Settings, Depends(get_settings)]
PoolDep = Annotated[ConnectionPool, Depends(get_pool)]
CacheDep = Annotated[ItemsCache, Depends(get_cache)]
