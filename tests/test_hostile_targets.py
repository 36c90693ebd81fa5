"""The whole gate against hostile servers of our own on 127.0.0.1 (tests/hostile.py): silent, trickling, garbage.
Every component gets its own server of the kind; the gate must end (the subprocess deadline), name each dead server
once as a root cause with what was seen, and give every other failed check as its consequence — no traceback."""

from __future__ import annotations

import re
from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_pytest
from tests.gate import read_junit
from tests.hostile import Hostile

TIMEOUT_S = 2
COMPONENTS = ("nginx-https", "nginx-http", "postgres", "redis", "prometheus", "alertmanager", "grafana", "docker")
# What each kind of server must be called in the root causes.
SAYS = {
    "silent": ("within 2 s (timeout)", "connection timeout expired"),
    "trickle": ("within 2 s", "did not answer"),
    "garbage": ("non-HTTP bytes", "not a TLS server", "not PostgreSQL", "not a Redis server"),
}
# Which of tests/hostile.py's servers plays each component: a trickle is the protocol's own slow answer (a TLS
# handshake a byte a second, a PostgreSQL or Redis that logs in and then never answers).
TRICKLES = {"nginx-https": "trickle-tls", "postgres": "pg-stall", "redis": "redis-stall"}


def server_kind(kind: str, component: str) -> str:
    return TRICKLES.get(component, "trickle-http") if kind == "trickle" else kind


def hostile_target(path: Path, ports: dict[str, int]) -> Path:
    https, http = f"https://127.0.0.1:{ports['nginx-https']}", f"http://127.0.0.1:{ports['nginx-http']}"
    timeouts = {"timeout_s": TIMEOUT_S}
    target = {
        "name": "hostile",
        "environment": "staging",
        "app": {"base_url": https, **timeouts, "credentials": {"username": "demo", "password": "x"},
                "endpoints": [{"path": "/api/v1/items"}]},
        "frontend": {"url": f"{https}/", "ready_selector": "#app", **timeouts},
        "nginx": {"https_url": https, "http_url": http, "server_names": ["localhost"], **timeouts},
        "postgres": {"dsn": f"postgresql://monitor:pw@127.0.0.1:{ports['postgres']}/app",
                     "connect_timeout_s": TIMEOUT_S},
        "redis": {"url": f"redis://:pw@127.0.0.1:{ports['redis']}/0", **timeouts},
        **{name: {"url": f"http://127.0.0.1:{ports[name]}", **timeouts}
           for name in ("prometheus", "alertmanager", "grafana")},
        "containers": {"docker_host": f"tcp://127.0.0.1:{ports['docker']}", "compose_project": "shop",
                       "services": [{"name": "api"}], **timeouts},
    }
    path.write_text(yaml.safe_dump(target))
    return path


@pytest.mark.parametrize("kind", sorted(SAYS))
def test_the_gate_ends_with_root_causes_against_hostile_servers(kind: str, tmp_path: Path) -> None:
    with ExitStack() as servers:
        ports = {name: servers.enter_context(Hostile(server_kind(kind, name))).port for name in COMPONENTS}
        target = hostile_target(tmp_path / "hostile.yml", ports)
        junit = tmp_path / "gate.xml"
        result = run_pytest(f"--target={target}", "--no-reports", f"--junitxml={junit}", timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "Traceback" not in output and "INTERNALERROR" not in output, output[-3000:]
    verdicts = read_junit(junit)
    failed = {check: v for check, v in verdicts.items() if v.outcome == "failed"}
    assert failed and not [c for c, v in verdicts.items() if v.outcome == "error"], output[-3000:]
    assert all(v.runbook for v in failed.values()), [c for c, v in failed.items() if not v.runbook]
    root_causes = [line for line in output.splitlines() if line.startswith("ROOT CAUSE")]
    assert len(root_causes) >= 5, output[-3000:]  # one per dead server, not one per check
    for phrase in SAYS[kind]:
        assert any(phrase in line for line in root_causes), (phrase, root_causes)
    headline = re.search(r"opsgate: (\d+) root causes?, (\d+) consequences?", output)
    assert headline, output[-3000:]
    roots, consequences = map(int, headline.groups())
    on_their_own = [line for line in output.splitlines() if line.startswith("FAILED ON ITS OWN")]
    assert consequences + len(on_their_own) == len(failed) and consequences > roots, output[-3000:]


def test_a_server_that_dies_during_the_run_is_one_root_cause(tmp_path: Path) -> None:
    """Prometheus answers the sweep, then never again: the first check that meets the silence pays its timeout and
    asks the sweep's question again; every check after it fails at once, as its consequence."""
    with Hostile("dies-after-first") as server:
        target = tmp_path / "dies.yml"
        target.write_text(yaml.safe_dump({"name": "dies", "environment": "staging", "prometheus": {
            "url": f"http://127.0.0.1:{server.port}", "timeout_s": TIMEOUT_S}}))
        junit = tmp_path / "gate.xml"
        result = run_pytest(f"--target={target}", "--no-reports", f"--junitxml={junit}", "-m", "monitoring",
                            timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "all answered" in output, output[-3000:]
    failed = {check: v for check, v in read_junit(junit).items() if v.outcome == "failed"}
    root_causes = [line for line in output.splitlines() if line.startswith("ROOT CAUSE")]
    assert len(root_causes) == 1 and "prometheus down" in root_causes[0], output[-3000:]
    assert "found during the run by" in root_causes[0], root_causes
    assert re.search(rf"opsgate: 1 root cause, {len(failed) - 1} consequences", output), output[-3000:]
    consequences = [v for v in failed.values() if "found dead during the run by" in v.message]
    assert len(failed) >= 3 and len(consequences) == len(failed) - 1, output[-3000:]
