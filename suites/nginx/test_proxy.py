"""Proxying: the upstream answers through nginx (502 and 504 told apart, quoting nginx's own log line); then
the error log has nothing serious since the run started; stub_status answers."""

import datetime as dt

import pytest
from testinfra.host import Host

from opsgate.core.verdict import fail
from opsgate.plugin.checks import required
from opsgate.probes.http import HttpClient
from opsgate.probes.nginx import last_upstream_error, parse_stub_status, serious_log_lines
from opsgate.probes.verdicts import NGINX
from opsgate.target import Nginx, Target

pytestmark = pytest.mark.nginx
UPSTREAM_VERDICTS = {502: "nginx/upstream-refused", 504: "nginx/upstream-timeout"}


@pytest.mark.runbook(
    "nginx/upstream-refused",
    "nginx/upstream-timeout",
    "nginx/down",
    "app/health-down",
    "app/not-ready",
    "app/server-errors",
    "app/unexpected-status",
    "tls/handshake-failed",
)
def test_upstream_answers_through_nginx(https: HttpClient, nginx: Nginx, nginx_host: Host) -> None:
    answer = https.call("GET", nginx.upstream_health_path)
    if answer.status in UPSTREAM_VERDICTS:
        logged = last_upstream_error(nginx_host, nginx.error_log)
        fail(
            UPSTREAM_VERDICTS[answer.status],
            f"{answer.request} answered HTTP {answer.status} {answer.snippet}"
            + (f"; nginx logged: {logged}" if logged else ""),
        )
    answer.expect_status(200)


@pytest.mark.runbook("nginx/error-log")
def test_error_log_has_nothing_serious(nginx_host: Host, nginx: Nginx, since: dt.datetime) -> None:
    lines = serious_log_lines(nginx_host, nginx.error_log, since)
    assert not lines, (
        f"{len(lines)} serious line(s) in {nginx.error_log} since {since:%Y-%m-%d %H:%M:%S}: " + " | ".join(lines[-3:])
    )


@pytest.mark.runbook("nginx/stub-status", "tls/handshake-failed", "nginx/down")
def test_stub_status_answers(nginx: Nginx, target: Target) -> None:
    url = required(nginx.stub_status_url, "nginx.stub_status_url", target)
    client = HttpClient(url, ca_bundle=target.ca_bundle, timeout=nginx.timeout_s, verdicts=NGINX)
    answer = client.call("GET", url)
    answer.expect_status(200)
    assert parse_stub_status(answer.text), f"{answer.request} is not stub_status output: {answer.snippet}"
