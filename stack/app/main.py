"""ASGI entry point: `uvicorn stack.app.main:app` (settings come from OPSGATE_APP_* variables)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from stack.app import auth, health, items, template
from stack.app.cache import ItemsCache
from stack.app.db import create_pool
from stack.app.metrics import APP_INFO, metrics_endpoint, record_request
from stack.app.migrate import script_head
from stack.app.misbehaviour import misbehaviour
from stack.app.settings import Settings

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # wait=False: serve (and report the database as failing in readiness) while PostgreSQL is down.
    app.state.pool.open(wait=False)
    try:
        yield
    finally:
        app.state.pool.close()
        app.state.cache.close()


def create_app(settings: Settings) -> FastAPI:
    reference = settings.flavor == "reference"
    app = FastAPI(
        title=f"opsgate {settings.flavor} app",
        version=settings.version,
        lifespan=lifespan,
        openapi_url="/openapi.json" if reference else template.OPENAPI_URL,
    )
    app.state.settings = settings
    app.state.pool = create_pool(settings.database_url)
    app.state.cache = ItemsCache(settings.redis_url)
    app.state.head = script_head()

    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
        allow_credentials=True,
    )
    app.middleware("http")(misbehaviour(settings))
    if not reference:
        app.include_router(template.router(settings))
        return app
    app.include_router(items.router)
    # Added last, so it is outermost and also counts requests answered by the CORS middleware.
    app.middleware("http")(record_request)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.add_api_route("/metrics", metrics_endpoint, include_in_schema=False)
    APP_INFO.labels(settings.version).set(1)
    return app


app = create_app(Settings.from_env())
