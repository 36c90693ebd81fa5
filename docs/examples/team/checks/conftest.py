"""The team's part of the gate: one more component, the object store the app keeps its uploads in (MinIO in
production; any S3-compatible store answers the same way).

The `opsgate` command loads this file at start-up because the target file lists this folder under
`extend.checks`. The declaration below gives `objectstore` what opsgate's own components have: the `objectstore`
marker (`-m objectstore`, and the default gate run when the target configures `custom.objectstore`), the
`objectstore/` runbook ids, a question in the start-of-run sweep (a dead store is one root cause, not one failure
per check), and a cell in the report grid. Its settings are the target file's `custom.objectstore`, validated with
the model below: a typo is a one-line error before anything runs.
"""

import pytest
from pydantic import Field

from opsgate.plugin.checks import component
from opsgate.plugin.components import Component, Suite
from opsgate.plugin.sweep import http_probe
from opsgate.probes.http import HttpClient
from opsgate.probes.verdicts import Verdicts
from opsgate.target import Target
from opsgate.target.types import HttpUrl, Name, Section


class ObjectStore(Section):
    """`custom.objectstore` in the target file. A Section: unknown keys are errors, and a password in the URL
    (or any `${VAR}`) is redacted from every report."""

    url: HttpUrl = Field(description="the store's S3 endpoint, e.g. https://minio.internal.example.com:9000")
    bucket: Name = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
                         description="the bucket the app stores uploads in (S3 bucket naming rules)")
    timeout_s: float = Field(5.0, gt=0, le=60, description="connect and read deadline of each call, seconds")


def pytest_opsgate_components() -> list[Component]:
    return [Component(
        name="objectstore",
        section="custom.objectstore",
        suite=Suite("objectstore", "the team's object store: it answers, and the app's bucket exists (read-only)"),
        runbook=("objectstore/",),
        cell="object store",
        down=("objectstore/down",),  # the section that means "cannot be reached at all"
        # Any HTTP answer proves the store is alive (GET / is a 403 without credentials on MinIO and AWS S3).
        probes=lambda section, target: [http_probe("objectstore", section.url, "/", target, section.timeout_s)],
        settings=ObjectStore,
    )]


# Which runbook section an exchange with the store cites when it gets no usable answer.
VERDICTS = Verdicts(*["objectstore/down"] * 5, slow="objectstore/down", tls="objectstore/down",
                    html_instead="objectstore/down")


@pytest.fixture(scope="session")
def objectstore(target: Target) -> ObjectStore:
    """The target's `custom.objectstore`, or the checks skip, saying so."""
    return component(target, "custom.objectstore")


@pytest.fixture(scope="session")
def store(objectstore: ObjectStore, target: Target) -> HttpClient:
    """An HTTP client for the store: every call has a deadline, and a store the sweep found dead is not asked
    again (its checks fail at once, as consequences of that one root cause)."""
    return HttpClient(objectstore.url, ca_bundle=target.ca_bundle, timeout=objectstore.timeout_s, verdicts=VERDICTS)
