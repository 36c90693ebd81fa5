"""The load test's own proofs beyond the fault matrix (which runs the stack's soak profile): exact percentiles merged
across processes, the shapes' schedules, the stress profile's breaking point, the baseline comparison, and
Locust's --processes mode against the reference stack."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import uvicorn
import yaml
from fastapi import FastAPI, HTTPException
from hdrh.histogram import HdrHistogram
from pydantic import ValidationError

from opsgate.load import profiles
from opsgate.load.process_drift import process_budgets
from opsgate.load.recorder import LOGIN, Recorder, histogram
from opsgate.load.report import report_html
from opsgate.load.run import plan, run_locust
from opsgate.load.verdict import Step, breaking_point, thresholds
from opsgate.probes.openapi import item_template
from opsgate.target import load_target
from opsgate.target.perf import LoadProfile, Perf, PerfRequest, Resource, Slo, StressProfile
from stack.components.postgres.server import admin_connection
from stack.config import APP_DB
from stack.core import Stack
from tests.conftest import ROOT
from tests.gate import LOCAL_TARGET, patched_target, run_gate

STRESS = {"start_users": 5, "step_users": 10, "step_s": 4, "max_users": 25, "spawn_rate": 50}
SHORT_LOAD = {"profile": "load", "load": {"users": 5, "spawn_rate": 10, "duration_s": 8}}


def test_percentiles_merged_from_workers_are_those_of_all_samples() -> None:
    """Two workers' records, taken and merged on a master, give the percentiles one histogram of every sample
    gives, to 3 significant digits (Locust's own statistics round 1234.5 ms to 1200)."""
    samples = [1.0 + (i * 7.3) % 1500 for i in range(2000)]
    workers = [Recorder(window_s=1.0), Recorder(window_s=1.0)]
    master = Recorder(window_s=1.0)
    everything = histogram()
    for i, value in enumerate(samples):
        worker = workers[i % 2]
        worker.started = time.time()
        worker.record("GET /", value, failed=i % 10 == 0)
        everything.record_value(round(value * 1000))
    for number, worker in enumerate(workers):
        master.merge(json.loads(json.dumps(worker.take())), f"worker-{number}")  # as it crosses the wire
    merged: HdrHistogram = master.totals["GET /"]
    for q in (50, 95, 99):
        assert merged.get_value_at_percentile(q) == everything.get_value_at_percentile(q)
    assert merged.get_total_count() == len(samples) and master.errors["GET /"] == 200
    exact = sorted(samples)[int(0.95 * len(samples)) - 1] * 1000
    assert abs(merged.get_value_at_percentile(95) - exact) <= exact * 0.001 + 1000


def _ticks(schedule: Any, sizes: dict[str, Any], seconds: list[float],
           held: Any = lambda _step: True) -> list[tuple[int, float] | None]:
    return [schedule(sizes, second, held) for second in seconds]


def test_every_profile_follows_its_sizes_and_ends_by_itself() -> None:
    assert _ticks(profiles.load, {"users": 10, "spawn_rate": 5, "duration_s": 30}, [0, 29, 30]) == \
        [(10, 5), (10, 5), None]
    spike = {"users": 5, "spike_users": 25, "before_s": 5, "spike_s": 5, "after_s": 5, "spawn_rate": 50}
    assert _ticks(profiles.spike, spike, [1, 6, 11, 15]) == [(5, 50), (25, 50), (5, 50), None]
    assert _ticks(profiles.stress, STRESS, [0, 8, 12]) == [(5, 50), (25, 50), None], "it ends at max_users"
    assert _ticks(profiles.stress, STRESS, [0, 4, 8], held=lambda step: step < 1) == [(5, 50), (15, 50), None], \
        "and after the first step that broke an SLO"


def test_the_breaking_point_is_the_last_step_before_the_first_that_broke() -> None:
    def step(users: int, held: bool) -> Step:
        return Step(users, 100, 10.0, 0.0, held)

    assert breaking_point([step(5, True), step(15, True), step(25, False), step(35, True)]) == 15
    assert breaking_point([step(5, False)]) is None
    assert breaking_point([step(5, True), step(15, True)]) == 15


def items() -> int:
    """Rows of the reference app's table the load writes to (the nightly backups are compared with it)."""
    with admin_connection(APP_DB) as conn:
        return conn.execute("SELECT count(*) FROM items").fetchone()[0]


def _perf_target(name: str, **perf: Any) -> Path:
    return patched_target(name, {"perf": perf})


@pytest.mark.stack
def test_stress_reports_its_breaking_point_and_stops_when_an_slo_breaks(stack: Stack, tmp_path: Path) -> None:
    target = _perf_target("perf-stress", stress=STRESS)
    rows = items()
    healthy = run_gate("perf", tmp_path / "healthy", target=target, extra=("--perf-profile=stress",))
    verdict = healthy.verdicts["test_slo::test_stress_breaking_point"]
    assert verdict.outcome == "passed", healthy.output[-2000:]
    stack.inject("app-slow")
    try:
        slowed = run_gate("perf", tmp_path / "slowed", target=target, extra=("--perf-profile=stress",))
    finally:
        stack.heal("app-slow")
    verdict = slowed.verdicts["test_slo::test_stress_breaking_point"]
    assert verdict.outcome == "failed" and verdict.runbook == "perf/slow-responses", slowed.output[-2000:]
    assert "the SLOs broke at the first step (5 users" in verdict.message, verdict.message
    assert items() == rows, "users stopped mid-task (1.5 s a request) left rows of their own in the app's table"


def _summary_of_a_run(tmp_path: Path, target_file: Path) -> Path:
    """A real run, as the perf suite makes it, whose summary is the baseline of the next."""
    target = load_target(target_file)
    assert target.perf and target.app and target.app.credentials
    summary = tmp_path / "baseline.json"
    run_plan = plan(target.perf, "load", target.app, target.app.login, target.ca_bundle, summary)
    run = run_locust(run_plan, target.perf, tmp_path, target.app.credentials.password.get_secret_value(),
                     lambda _line: None)
    assert run.failure is None and run.summary and run.summary["total"]["count"], run.failure
    return summary


@pytest.mark.stack
def test_a_slower_run_than_its_baseline_fails_and_a_like_one_passes(stack: Stack, tmp_path: Path) -> None:
    # Loose (3x), so a busy machine's noise in milliseconds is not a regression; 1.5 s more per request is.
    target = _perf_target("perf-baseline", baseline_regression_pct=200, **SHORT_LOAD)
    baseline = _summary_of_a_run(tmp_path, target)
    check = "test_slo::test_p95_no_worse_than_the_baseline"
    like = run_gate("perf", tmp_path / "like", target=target, extra=(f"--perf-baseline={baseline}",))
    assert check in like.verdicts and like.verdicts[check].outcome == "passed", like.output[-2000:]
    # The same summary judged as a run elsewhere (a Kubernetes master's): no load is sent, the SLOs are judged.
    elsewhere = run_gate("perf", tmp_path / "elsewhere", target=target, extra=(f"--perf-summary={baseline}",))
    assert elsewhere.verdicts["test_slo::test_slo_holds[all requests p95]"].outcome == "passed", elsewhere.output
    assert "opsgate perf: load profile" not in elsewhere.output
    stack.inject("app-slow")
    try:
        slower = run_gate("perf", tmp_path / "slower", target=target, extra=(f"--perf-baseline={baseline}",))
    finally:
        stack.heal("app-slow")
    verdict = slower.verdicts[check]
    assert verdict.outcome == "failed" and verdict.runbook == "perf/regressed", slower.output[-2000:]
    assert "slower than the baseline baseline.json" in verdict.message


@pytest.mark.stack
def test_locust_processes_merge_into_one_summary(stack: Stack, tmp_path: Path) -> None:
    """--processes 2: the master's summary holds every worker's requests and each process's own samples."""
    summary = json.loads(_summary_of_a_run(tmp_path, _perf_target("perf-processes", processes=2,
                                                                  **SHORT_LOAD)).read_text())
    processes = sorted(key.split("/")[-1] for key in summary["generator"])
    assert processes == ["master", "worker", "worker"], processes
    assert summary["total"]["count"] == sum(stats["count"] for name, stats in summary["requests"].items()
                                            if name != LOGIN) > 100, "every request but the logins, in the overall"
    assert summary["requests"][LOGIN]["count"] == 5, "one login per user, judged on its own"
    assert summary["most_users"] == 5 and not summary["total"]["errors"], summary["total"]


def test_the_kubernetes_manifest_is_valid_and_its_plan_is_the_gates(tmp_path: Path) -> None:
    """Offline, against the Kubernetes schemas (kubernetes-validate): the master and workers run the gate module,
    and the ConfigMap's plan has exactly the keys the gate's own plan has."""
    documents = list(yaml.safe_load_all((ROOT / "perf" / "k8s" / "locust.yaml").read_text()))
    for document in documents:
        kubernetes_validate.validate(document, "1.30", strict=True)
    kinds = {document["kind"]: document for document in documents}
    assert {"Job", "Deployment", "Service", "ConfigMap", "Secret"} <= set(kinds)
    for workload in (kinds["Job"], kinds["Deployment"]):
        args = workload["spec"]["template"]["spec"]["containers"][0]["args"]
        assert args[:2] == ["-f", "opsgate/load/locust_gate.py,opsgate/load/locustfile.py"], args
    target = load_target(LOCAL_TARGET)
    assert target.perf
    ours = plan(target.perf, "load", target.app, None, None, tmp_path / "summary.json")
    theirs = json.loads(kinds["ConfigMap"]["data"]["plan.json"])
    assert set(theirs) == set(ours) and set(theirs["requests"][0]) == set(ours["requests"][0])


OWN_USERS = '''
from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser


class Poller(FastHttpUser):
    wait_time = constant(0.05)

    @task
    def health(self) -> None:
        self.client.get("/health", name="their health")
'''


@pytest.mark.stack
def test_a_locustfile_of_ones_own_gets_the_same_gate(stack: Stack, tmp_path: Path) -> None:
    """perf.locustfile: the team's own users, the gate's profile, percentiles and SLOs."""
    (tmp_path / "theirs.py").write_text(OWN_USERS)
    target = tmp_path / "theirs.yml"
    target.write_text(yaml.safe_dump({
        "name": "theirs", "environment": "test", "ca_bundle": str(ROOT / ".stack" / "pki" / "ca.pem"),
        "app": {"base_url": "https://localhost:18443"},
        "perf": {"locustfile": "theirs.py", **SHORT_LOAD, "slo_by_request": {"their health": {"p95_ms": 250}}}}))
    run = run_gate("perf", tmp_path / "run", target=target)
    assert run.returncode == 0, run.output[-2000:]
    assert run.verdicts["test_slo::test_slo_holds[their health p95]"].outcome == "passed"


@pytest.mark.stack
def test_the_load_leaves_no_rows_behind_even_when_requests_fail(stack: Stack, tmp_path: Path) -> None:
    """Every fifth items request answers 500, deletes too: each user asks again (and the gate after the run), so
    the live table ends as it began (the nightly backups are compared with it), which the rows check says with its
    evidence; the error rate names what the errors were; the logins (spared by the fault) are judged on their own."""
    before = items()
    stack.inject("app-errors")
    try:
        run = run_gate("perf", tmp_path, target=_perf_target("perf-cleanup", **SHORT_LOAD, slo_by_request={
            "health poller": {"p95_ms": 250}, LOGIN: {"error_rate_pct": 0}}))
    finally:
        stack.heal("app-errors")
    rate = run.verdicts["test_slo::test_slo_holds[all requests error rate]"]
    assert rate.outcome == "failed", run.output[-2000:]
    assert re.search(r"; top failures: \d+ x [A-Z]+ /api/v1/items\S*: HTTP 500, expected", rate.message), rate.message
    assert run.verdicts["test_slo::test_slo_holds[login error rate]"].outcome == "passed", run.output[-2000:]
    assert run.verdicts["test_slo::test_no_rows_left_behind"].outcome == "passed", run.output[-2000:]
    evidence = _properties(tmp_path / "perf.xml", "test_no_rows_left_behind")["rows"]
    created = int(evidence.split()[0])
    assert created > 10 and evidence.startswith(f"{created} created, {created} removed ("), evidence
    assert items() == before, "the load test left rows of its own in the app's table"


def _properties(junit: Path, check: str) -> dict[str, str]:
    """The properties a check recorded (its evidence), from the gate's JUnit file."""
    case = next(case for case in ET.parse(junit).getroot().iter("testcase") if case.get("name") == check)
    return {p.get("name", ""): p.get("value", "") for p in case.iter("property")}


@pytest.mark.stack
def test_rows_the_load_cannot_remove_fail_the_run_naming_them(stack: Stack, tmp_path: Path) -> None:
    """An item URL with a slash too many: the app redirects every write there, and a redirect is not followed
    (nor taken for success): the users cannot delete their rows, nor can the gate after the run. The error rate
    names the redirect, and the rows check fails naming exactly the rows still in the table, which this test then
    removes."""
    marker = f"opsgate rows test {time.time_ns()}"  # the rows of this run alone (other loads may write beside it)
    target = _perf_target("perf-rows-left", **SHORT_LOAD, resource={
        "path": "/api/v1/items", "item_path": "/api/v1/items/{id}/", "create": {"name": marker}, "update": None})
    try:
        run = run_gate("perf", tmp_path, target=target)
        rate = run.verdicts["test_slo::test_slo_holds[all requests error rate]"]
        assert rate.outcome == "failed", run.output[-2000:]
        assert "x DELETE /api/v1/items/{id}/: answered 307 -> https://localhost/api/v1/items/{id}: write the URL as " \
            "the app publishes it (trailing slash?)" in rate.message, rate.message
        rows = run.verdicts["test_slo::test_no_rows_left_behind"]
        assert rows.outcome == "failed" and rows.runbook == "perf/rows-left-behind", run.output[-2000:]
        left = _ids(marker)
        assert f"{len(left)} of the {len(left)} rows the load created are still in the app" in rows.message, \
            (rows.message, len(left))
        named = [int(found) for found in re.findall(r"https://localhost:18443/api/v1/items/(\d+)/", rows.message)]
        assert named and set(named) <= set(left), (named, left)
        assert "DELETE answered 307 (a redirect: not the URL the app publishes)" in rows.message, rows.message
    finally:
        with admin_connection(APP_DB) as conn:
            conn.execute("DELETE FROM items WHERE name = %s", (marker,))


def _ids(name: str) -> list[int]:
    with admin_connection(APP_DB) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM items WHERE name = %s", (name,))]


@pytest.mark.stack
def test_tags_run_only_the_tasks_they_name(stack: Stack, tmp_path: Path) -> None:
    target = _perf_target("perf-tags", tags=["reads"], requests=[
        {"path": "/api/v1/items", "name": "tagged read", "tags": ["reads"]}, {"path": "/health", "name": "untagged"}],
        **SHORT_LOAD)
    summary = json.loads(_summary_of_a_run(tmp_path, target).read_text())
    assert set(summary["requests"]) == {"login", "tagged read"}, set(summary["requests"])


def test_a_profile_of_its_own_slo_is_judged_by_it() -> None:
    perf = Perf(requests=(PerfRequest(path="/"),), slo=Slo(p95_ms=500),
                stress=StressProfile(slo=Slo(p95_ms=2000, error_rate_pct=5)))
    assert {(t.metric, t.limit) for t in thresholds(perf, "stress")} == {("p95_ms", 2000), ("error_rate_pct", 5)}
    assert {(t.metric, t.limit) for t in thresholds(perf, "load")} == {("p95_ms", 500)}


# No /metrics and no drift queries: the soak's drift comes from the app's own processes alone (local.yml's budgets).
WITHOUT_METRICS = {"prometheus": None, "perf": {"drift": None}}


def test_the_app_process_is_judged_by_default_only_when_nothing_else_would_be() -> None:
    def budgets(name: str, patch: dict[str, Any]) -> dict[str, float]:
        return process_budgets(load_target(patched_target(name, patch)))

    assert budgets("process-defaults", {"prometheus": None, "perf": {"drift": None, "process_drift": None}}) == \
        {"memory": 100e6, "open files": 100, "threads": 50}
    assert budgets("process-app-job", {"perf": {"drift": None, "process_drift": None}}) == {}, \
        "an app job in Prometheus gives the default drift queries instead"
    assert budgets("process-declared", {"prometheus": None, "perf": {"process_drift": {"threads": None}}}) == \
        {"memory": 2000e6, "open files": 7200}, "declared budgets are judged whatever else is, null ones are not"


@pytest.mark.stack
def test_a_soak_without_metrics_judges_the_app_process_own_growth(stack: Stack, tmp_path: Path) -> None:
    """Neither Prometheus nor drift queries: the processes holding app.port, sampled from /proc during a 20 s soak,
    fail perf/resource-growth on app-memory-leak, with their evidence; open files and threads, not leaking, pass.
    (targets/local.yml judges the same checks, so the fault matrix's healthy perf run passes them on the healthy
    stack.) The budgets are local.yml's, a short soak's: its noise is hundreds of MB and threads per hour."""
    target = patched_target("perf-process-drift", {**WITHOUT_METRICS, "perf": {
        **WITHOUT_METRICS["perf"], "soak": {"duration_s": 20, "warmup_s": 4}}})
    stack.inject("app-memory-leak")
    try:
        run = run_gate("perf", tmp_path, target=target, extra=("-k", "test_soak"))
    finally:
        stack.heal("app-memory-leak")
    process = "test_soak::test_the_app_process_does_not_grow"
    memory = run.verdicts[f"{process}[app process memory]"]
    assert memory.outcome == "failed" and memory.runbook == "perf/resource-growth", run.output[-2000:]
    assert re.search(r"MB first, [\d.]+ MB last, [\d.e+]+ MB per hour fitted over \d+ samples in \d+ s, summed over "
                     r"pids \d+, \d+, \d+ on local://; the budget is 2000 MB per hour", memory.message), memory.message
    assert {check: verdict.outcome for check, verdict in run.verdicts.items() if "memory" not in check} == {
        f"{process}[app process open files]": "passed", f"{process}[app process threads]": "passed",
        "test_soak::test_nothing_grows_during_the_soak[none]": "skipped"}


def test_the_item_url_is_the_one_the_app_publishes() -> None:
    """The collection as published (trailing slash and all), the item URL template from the app's OpenAPI document,
    else joined with one slash; a template without exactly one placeholder is refused."""
    document = {"paths": {"/api/v1/items/": {"get": {}, "post": {}},
                          "/api/v1/items/{item_id}": {"get": {}, "put": {}, "delete": {}},
                          "/api/v1/items/{item_id}/tags/{tag}": {"get": {}, "delete": {}}}}
    assert item_template(document, "/api/v1/items/") == item_template(document, "/api/v1/items") == \
        "/api/v1/items/{item_id}"
    assert item_template(document, "/api/v1/users/") is None
    resource = Resource(path="/api/v1/items/", create={"title": "x"})
    assert resource.item_template(None) == "/api/v1/items/{id}", "one slash between, not two"
    assert resource.item_template("/api/v1/items/{item_id}") == "/api/v1/items/{item_id}"
    assert Resource(path="/items", item_path="/items/{id}/", create={}).item_template("/x/{y}") == "/items/{id}/"
    with pytest.raises(ValidationError, match=r"exactly one \{placeholder\}"):
        Resource(path="/items", item_path="/items/latest", create={})


def test_the_logins_are_left_out_of_the_traffic() -> None:
    """Ten slow logins (bcrypt, all at once) beside 400 fast reads: the overall figures are the reads', the
    logins have their own, and a login SLO is a row of its own."""
    recorder = Recorder(window_s=1.0)
    recorder.started = time.time()
    for _ in range(10):
        recorder.record(LOGIN, 3000.0, failed=False)
    for i in range(400):
        recorder.record("GET /api/v1/items", 40.0 + i % 10, failed=i % 100 == 0)
    summary = recorder.summary(10.0, 10, [])
    assert summary["total"]["count"] == 400 and summary["total"]["errors"] == 4
    assert summary["total"]["p99_ms"] < 50 and summary["total"]["max_ms"] < 50, summary["total"]
    assert summary["requests"][LOGIN]["count"] == 10 and summary["requests"][LOGIN]["p99_ms"] > 2990
    assert sum(window["count"] for window in summary["windows"]) == 400, "the windows (stress steps) too"
    perf = Perf(requests=(PerfRequest(path="/"),), slo_by_request={LOGIN: Slo(p95_ms=5000)})
    assert {t.id for t in thresholds(perf, "load")} == {"all requests p95", "all requests error rate", "login p95"}


TEMPLATE_STYLE_ITEMS = FastAPI()  # the full-stack template's collection: a trailing slash, 307 on the slashless form
STORED: dict[str, dict[str, Any]] = {}


@TEMPLATE_STYLE_ITEMS.post("/api/v1/items/", status_code=201)
def _create(body: dict[str, Any]) -> dict[str, Any]:
    row = str(uuid.uuid4())
    STORED[row] = {**body, "id": row}
    return STORED[row]


@TEMPLATE_STYLE_ITEMS.get("/api/v1/items/{item_id}")
def _read(item_id: str) -> dict[str, Any]:
    if item_id not in STORED:
        raise HTTPException(404)
    return STORED[item_id]


@TEMPLATE_STYLE_ITEMS.put("/api/v1/items/{item_id}")
def _update(item_id: str, body: dict[str, Any]) -> dict[str, Any]:
    if item_id not in STORED:
        raise HTTPException(404)
    STORED[item_id].update(body)
    return STORED[item_id]


@TEMPLATE_STYLE_ITEMS.delete("/api/v1/items/{item_id}")
def _delete(item_id: str) -> dict[str, str]:
    if STORED.pop(item_id, None) is None:
        raise HTTPException(404)
    return {"message": "Item deleted successfully"}


def test_a_template_style_api_is_loaded_at_its_own_urls(tmp_path: Path) -> None:
    """Against a template-style app (plain HTTP): `path: /api/v1/items/` and the item URL from its OpenAPI document
    create, read, update and delete every row without an error, none left; a write to the slashless form is
    reported as the redirect it is, and creates nothing."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(TEMPLATE_STYLE_ITEMS, log_level="warning"))
        serving = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
        serving.start()
        try:
            while not server.started:
                time.sleep(0.05)
            base = f"http://127.0.0.1:{listening.getsockname()[1]}"
            perf = Perf(base_url=base, think_time_s=(0.05, 0.1), load=LoadProfile(users=3, spawn_rate=10, duration_s=5),
                        resource=Resource(path="/api/v1/items/", create={"title": "load"}, update={"title": "again"},
                                          auth=False),
                        requests=(PerfRequest(path="/api/v1/items", method="POST", json={"title": "no"}, status=201,
                                              name="slashless create"),))
            run_plan = plan(perf, "load", None, None, None, tmp_path / "summary.json",
                            item_template(TEMPLATE_STYLE_ITEMS.openapi(), "/api/v1/items/"))
            run = run_locust(run_plan, perf, tmp_path, None, lambda _line: None)
        finally:
            server.should_exit = True
            serving.join(timeout=10)
    assert run.failure is None and run.summary, run.failure
    summary = run.summary
    assert run_plan["resource"]["item_path"] == "/api/v1/items/{item_id}"
    assert [(f["name"], f["error"]) for f in summary["failures"]] == [
        ("slashless create", f"answered 307 -> {base}/api/v1/items/: write the URL as the app publishes it "
         "(trailing slash?)")], summary["failures"]
    for name in ("POST /api/v1/items/", "GET /api/v1/items/{item_id}", "PUT /api/v1/items/{item_id}",
                 "DELETE /api/v1/items/{item_id}"):
        assert summary["requests"][name]["count"] and not summary["requests"][name]["errors"], (name, summary)
    rows = summary["rows"]
    assert rows["created"] == rows["removed"] > 10 and not rows["undeleted"], rows
    assert not STORED, "the app's rows are all gone"


def test_the_report_shows_the_top_failures_and_the_rows_left(tmp_path: Path) -> None:
    summary = {"total": {"count": 90, "errors": 30, "rps": 9.0}, "duration_s": 10, "most_users": 5, "requests": {},
               "windows": [], "generator": {},
               "failures": [{"name": "PUT /api/v1/items/{id}", "method": "PUT", "error": "HTTP 404, expected 200/204",
                             "occurrences": 30}],
               "rows": {"created": 30, "removed": 28, "removed_after": 1,
                        "left": {"https://app.example/api/v1/items/7": "DELETE answered 403"}}}
    html = report_html("load", "fail", [], [], summary, [], None, None, tmp_path)
    assert "<td>PUT /api/v1/items/{id}</td><td>HTTP 404, expected 200/204</td><td>30</td>" in html
    assert "created: 30, removed by them 28, by the\ngate after the run 1, left 1: " \
        "https://app.example/api/v1/items/7 (DELETE answered 403)" in html
