"""nginx in front of the app: TLS from the stack's CA, HTTP→HTTPS redirect, security headers, the frontend,
and the faults that break it (stopped, bad upstreams, edits not reloaded, one setting broken and reloaded)."""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from stack import process
from stack.components import frontend
from stack.components.pki import PKI, ensure_authority, issue_healthy_server_cert
from stack.config import HOST, PORTS, ROOT, SERVER_NAMES, STATE
from stack.files import give_to_service_user, render, run_as_user, write_changed
from stack.model import Component, Controller, Fault, Service, stop
from stack.probes import http_url, probe_http, probe_tcp

NGINX = STATE / "nginx"
CONFIG = NGINX / "nginx.conf"
# The Debian layout: the main file includes these (paths relative to NGINX and to the templates' nginx-debian/).
DEBIAN_INCLUDES = ("conf.d/upstream.conf", "sites-enabled/opsgate", "snippets/security-headers.conf")
SITE = NGINX / "sites-enabled" / "opsgate"
SLOW_PROXY = "slow-proxy"
SLOW_PROXY_DELAY_S = 1.5
UPSTREAM_STALL_S = 8.0  # nginx's proxy_read_timeout is 5 s
EDIT_DELAY_S = 2.5  # the config check tells changes apart from reloads with 1 s slack


@dataclass(frozen=True)
class NginxSettings:
    """The healthy nginx configuration; faults render it with one setting broken."""

    layout: Literal["single", "debian"] = "single"  # one nginx.conf, or Debian's split into included files
    site: frontend.FrontendSettings = dataclasses.field(default_factory=frontend.FrontendSettings)  # what it serves
    upstream_port: int = PORTS["app"]
    redirect_http: bool = True
    hsts: bool = True
    headers_always: bool = True
    server_tokens: bool = False
    ssl_protocols: str = "TLSv1.2 TLSv1.3"
    ssl_ciphers: str = "HIGH:!aNULL:!MD5"
    # Readiness can take 4 s when a dependency hangs (the app's own probe timeout); beyond 5 s the app is stuck.
    proxy_read_timeout_s: int = 5


def nginx_files(settings: NginxSettings) -> dict[Path, str]:
    user = run_as_user()
    always = "always" if settings.headers_always else ""
    hsts = 'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" ' + always + ";"
    values = dict(
        state=STATE,
        host=HOST,
        http_port=PORTS["nginx_http"],
        https_port=PORTS["nginx_https"],
        server_names=" ".join(SERVER_NAMES),
        upstream=f"{HOST}:{settings.upstream_port}",
        user_directive=f"user {user} {user};" if user else "",
        http_server_body=f"return 301 https://$host:{PORTS['nginx_https']}$request_uri;"
        if settings.redirect_http
        else 'return 200 "plain HTTP\\n";',
        hsts_header=hsts if settings.hsts else "# no HSTS",
        always=always,
        server_tokens="on" if settings.server_tokens else "off",
        ssl_protocols=settings.ssl_protocols,
        ssl_ciphers=settings.ssl_ciphers,
        proxy_read_timeout=f"{settings.proxy_read_timeout_s}s",
    )
    if settings.layout == "single":
        return {CONFIG: render("nginx.conf", **values), **frontend.files(settings.site)}
    included = {NGINX / name: render(f"nginx-debian/{name}", **values) for name in DEBIAN_INCLUDES}
    return {CONFIG: render("nginx-debian/nginx.conf", **values), **included, **frontend.files(settings.site)}


