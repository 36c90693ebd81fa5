"""pytest plugin for the self-tests: write each collected check's runbook ids to $OPSGATE_CITATIONS as JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    citations = {}
    for item in items:
        marker = item.get_closest_marker("runbook")
        citations[item.nodeid] = list(marker.args) if marker else []
    Path(os.environ["OPSGATE_CITATIONS"]).write_text(json.dumps(citations))
