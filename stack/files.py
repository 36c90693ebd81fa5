"""Files the stack's servers run from: templates, env files, and who owns them.

Every service declares the files it wants on disk; `write_changed` writes the ones that differ, so any fault
that rewrote a file is healed by converging its service.
"""

from __future__ import annotations

import os
import pwd
import re
import subprocess
import threading
from pathlib import Path

from stack.config import SERVICE_USER, TEMPLATES


def render(template: str, **values: object) -> str:
    text = (TEMPLATES / template).read_text()
    return re.sub(r"\{\{(\w+)\}\}", lambda m: str(values[m[1]]), text)


def write_changed(files: dict[Path, str]) -> bool:
    """Write the files whose content differs from what is on disk; True if any was written."""
    changed = False
    for path, content in files.items():
        if not path.exists() or path.read_text() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            changed = True
    return changed


def env_file(values: dict[str, str]) -> str:
    return "".join(f"{key}={value}\n" for key, value in values.items())


def read_env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key: value for key, value in pairs}


# Services start side by side: two useradd runs at once on a fresh machine each wrote an account, and a server
# was handed the uid of the one that lost ("could not look up effective user ID 999").
_CREATING_USER = threading.Lock()


def run_as_user() -> str | None:
    """The unprivileged account servers run as when we are root (created on first use)."""
    if os.geteuid() != 0:
        return None
    with _CREATING_USER:
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin",
                 SERVICE_USER],
                check=True,
                timeout=30,
            )
    return SERVICE_USER


def service_gid() -> int | None:
    user = run_as_user()
    return pwd.getpwnam(user).pw_gid if user else None


def give_to_service_user(*paths: Path) -> None:
    user = run_as_user()
    if user is None:
        return
    account = pwd.getpwnam(user)
    for top in paths:
        for path in [top, *top.rglob("*")]:
            os.chown(path, account.pw_uid, account.pw_gid)
