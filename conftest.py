"""opsgate's pytest entry point: every run loads the target file and the opsgate plugin.

The plugin is installed as `opsgate` from the folder fixtures/ (pyproject.toml); a checkout without the install
gets the same name for the folder here, so `opsgate.*` means one set of modules either way."""

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("opsgate") is None:
    _spec = importlib.util.spec_from_file_location(
        "opsgate", Path(__file__).parent / "fixtures" / "__init__.py",
        submodule_search_locations=[str(Path(__file__).parent / "fixtures")])
    assert _spec and _spec.loader
    sys.modules["opsgate"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["opsgate"])

pytest_plugins = ["opsgate.plugin"]
