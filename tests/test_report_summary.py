"""What a tired on-call person reads, from real gate runs against the reference stack, one healthy and one with
Redis down: the CI job summary, the HTML report's verdict banner and component grid, and reports/index.html with
its links and trend plots. Every gate here writes into a temporary OPSGATE_REPORTS_DIR."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from opsgate.core.runbook import load_runbook
from opsgate.report.index import write_index
from stack.core import Stack
from tests.conftest import run_pytest

pytestmark = pytest.mark.stack

ARTIFACT = "opsgate-self-test-reports"


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str
    job_summary: str
    html: Path


def gate(reports: Path, summary: Path) -> Run:
    result = run_pytest("-m", "redis", env={"OPSGATE_REPORTS_DIR": str(reports), "GITHUB_STEP_SUMMARY": str(summary),
                                            "OPSGATE_REPORT_ARTIFACT": ARTIFACT})
    html = re.search(r"Generated html report: file://(\S+\.html)", result.stdout)
    assert html, result.stdout[-3000:]
    return Run(result.returncode, result.stdout + result.stderr, summary.read_text(), Path(html[1]))


@pytest.fixture(scope="module")
def runs(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run, Path]:
    """The healthy run, then the run with Redis down (healed whatever happens), into one reports folder."""
    work = tmp_path_factory.mktemp("report-summary")
    reports = work / "reports"
    healthy = gate(reports, work / "healthy.md")
    stack.inject("redis-down")
    try:
        faulty = gate(reports, work / "faulty.md")
    finally:
        stack.heal("redis-down")
    assert (healthy.returncode, faulty.returncode) == (0, 1), faulty.output[-3000:]
    return healthy, faulty, reports


def cell(page: str, label: str) -> str:
    """The grid cell's state class and text, e.g. 'failed: Redis 6 of 6 failed'."""
    found = re.search(rf'class="opsgate-cell opsgate-([a-z-]+)"[^>]*><b>{label}</b>([^<]*)</div>', page)
    assert found, f"no grid cell {label}"
    return f"{found[1]}: {label} {found[2]}"


def test_the_job_summary_gives_the_verdict_the_failed_checks_runbook_and_hint_and_the_report(
        runs: tuple[Run, Run, Path]) -> None:
    healthy, faulty, reports = runs
    assert healthy.job_summary.startswith("## opsgate redis: PASSED")
    assert "| redis | PASSED | 6 | 0 | 0 | 0 |" in healthy.job_summary
    assert faulty.job_summary.startswith("## opsgate redis: FAILED")
    assert "| redis | FAILED | 0 | 6 | 0 | 0 |" in faulty.job_summary
    hint = load_runbook()["redis/unreachable"].hint
    assert f"- `suites/redis/test_redis.py::test_ping_within_budget`: runbook `redis/unreachable` \u2014 {hint}" \
        in faulty.job_summary
    assert "### 1 root cause, 6 consequences" in faulty.job_summary and "ROOT CAUSE redis down" in faulty.job_summary
    assert f"HTML report: `{faulty.html}`, uploaded as artifact `{ARTIFACT}`." in faulty.job_summary
    assert faulty.html.parent == reports
    assert "opsgate-redis-pw" not in faulty.job_summary, "redacted"


def test_the_report_opens_with_the_verdict_banner_and_the_component_grid(runs: tuple[Run, Run, Path]) -> None:
    healthy, faulty, _ = runs
    page = faulty.html.read_text()
    banner = re.search(r'<div class="opsgate-banner"[^>]*>(\w+)<small>([^<]*)</small>', page)
    assert banner and banner[1] == "FAILED" and banner[2].startswith("0 passed, 6 failed, 0 skipped, 0 inconclusive")
    order = [page.index(mark) for mark in ('<div class="opsgate-banner', '<div class="opsgate-triage',
                                           'id="results-table"')]
    assert order == sorted(order), "the banner first, then the root causes, then the checks"
    assert cell(page, "Redis") == "failed: Redis 6 of 6 failed"
    assert cell(page, "Grafana") == "not-configured: Grafana not configured", "targets/local.yml has no grafana"
    assert cell(page, "PostgreSQL") == "not-run: PostgreSQL not run", "configured, but -m redis selects none of it"
    assert "What to do \\u2014 redis/unreachable" in page  # in the JSON pytest-html renders from
    healthy_page = healthy.html.read_text()
    assert '<div class="opsgate-banner" style="background:#1e8449">PASSED' in healthy_page
    assert cell(healthy_page, "Redis") == "passed: Redis 6 passed"


def test_the_index_links_every_run_newest_first_and_plots_the_history(runs: tuple[Run, Run, Path]) -> None:
    healthy, faulty, reports = runs
    history = [json.loads(line) for line in (reports / "history.jsonl").read_text().splitlines()]
    assert [(run["verdict"], run["passed"], run["failed"], run["report"]) for run in history] == [
        ("PASSED", 6, 0, healthy.html.name), ("FAILED", 0, 6, faulty.html.name)]
    index = (reports / "index.html").read_text()
    for run in (faulty, healthy):
        for name in (run.html.name, run.html.with_suffix(".xml").name):
            assert f'<a href="{name}">' in index, f"{name} is not linked"
    assert index.index(faulty.html.name) < index.index(healthy.html.name), "newest first"
    assert "<script" not in index and "http" not in index.split("<svg")[0], "static, offline"
    plots = re.findall(r"<figcaption>([^<]+)</figcaption>(<svg|<p class=no-data>no data yet)", index)
    assert dict(plots) == {
        "DR restore time (RTO) and RPO per night": "<p class=no-data>no data yet",
        "Backup size": "<p class=no-data>no data yet",
        "Load test latency per run, labelled by release": "<p class=no-data>no data yet",
        "Load test throughput per run, labelled by release": "<p class=no-data>no data yet",
        "Failed checks per gate run": "<svg"}


def test_the_plots_draw_dr_and_load_history(tmp_path: Path) -> None:
    """The DR history's and the load tests' summaries' fields (opsgate.dr.run, opsgate.load.recorder) as plots."""
    dr = tmp_path / "dr-history.jsonl"
    dr.write_text("".join(json.dumps({"at": f"2026-12-0{day}T02:00:00+00:00", "rto_s": 40 + day, "rpo_s": 3600,
                                      "size_bytes": 5e6 * day}) + "\n" for day in (1, 2)) + '{"cut sh')
    (tmp_path / "perf").mkdir()
    (tmp_path / "perf" / "load-20261201-020000.json").write_text(json.dumps(
        {"started_at": 1796090400.0, "release": "2.4.0", "total": {"p95_ms": 120.0, "p99_ms": 250.0, "rps": 80.5}}))
    index = write_index(tmp_path, dr).read_text()
    assert index.count("<svg") == 4 and index.count("no data yet") == 1, "all but the gate runs' plot: none ran"
    assert index.count(">2.4.0<") == 3, "each load-test point is labelled by its release (p95, p99, RPS)"
    assert "no runs yet" in index


def test_a_job_summary_that_cannot_be_written_is_one_warning_not_a_failed_gate(stack: Stack, tmp_path: Path) -> None:
    result = run_pytest("-m", "redis", "--no-reports", env={"GITHUB_STEP_SUMMARY": str(tmp_path)})  # a folder
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.stderr.count("opsgate: warning: cannot write the job summary") == 1, result.stderr[-2000:]
