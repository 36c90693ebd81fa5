"""Database suite fixtures: one read-only session per run, from the target's `postgres` section."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from testinfra.host import Host

from opsgate.checks import component
from opsgate.hosts import host_for
from opsgate.postgres import Database
from opsgate.target import Postgres, Target


@pytest.fixture(scope="session")
def postgres(target: Target) -> Postgres:
    return component(target, "postgres")


@pytest.fixture(scope="session")
def db(postgres: Postgres) -> Iterator[Database]:
    database = Database(postgres.dsn, connect_timeout_s=postgres.connect_timeout_s)
    yield database
    database.close()


@pytest.fixture(scope="session")
def db_host(postgres: Postgres) -> Host:
    return host_for(postgres.host)
