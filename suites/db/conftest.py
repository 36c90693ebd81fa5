"""Database suite fixtures: one read-only session per run, from the target's `postgres` section."""

from __future__ import annotations

import pytest
from testinfra.host import Host

from opsgate.probes.hosts import host_for
from opsgate.target import Postgres


@pytest.fixture(scope="session")
def db_host(postgres: Postgres) -> Host:
    return host_for(postgres.host)
