"""nginx accepts connections on its ports, and plain HTTP redirects to the same host over HTTPS."""

import socket
from urllib.parse import urlsplit

import pytest

from opsgate.plugin.checks import required
from opsgate.probes.http import HttpClient
from opsgate.probes.verdicts import NGINX
from opsgate.target import Nginx, Target

pytestmark = pytest.mark.nginx


@pytest.mark.runbook("nginx/down")
def test_port_accepts_connections(listener: str, nginx: Nginx) -> None:
    url = urlsplit(listener)
    port = url.port or {"http": 80, "https": 443}[url.scheme]
    try:
        socket.create_connection((url.hostname, port), timeout=nginx.timeout_s).close()
    except OSError as exc:
        pytest.fail(f"{url.hostname}:{port} does not accept connections: {exc.strerror or exc}")


@pytest.mark.runbook("nginx/redirect-missing", "nginx/down")
def test_plain_http_redirects_to_https(nginx: Nginx, target: Target) -> None:
    http_url = required(nginx.http_url, "nginx.http_url", target)
    http = HttpClient(http_url, ca_bundle=None, timeout=nginx.timeout_s, verdicts=NGINX)
    answer = http.call("GET", "/opsgate-redirect-probe?x=1")
    answer.expect_reachable()
    location = urlsplit(answer.headers.get("Location", ""))
    assert answer.status in (301, 308) and location.scheme == "https", (
        f"{answer.request} answered HTTP {answer.status} (Location: {location.geturl() or 'none'}): plain HTTP is "
        "served, not redirected to HTTPS"
    )
    expected = urlsplit(nginx.https_url).hostname
    assert location.hostname == expected and location.geturl().endswith("/opsgate-redirect-probe?x=1"), (
        f"the redirect goes to {location.geturl()}, not to the same path on https://{expected}"
    )
