"""One declaration per component (opsgate.plugin.components), and nothing left undeclared: every target section,
suite marker, suite folder and runbook id belongs to a component, and every component has all its parts. The
`custom:` sections a team's components declare are validated by their models; typos elsewhere stay errors."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from opsgate.core.runbook import load_runbook
from opsgate.core.secrets import SECRETS
from opsgate.plugin.components import BUILTIN, EXTRA_MARKERS, Registry, Suite
from opsgate.plugin.extras import selected
from opsgate.target import Target, TargetError, load_target
from opsgate.target.types import Section
from tests.conftest import ROOT, run_pytest

REGISTRY = Registry(BUILTIN)
RUNBOOK = load_runbook()


def _model_of(annotation: object) -> type[BaseModel] | None:
    found = [arg for arg in (annotation, *typing.get_args(annotation)) if isinstance(arg, type)
             and issubclass(arg, BaseModel)]
    return found[0] if found else None


def _component_sections() -> set[str]:
    """The target's optional sections: each is a component (or several) of the environment."""
    return {name for name, field in Target.model_fields.items()
            if _model_of(field.annotation) and field.default is None}


def test_every_target_section_is_a_components() -> None:
    declared = {c.section.split(".")[0] for c in BUILTIN}
    assert _component_sections() - declared == set()


def test_every_runbook_section_belongs_to_a_component() -> None:
    assert [rid for rid in RUNBOOK if REGISTRY.component_of(rid) is None] == []


def _suite_markers(path: Path) -> set[str]:
    """The markers a suite's modules put on their checks (`pytestmark = pytest.mark.<name>`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in node.targets):
            found |= {n.attr for n in ast.walk(node.value) if isinstance(n, ast.Attribute) and n.attr != "mark"}
    return found


def test_every_suite_folder_and_marker_is_a_components() -> None:
    folders = {path.name for path in (ROOT / "suites").iterdir() if (path / "__init__.py").exists()}
    assert folders == {suite.folder for suite in REGISTRY.suites.values()}
    markers = set().union(*(_suite_markers(path) for path in (ROOT / "suites").rglob("test_*.py")))
    assert markers - set(REGISTRY.suites) - set(EXTRA_MARKERS) == set()


@pytest.mark.parametrize("component", BUILTIN, ids=lambda c: c.name)
def test_a_component_has_every_part(component: object) -> None:
    c = component
    assert c.name and c.cell and c.suite.marker and c.suite.help
    model: type[BaseModel] | None = Target
    for key in c.section.split("."):  # the section is a real key of the target file
        assert model is not None and key in model.model_fields, f"{c.section}: no such target key"
        model = _model_of(model.model_fields[key].annotation)
    assert c.runbook, "no runbook prefix"
    for prefix in c.runbook:  # each prefix is its own: some section is this component's through it
        assert any(REGISTRY.component_of(rid) is c for rid in RUNBOOK if rid.startswith(prefix)), prefix
    for rid in c.down:
        assert rid in RUNBOOK and REGISTRY.component_of(rid) is c, rid
    assert set(c.depends_on) <= set(REGISTRY.by_name)
    assert c.probes is not None or not c.down, "a component that can be down needs the sweep's question"
    assert c.suite.folder and (ROOT / "suites" / c.suite.folder).is_dir()


def test_the_selection_logic_reads_marker_expressions() -> None:
    assert selected("", "containers") and selected("containers or smoke", "containers")
    assert not selected("smoke", "containers") and not selected("not containers", "containers")
    assert selected("not destructive", "containers")
    assert selected("destructive", "smoke") and selected("smoke and not destructive", "smoke")  # any suite may write


def test_a_missing_extra_is_named_in_one_line() -> None:
    suite = Suite("queue", "queue checks", extra=("queue", "opsgate_no_such_module"))
    assert suite.missing_extra() == ("the queue checks need the extra 'queue' (module opsgate_no_such_module is not "
                                     "installed): pip install 'opsgate[queue]'")
    assert Suite("smoke", "smoke").missing_extra() is None


class ObjectStore(Section):
    url: str
    bucket: str = Field(min_length=3)


def _target(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "t.yml"
    path.write_text("name: t\nenvironment: staging\n" + body)
    return path


def test_custom_sections_are_validated_by_their_components_model(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSGATE_STORE_KEY", "store-secret-value")
    body = "custom:\n  objectstore:\n    url: http://minio.test:9000/?key=${OPSGATE_STORE_KEY}\n    bucket: uploads\n"
    target = load_target(_target(tmp_path, body), {"objectstore": ObjectStore})
    assert target.custom["objectstore"] == ObjectStore(url="http://minio.test:9000/?key=store-secret-value",
                                                       bucket="uploads")
    assert "store-secret-value" in SECRETS, "an interpolated value in a custom section is a secret like any other"
    with pytest.raises(TargetError, match=r"t\.yml: custom\.objectstore\.bukcet: unknown key"):
        load_target(_target(tmp_path, body + "    bukcet: x\n"), {"objectstore": ObjectStore})
    with pytest.raises(TargetError, match=r"custom\.objectstore\.bucket: String should have at least 3"):
        load_target(_target(tmp_path, body.replace("uploads", "up")), {"objectstore": ObjectStore})
    with pytest.raises(TargetError, match=r"custom\.objectstore: no component declares this section"):
        load_target(_target(tmp_path, body))
    with pytest.raises(TargetError, match=r"t\.yml: custum: unknown key"):  # typos outside custom: still errors
        load_target(_target(tmp_path, body.replace("custom:", "custum:")), {"objectstore": ObjectStore})


TEAM_CONFTEST = '''
from opsgate.plugin.components import Component, Suite

def pytest_opsgate_components():
    return [Component("{name}", "custom.queue", Suite("queue", "queue checks"), ("queue/",), "queue",
                      depends_on=({depends}))]
'''


@pytest.mark.parametrize(("name", "depends", "error"), [
    ("redis", "", "opsgate: component redis is declared twice"),
    ("queue", "'rabbit',", "opsgate: component queue depends on rabbit, which no component declares"),
])
def test_a_broken_team_component_is_one_line_and_exit_4(tmp_path: Path, name: str, depends: str,
                                                         error: str) -> None:
    (tmp_path / "conftest.py").write_text(TEAM_CONFTEST.format(name=name, depends=depends))
    result = run_pytest(str(tmp_path), "--collect-only", "-q")
    assert result.returncode == 4, result.stdout[-2000:] + result.stderr[-2000:]
    assert error in result.stderr and "Traceback" not in result.stderr + result.stdout
