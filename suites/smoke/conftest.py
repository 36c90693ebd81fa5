"""Smoke suite fixtures: clients built from the target's `app` and `frontend` sections, one per run."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from functools import cache
from typing import Any

import pytest
from testinfra.host import Host

from opsgate.core import outages
from opsgate.plugin.checks import component, parametrize, required
from opsgate.plugin.options import TARGET_KEY
from opsgate.probes.app import ReadinessReport, discover_login, login, published_document
from opsgate.probes.browser import Browser, PageVisit
from opsgate.probes.hosts import host_for
from opsgate.probes.http import Answer, HttpClient, clear_text_host, server_of
from opsgate.target import Frontend, Target
from opsgate.target.app import App, Cors, Endpoint, Login

WRITES = ("POST", "PUT", "PATCH", "DELETE")  # an endpoint called with these changes the target: destructive


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    app = metafunc.config.stash[TARGET_KEY].app
    if "endpoint" in metafunc.fixturenames:
        parametrize(metafunc, "endpoint", app.endpoints if app else [], lambda e: f"{e.method} {e.path}",
                    "app.endpoints", marks=lambda e: [pytest.mark.destructive] if e.method in WRITES else [])
    if "allowed_origin" in metafunc.fixturenames:
        origins = app.cors.allowed_origins if app and app.cors else []
        parametrize(metafunc, "allowed_origin", origins, str, "app.cors")


@pytest.fixture(scope="session")
def readiness(api: HttpClient, app: App, target: Target) -> ReadinessReport:
    if app.readiness is None:
        pytest.skip(f"app.readiness not configured in target {target.name}")
    return ReadinessReport(api.call("GET", app.readiness.path), app.readiness)


@pytest.fixture(scope="session")
def login_flow(api: HttpClient, app: App, target: Target) -> Callable[[], Login]:
    """The declared login flow, else the OAuth2 password flow the app's OpenAPI declares; asked for inside the
    check, so an app that cannot answer fails it with a verdict instead of skipping it."""

    @cache
    def flow() -> Login:
        if app.credentials is None:
            pytest.skip(f"app.credentials not configured in target {target.name}")
        host = clear_text_host(app.base_url)
        if host:
            pytest.skip(f"refused: logging in would send the test user's password over plain http:// to "
                        f"{host}; point app.base_url at https://")
        found = app.login or discover_login(api, app.openapi_path)
        if found is None:
            pytest.skip(f"app.login not configured in target {target.name}, and the app's OpenAPI document "
                        f"({app.openapi_path}) declares no OAuth2 password flow")
        return found

    return flow


@pytest.fixture(scope="session")
def session_token(api: HttpClient, app: App, login_flow: Callable[[], Login]) -> Callable[[], str]:
    """Log in once per run, on first use; a failed login fails each check that needs it, with its verdict."""

    @cache
    def token() -> str:
        flow = login_flow()
        assert app.credentials is not None  # login_flow skips without them
        return login(api, flow, app.credentials).access

    return token


@pytest.fixture(scope="session")
def endpoint_answer(api: HttpClient, session_token: Callable[[], str]) -> Callable[[Endpoint], Answer]:
    """Each listed endpoint is called once per run; its checks (expectations, contract) read the same answer."""

    answers: dict[tuple[str, str, bool], Answer] = {}

    def answer(endpoint: Endpoint) -> Answer:
        key = (endpoint.method, endpoint.path, endpoint.auth)
        if key not in answers:
            answers[key] = api.call(endpoint.method, endpoint.path, token=session_token() if endpoint.auth else None)
        return answers[key]

    return answer


@pytest.fixture(scope="session")
def openapi(api: HttpClient, app: App) -> Callable[[], dict[str, Any]]:
    """The app's own OpenAPI document, fetched once; without one there is no contract to check against."""

    @cache
    def document() -> dict[str, Any]:
        found = published_document(api.call("GET", app.openapi_path))
        if found is None:
            pytest.skip(f"the app publishes no OpenAPI document at app.openapi_path ({app.openapi_path})")
        return found

    return document


@pytest.fixture(scope="session")
def app_port(app: App, target: Target) -> int:
    if app.port is None:
        pytest.skip(f"app.port not configured in target {target.name}")
    return app.port


@pytest.fixture(scope="session")
def app_host(app: App) -> Host:
    return host_for(app.host)


@pytest.fixture(scope="session")
def cors(app: App, target: Target) -> Cors:
    return required(app.cors, "app.cors", target)


@pytest.fixture(scope="session")
def frontend(target: Target) -> Frontend:
    return component(target, "frontend")


BROWSER_KEY = pytest.StashKey[Browser]()
CLOSE_WAIT_S = 5  # for Chromium to exit at the end of the run


def _browser(config: pytest.Config, target: Target, frontend: Frontend) -> Browser:
    if BROWSER_KEY not in config.stash:
        config.stash[BROWSER_KEY] = Browser(target.ca_bundle, timeout_s=frontend.timeout_s,
                                            wait_for_order_s=config.option.gate_timeout)
    return config.stash[BROWSER_KEY]


def pytest_configure(config: pytest.Config) -> None:
    """Launch Chromium while the checks are collected: the launch is the slowest part of the browser check and
    needs no server. Under xdist every worker collects every check; the one that runs it launches its own."""
    target = config.stash.get(TARGET_KEY, None)
    if target and target.frontend and not (hasattr(config, "workerinput") or config.option.collectonly):
        _browser(config, target, target.frontend)


def pytest_runtestloop(session: pytest.Session) -> None:
    """After opsgate.plugin.triage's sweep: send the browser to the page while the HTTP checks run, or close it when no
    selected check needs the page or its server is dead (never left loading at exit)."""
    browser = session.config.stash.get(BROWSER_KEY, None)
    frontend = browser and session.config.stash[TARGET_KEY].frontend
    if not (browser and frontend):
        return
    if not outages.at(server_of(frontend.url)) and any("page_visit" in getattr(i, "fixturenames", ())
                                                       for i in session.items):
        browser.visit(frontend.url, frontend.ready_selector)
    else:
        browser.close()  # not waited for here: the checks need not wait for Chromium to exit


def pytest_unconfigure(config: pytest.Config) -> None:
    browser = config.stash.get(BROWSER_KEY, None)
    if browser:
        browser.close(CLOSE_WAIT_S)


@pytest.fixture(scope="session")
def page_visit(pytestconfig: pytest.Config, frontend: Frontend, target: Target) -> PageVisit:
    """The page as the browser saw it; bounded: launch, load, wait for data and screenshot each have a deadline."""
    known = outages.at(server_of(frontend.url))
    if known:
        return PageVisit(frontend.url, frontend.ready_selector, cause=known,
                         error=f"{known.detail} (found at the start of the run; not loaded)")
    try:
        visited = _browser(pytestconfig, target, frontend).visit(frontend.url, frontend.ready_selector)
        return visited.result(timeout=4 * frontend.timeout_s)
    except FutureTimeout:
        return PageVisit(frontend.url, frontend.ready_selector,
                         error=f"the browser did not finish within {4 * frontend.timeout_s:g} s (deadline)")
