"""The code's layout keeps its promises: no import circle anywhere, the orchestrator above the components,
and no file in `stack/` or `fixtures/` grown past what a newcomer can read."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("stack", "fixtures", "suites", "tests", "perf")
MAX_LINES = 300


def _module_name(path: Path) -> str:
    """The import name: the folder fixtures/ is installed as the package `opsgate` (pyproject.toml)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    parts = ("opsgate", *parts[1:]) if parts[0] == "fixtures" else parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Project modules `path` imports when it is loaded (imports under `if TYPE_CHECKING:` are for types only)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    skipped = {
        id(node)
        for stmt in ast.walk(tree)
        if isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test)
        for node in ast.walk(stmt)
    }
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            # `from pkg import mod` imports pkg.mod; `from mod import name` imports mod
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in modules}
    return found - {_module_name(path)}


def _graph() -> dict[str, set[str]]:
    files = [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")]
    modules = {_module_name(path) for path in files}
    return {_module_name(path): _imports(path, modules) for path in files}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle, as the modules on it, or [] when there is none."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> list[str]:
        state[module], _ = "open", path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        state[module], _ = "done", path.pop()
        return []

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return []


def test_the_checker_finds_a_circle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def test_no_import_circle() -> None:
    assert _cycle(_graph()) == []


def test_components_never_import_the_orchestrator_or_the_shapes() -> None:
    graph = _graph()
    upward = {
        module: sorted(graph[module] & {"stack", "stack.core", "stack.shapes", "stack.__main__"})
        for module in graph
        if module.startswith("stack.components")
    }
    assert {module: targets for module, targets in upward.items() if targets} == {}


def test_stack_and_fixtures_files_stay_readable() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for package in ("stack", "fixtures")
        for path in (ROOT / package).rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


# The package's layers, each importing only those below it (the picture in the README's architecture section).
# The plugin's jobs and the reports they write form one layer: the plugin wires the reports up, the reports read
# the plugin's run state.
LAYERS = {
    "core": set(),
    "target": {"core"},
    "probes": {"core", "target"},
    "dr": {"core", "target", "probes"},
    "load": {"core", "target", "probes"},
    "plugin": {"core", "target", "probes", "report"},
    "report": {"core", "target", "probes", "plugin"},
}


def _layer(module: str) -> str | None:
    """opsgate.<layer>.x -> <layer>, for the package's layers."""
    parts = module.split(".")
    return parts[1] if parts[0] == "opsgate" and len(parts) > 1 and parts[1] in LAYERS else None


def test_the_package_layers_import_only_downwards() -> None:
    upward = {}
    for module, targets in _graph().items():
        if (layer := _layer(module)) is None:
            continue
        if above := sorted({found for target in targets if (found := _layer(target)) not in (None, layer)}
                           - LAYERS[layer]):
            upward[module] = above
    assert upward == {}
    assert set(LAYERS) == {path.name for path in (ROOT / "fixtures").iterdir() if (path / "__init__.py").exists()}
