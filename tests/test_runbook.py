"""Runbook linkage: every check cites existing sections, and every section is cited by some check."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from opsgate.core.runbook import RUNBOOK_DIR, load_runbook
from opsgate.core.secrets import SecretRegistry
from opsgate.plugin.citation import what_to_do_html
from tests.conftest import ROOT, run_pytest

PARTS = ["Symptom", "Likely causes", "Diagnose", "Fix"]


@pytest.fixture(scope="module")
def citations(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Every check in suites/ and the runbook ids its marker declares (collected, not run)."""
    out = tmp_path_factory.mktemp("citations") / "citations.json"
    result = run_pytest("--collect-only", "-q", "--no-reports", "-p", "tests.runbook_citations", "suites",
                        env={"OPSGATE_CITATIONS": str(out)}, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return json.loads(out.read_text())


def test_every_check_declares_runbook_ids(citations: dict[str, list[str]]) -> None:
    assert citations, "no checks collected"
    assert not [check for check, ids in citations.items() if not ids]


def test_every_cited_id_exists(citations: dict[str, list[str]]) -> None:
    sections = load_runbook()
    missing = {check: [i for i in ids if i not in sections] for check, ids in citations.items()}
    assert not {check: ids for check, ids in missing.items() if ids}


def test_every_section_is_cited_by_a_check(citations: dict[str, list[str]]) -> None:
    cited = {runbook_id for ids in citations.values() for runbook_id in ids}
    assert set(load_runbook()) - cited == set()


def _runbook_literals(source: str) -> set[str]:
    """Ids fixtures choose in code: fail("x/y", ...), *runbook*="x/y" keywords, and *RUNBOOK* constants."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        values: list[ast.expr] = []
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "fail" and node.args:
            values.append(node.args[0])
        if isinstance(node, ast.Call):
            values += [kw.value for kw in node.keywords if "runbook" in (kw.arg or "")]
        if isinstance(node, ast.Assign) and any("RUNBOOK" in getattr(t, "id", "") for t in node.targets):
            values += [node.value, *getattr(node.value, "values", [])]
        found |= {v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)}
    return found


def test_ids_chosen_inside_fixtures_exist() -> None:
    """Fixtures pick the id for what they observed (fail("app/...")); each must be a real section."""
    used = set().union(*(_runbook_literals(path.read_text()) for path in (ROOT / "fixtures").rglob("*.py")))
    assert len(used) > 10, f"expected fixtures to cite runbook ids, found {used}"
    assert used - set(load_runbook()) == set()


@pytest.mark.parametrize("section_id", sorted(load_runbook()))
def test_section_has_hint_and_all_parts(section_id: str) -> None:
    section = load_runbook()[section_id]
    assert 0 < len(section.hint) <= 120
    assert list(section.parts) == PARTS
    assert "```" in section.parts["Diagnose"], "diagnosis needs commands to paste"
    assert all(section.parts[part].strip() for part in PARTS)


def test_readme_indexes_every_section() -> None:
    index = (RUNBOOK_DIR / "README.md").read_text()
    assert [i for i in load_runbook() if f"`{i}`" not in index] == []


def test_pages_have_no_stray_level_two_headings() -> None:
    """A `## ` heading that is not `## area/name — Title` would silently swallow text into the previous section."""
    for page in Path(RUNBOOK_DIR).glob("*.md"):
        for line in page.read_text().splitlines():
            if line.startswith("## "):
                assert re.match(r"^## [a-z0-9-]+/[a-z0-9-]+ \u2014 .+", line), f"{page.name}: {line}"


def test_what_to_do_survives_redaction_unchanged() -> None:
    """The credential patterns mask values, not the runbook's commands: `Authorization: Bearer $TOKEN` and
    `password=$VAR` name a secret, they are not one (the reports' redaction must not mangle What to do)."""
    patterns_only = SecretRegistry()
    mangled = [sid for sid, section in load_runbook().items()
               if patterns_only.redact(what_to_do_html(section)) != what_to_do_html(section)]
    assert mangled == []
    assert patterns_only.redact("Authorization: Bearer abc.def-1") == "Authorization: Bearer ***"
    assert patterns_only.redact("password=hunter22 password=$VAR") == "password=*** password=$VAR"
