"""The opsgate reference stack: real servers on 127.0.0.1 that are both the demo target and the test rig.

Python API (the CLI in `stack/__main__.py` is a thin wrapper):

    from stack import Stack
    stack = Stack()
    stack.up()                 # start what is not running, heal every active fault, wait for readiness
    stack.fault("app-down")    # inject a real fault
    stack.heal("app-down")     # restore the healthy state exactly
    stack.down()               # stop everything we started
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stack.core import ServiceStatus, Stack, StackError

__all__ = ["ServiceStatus", "Stack", "StackError"]


def __getattr__(name: str) -> object:
    # Lazy, so that importing the reference app (`stack.app`) does not load the orchestrator.
    if name in __all__:
        from stack import core

        return getattr(core, name)
    raise AttributeError(name)
