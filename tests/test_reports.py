"""Reports a human can act on, secrets nowhere in them, and a gate that fails when it checked nothing."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from stack.core import Stack
from tests.conftest import ROOT, run_pytest, self_test_reports
from tests.gate import patched_target

pytestmark = pytest.mark.stack


def test_each_run_writes_html_and_junit_with_metadata(stack: Stack) -> None:
    result = run_pytest("-m", "smoke")
    assert result.returncode == 0, result.stdout[-3000:]
    html_path = Path(re.search(r"Generated html report: file://(\S+\.html)", result.stdout)[1])
    reports = self_test_reports()  # OPSGATE_REPORTS_DIR: the operator's reports/latest.* stay theirs
    assert re.fullmatch(r"smoke-\d{8}-\d{6}\.html", html_path.name) and html_path.parent == reports
    xml_path = html_path.with_suffix(".xml")
    assert (reports / "latest.html").resolve() == html_path
    assert (reports / "latest.xml").resolve() == xml_path
    page = html_path.read_text()
    for field in ("Target", "local (", "Environment", "App version", "1.4.0", "opsgate", "Started", "Duration"):
        assert field in page, f"report metadata lacks {field}"
    assert "<script src=" not in page, "the report must be self-contained"
    cases = list(ET.parse(xml_path).getroot().iter("testcase"))
    assert cases and all(float(case.get("time", "-1")) >= 0 for case in cases), "per-check durations"
    assert "PASSED" in result.stdout, "progress is visible on the console, check by check"


URL_SECRET = "url-secret-7f3a9c"
WRONG_PASSWORD = "wrong-demo-secret-51c2"
STACK_SECRETS = ("opsgate-app-pw", "opsgate-redis-pw")


def test_secrets_are_redacted_from_every_artifact(stack: Stack, tmp_path: Path) -> None:
    """Failing checks whose messages carry secrets (a URL with a password, a rejected password), with debug logs
    on the console: no artifact may contain any secret value."""
    target = patched_target("redaction", {"app": {"base_url": "https://probe:${OPSGATE_T_URL_SECRET}@localhost:18443"}})
    html, junit = tmp_path / "report.html", tmp_path / "report.xml"
    result = run_pytest(
        "-m", "smoke", f"--target={target}", f"--html={html}", "--self-contained-html", f"--junitxml={junit}",
        "-o", "log_cli=true", "--log-cli-level=DEBUG", "--log-level=DEBUG",
        env={"OPSGATE_T_URL_SECRET": URL_SECRET, "OPSGATE_DEMO_PASSWORD": WRONG_PASSWORD},
    )  # fmt: skip
    assert result.returncode == 1, "the run must fail: its failure messages are what we grep"
    artifacts = {"console": result.stdout + result.stderr, "html": html.read_text(), "junit": junit.read_text()}
    for name, text in artifacts.items():
        for secret in (URL_SECRET, WRONG_PASSWORD, *STACK_SECRETS):
            assert secret not in text, f"{secret} leaked into the {name}"
    failures = [f.get("message", "") for f in ET.parse(junit).getroot().iter("failure")]
    assert any("probe:***@localhost" in message for message in failures), "a failure message carried the secret"


def test_zero_executed_checks_fail_the_gate_when_all_deselected(stack: Stack) -> None:
    result = run_pytest("-m", "smoke and not smoke", "--no-reports")
    assert result.returncode != 0
    assert "gate executed 0 checks" in result.stdout


def test_zero_executed_checks_fail_the_gate_when_all_skipped(tmp_path: Path) -> None:
    bare = tmp_path / "bare.yml"
    bare.write_text("name: bare\nenvironment: staging\n")
    result = run_pytest("-m", "smoke", f"--target={bare}", "--no-reports")
    assert result.returncode == 5, result.stdout[-2000:]
    assert "gate executed 0 checks" in result.stdout
    assert "not configured in target bare" in result.stdout, "skips say why"


def test_destructive_checks_refuse_a_production_target(tmp_path: Path) -> None:
    production = tmp_path / "prod.yml"
    production.write_text("name: prod\nenvironment: production\n")
    check = tmp_path / "test_writes.py"
    check.write_text("import pytest\n\n@pytest.mark.destructive\ndef test_writes_a_canary_row():\n    pass\n")
    result = run_pytest(str(check), f"--target={production}", "--no-reports", "-c", str(ROOT / "pytest.ini"))
    assert "refused: test_writes_a_canary_row writes to the target and prod is production" in result.stdout
    assert result.returncode == 5, "a refused check is not a pass"

    production.write_text("name: prod\nenvironment: production\nallow_writes: true\n")
    allowed = run_pytest(str(check), f"--target={production}", "--no-reports", "-c", str(ROOT / "pytest.ini"))
    assert allowed.returncode == 0, allowed.stdout[-2000:]


def test_a_citation_the_check_did_not_declare_is_rejected(tmp_path: Path) -> None:
    """The runbook section a failure cites must be one the check declares: probes return facts, and a check that
    cites some other component's section is a bug, reported as such rather than as a verdict. A consequence of an
    outage found this run cites its root cause's section, whatever the check declares: a verdict, not a bug."""
    target = tmp_path / "t.yml"
    target.write_text("name: t\nenvironment: staging\n")
    check = tmp_path / "test_cites.py"
    check.write_text(
        "import pytest\nfrom opsgate.core.verdict import fail\n\n"
        "@pytest.mark.runbook('app/health-down')\ndef test_declared():\n    fail('app/health-down', 'down')\n\n"
        "@pytest.mark.runbook('app/health-down')\ndef test_undeclared():\n    fail('nginx/down', 'elsewhere')\n\n"
        "@pytest.mark.runbook('app/health-down')\ndef test_consequence():\n"
        "    from opsgate.core.outages import Outage\n"
        "    proxy = Outage('nginx', 'localhost:443', 'not-tls', 'localhost:443 does not speak TLS')\n"
        "    fail('tls/handshake-failed', proxy.seen_again, proxy)\n"
    )
    result = run_pytest(str(check), f"--target={target}", "--no-reports", "-c", str(ROOT / "pytest.ini"))
    assert result.returncode == 1, result.stdout[-2000:]
    assert "runbook app/health-down: " in result.stdout
    assert "UndeclaredCitation: test_undeclared cites runbook 'nginx/down', which its @pytest.mark.runbook does not " \
           "declare (app/health-down)" in result.stdout
    assert "UndeclaredCitation: test_consequence" not in result.stdout
    assert "runbook tls/handshake-failed: " in result.stdout, "the consequence cites its root cause's section"