def children(pid: int) -> set[int]:
    kids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                kids.add(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return kids


def reload_nginx(pid: int, timeout: float = 10.0) -> None:
    """SIGHUP, then wait until new workers serve and the old ones have left: nginx applies a config
    asynchronously, and keeps the old one (no new workers) when the new one is invalid."""
    old = children(pid)
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while True:
        current = children(pid)
        if current - old and not current & old:
            return
        if time.monotonic() > deadline:
            if current - old:
                return  # applied; an old worker is still finishing a long request
            raise RuntimeError(f"nginx did not apply its new configuration; see {NGINX / 'error.log'}")
        time.sleep(0.05)


def _prepare_nginx() -> None:
    """Issue the server certificate on first use; make the worker-writable temp directories."""
    ca = ensure_authority(PKI)
    if not (PKI / "server.pem").exists():
        issue_healthy_server_cert(ca)
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (NGINX / "tmp" / temp).mkdir(parents=True, exist_ok=True)
    give_to_service_user(NGINX / "tmp")


def _variant(settings: NginxSettings, **broken: object) -> Callable[[Controller], None]:
    """Render nginx's config with one setting broken, and reload: a bad change that went live."""

    def inject(stack: Controller) -> None:
        write_changed(nginx_files(dataclasses.replace(settings, **broken)))
        stack.reload("nginx")

    return inject


def _slow_upstream(settings: NginxSettings, delay_s: float) -> Callable[[Controller], None]:
    """Put a proxy delaying every request by `delay_s` between nginx and the app."""

    def inject(stack: Controller) -> None:
        ports = [str(PORTS["slow_proxy"]), str(settings.upstream_port)]
        process.spawn(SLOW_PROXY, [sys.executable, "-m", "stack.components.slowproxy", *ports, str(delay_s)], cwd=ROOT)
        process.wait_ready(SLOW_PROXY, probe_tcp(PORTS["slow_proxy"]), deadline=10)
        _variant(settings, upstream_port=PORTS["slow_proxy"])(stack)

    return inject


def _stop_proxy(_stack: Controller) -> None:
    process.stop(SLOW_PROXY)


def _edit_on_disk(find: str, replace: str, path: Path = CONFIG) -> Callable[[Controller], None]:
    """Edit a config file without reloading: what someone left on disk for the next reload to pick up."""

    def inject(_stack: Controller) -> None:
        time.sleep(EDIT_DELAY_S)  # an edit made after the last reload, as a person would make it
        path.write_text(path.read_text().replace(find, replace, 1))

    return inject


def component(settings: NginxSettings = NginxSettings()) -> Component:
    service = Service(
        name="nginx",
        port=PORTS["nginx_https"],
        url=f"https://localhost:{PORTS['nginx_https']}",
        command=lambda: ["nginx", "-p", str(NGINX), "-e", str(NGINX / "error.log"), "-c", str(CONFIG)],
        ready=probe_http(http_url("nginx_http", "/"), expect=None),  # serving; what it serves is the suite's job
        files=lambda: nginx_files(settings),
        reload=reload_nginx,
        stop_signal=signal.SIGQUIT,  # graceful: finish in-flight requests
        prepare=_prepare_nginx,
        data_dir=frontend.WWW,
        config=CONFIG,
    )
    faults = (
        Fault("nginx-down", "nginx is stopped", stop("nginx"), ("nginx",)),
        Fault(
            "app-slow",
            f"a proxy adds {SLOW_PROXY_DELAY_S} s between nginx and the app",
            _slow_upstream(settings, SLOW_PROXY_DELAY_S),
            ("nginx",),
            _stop_proxy,
        ),
        Fault(
            "nginx-upstream-refused",
            f"nginx proxies to port {PORTS['nothing_listens']}, where nothing listens",
            _variant(settings, upstream_port=PORTS["nothing_listens"]),
            ("nginx",),
        ),
        Fault(
            "nginx-upstream-timeout",
            f"a proxy holds every request {UPSTREAM_STALL_S:g} s, past proxy_read_timeout",
            _slow_upstream(settings, UPSTREAM_STALL_S),
            ("nginx",),
            _stop_proxy,
        ),
        Fault(
            "nginx-config-broken-on-disk",
            "a syntax error is written to nginx.conf (not reloaded)",
            _edit_on_disk("sendfile on;", "sendfile maybe;"),
            ("nginx",),
        ),
        Fault(
            "nginx-config-not-applied",
            "a valid change is written to nginx.conf (not reloaded)",
            _edit_on_disk("keepalive_timeout 30;", "keepalive_timeout 31;"),
            ("nginx",),
        ),
        Fault(
            "tls-old-protocol",
            "nginx accepts TLS 1.0",
            _variant(settings, ssl_protocols="TLSv1 TLSv1.2 TLSv1.3", ssl_ciphers="DEFAULT:@SECLEVEL=0"),
            ("nginx",),
        ),
        Fault(
            "hsts-missing",
            "nginx sends no Strict-Transport-Security header",
            _variant(settings, hsts=False),
            ("nginx",),
        ),
        Fault(
            "server-tokens-on",
            "nginx shows its version in the Server header",
            _variant(settings, server_tokens=True),
            ("nginx",),
        ),
        Fault(
            "redirect-missing",
            "plain HTTP serves content instead of redirecting to HTTPS",
            _variant(settings, redirect_http=False),
            ("nginx",),
        ),
        Fault(
            "headers-missing-on-errors",
            "security headers lose `always`: error responses go without them",
            _variant(settings, headers_always=False),
            ("nginx",),
        ),
    )
    if settings.layout == "debian":
        faults += (
            Fault(
                "nginx-include-changed",
                "a valid change is written to an included file, sites-enabled/opsgate (not reloaded)",
                _edit_on_disk("proxy_connect_timeout 2s;", "proxy_connect_timeout 3s;", SITE),
                ("nginx",),
            ),
        )
    return Component("nginx", services=(service,), faults=faults)
