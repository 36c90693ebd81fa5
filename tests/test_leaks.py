"""No artifact shows a secret: the whole gate runs with wrong passwords full of URL delimiters (so every probe
fails and talks about its credentials), then the console output, the JUnit file, the HTML report and the CI job
summary are grepped for each secret raw, URL-encoded and base64-encoded. `--debug`, which would write them in clear,
is refused."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote, quote_plus

from stack.core import Stack
from tests.conftest import run_pytest
from tests.gate import LOCAL_TARGET

SECRETS = {
    "OPSGATE_PG_MONITOR_PASSWORD": "pg#leak@w/rd:50%off",
    "OPSGATE_REDIS_PASSWORD": "redis#leak@w/rd:7",
    "OPSGATE_DEMO_PASSWORD": "app#leak@w/rd:9",
}


def forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret), base64.b64encode(secret.encode()).decode(),
            base64.b64encode(f"demo:{secret}".encode()).decode()}


def test_no_artifact_shows_a_secret_in_any_form(stack: Stack, tmp_path: Path) -> None:
    junit, page, summary = tmp_path / "gate.xml", tmp_path / "gate.html", tmp_path / "summary.md"
    result = run_pytest(f"--target={LOCAL_TARGET}", "--no-reports", f"--junitxml={junit}", f"--html={page}",
                        "--self-contained-html", "-rA", env={**SECRETS, "GITHUB_STEP_SUMMARY": str(summary)},
                        timeout=300)
    debug = run_pytest(f"--target={LOCAL_TARGET}", "--collect-only", "--debug", env=SECRETS, timeout=60)
    artifacts = {"console": result.stdout + result.stderr, "junit": junit.read_text(), "html": page.read_text(),
                 "job summary": summary.read_text(), "--debug": debug.stdout + debug.stderr}
    assert result.returncode == 1, artifacts["console"][-2000:]
    assert "password authentication failed" in artifacts["junit"]  # the probes did talk about credentials
    assert debug.returncode == 4 and "not allowed" in artifacts["--debug"]
    leaks = [(name, form) for name, text in artifacts.items() for secret in SECRETS.values() for form in forms(secret)
             if form in text]
    assert not leaks, leaks
