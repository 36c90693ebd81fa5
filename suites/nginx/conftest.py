"""nginx suite fixtures: the target's `nginx` section, its host (testinfra) and an HTTP client for its URLs."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from testinfra.host import Host

from opsgate.plugin.checks import component, parametrize
from opsgate.plugin.options import TARGET_KEY
from opsgate.probes.hosts import host_for
from opsgate.probes.http import HttpClient
from opsgate.probes.verdicts import NGINX
from opsgate.target import Nginx, Target


def server_names(nginx: Nginx) -> list[str]:
    return nginx.server_names or [urlsplit(nginx.https_url).hostname or ""]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    nginx = metafunc.config.stash[TARGET_KEY].nginx
    if "server_name" in metafunc.fixturenames:
        parametrize(metafunc, "server_name", server_names(nginx) if nginx else [], str, "nginx")
    if "listener" in metafunc.fixturenames:
        urls = [url for url in (nginx.http_url, nginx.https_url) if url] if nginx else []
        parametrize(metafunc, "listener", urls, lambda url: urlsplit(url).scheme, "nginx")


@pytest.fixture(scope="session")
def nginx(target: Target) -> Nginx:
    return component(target, "nginx")


@pytest.fixture(scope="session")
def nginx_host(nginx: Nginx) -> Host:
    return host_for(nginx.host)


@pytest.fixture(scope="session")
def https(nginx: Nginx, target: Target) -> HttpClient:
    return HttpClient(
        nginx.https_url, ca_bundle=target.ca_bundle, timeout=nginx.timeout_s, verdicts=NGINX
    )


@pytest.fixture(scope="session")
def tls_endpoint(nginx: Nginx) -> tuple[str, int]:
    url = urlsplit(nginx.https_url)
    return url.hostname or "", url.port or 443


@pytest.fixture(scope="session")
def https_port(tls_endpoint: tuple[str, int]) -> int:
    """https_url's port, taken as the port nginx listens on, on its host (no NAT or port mapping in between)."""
    return tls_endpoint[1]
