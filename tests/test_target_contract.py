"""The target file's published contract stays what the loader accepts: the packaged schema.json and
docs/target-reference.md are generated from the loader's models (`python -m opsgate.target.schema`), and every
example target loads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from opsgate.target import load_target
from opsgate.target.schema import REFERENCE, SCHEMA, json_schema, reference
from tests.conftest import ROOT

EXAMPLES = sorted((ROOT / "targets").glob("*.yml"))


def test_published_schema_and_reference_are_current() -> None:
    stale = "is stale: run `python -m opsgate.target.schema`"
    assert SCHEMA.read_text() == json_schema(), f"{SCHEMA} {stale}"
    assert (ROOT / REFERENCE).read_text() == reference(), f"{REFERENCE} {stale}"


def test_every_key_of_the_app_section_is_documented() -> None:
    text = (ROOT / REFERENCE).read_text()
    for section in ("app", "app.login", "app.login.refresh", "app.login.identity", "app.liveness", "app.readiness"):
        assert f"## `{section}`" in text


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_targets_load_and_match_the_schema(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in re.findall(r"\$\{(\w+)\}", path.read_text()):  # secrets without a default, as CI would set them
        monkeypatch.setenv(name, "example")
    load_target(path)
    jsonschema.validate(yaml.safe_load(path.read_text()), json.loads(SCHEMA.read_text()))
