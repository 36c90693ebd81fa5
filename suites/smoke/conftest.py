"""Smoke suite fixtures: clients built from the target's `app` and `frontend` sections, one per run."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from tempfile import TemporaryDirectory

import pytest
from testinfra.host import Host

from fixtures.app import Readiness, Tokens, login
from fixtures.browser import PageVisit, trusting_home, visit
from fixtures.checks import component, parametrize
from fixtures.hosts import host_for
from fixtures.http import HttpClient
from fixtures.options import TARGET_KEY
from fixtures.target import App, Cors, Frontend, Target


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    app = metafunc.config.stash[TARGET_KEY].app
    if "endpoint" in metafunc.fixturenames:
        parametrize(metafunc, "endpoint", app.endpoints if app else [], lambda e: f"{e.method} {e.path}",
                    "app.endpoints")
    if "allowed_origin" in metafunc.fixturenames:
        origins = app.cors.allowed_origins if app and app.cors else []
        parametrize(metafunc, "allowed_origin", origins, str, "app.cors")


@pytest.fixture(scope="session")
def app(target: Target) -> App:
    return component(target, "app")


@pytest.fixture(scope="session")
def api(app: App, target: Target) -> HttpClient:
    return HttpClient(app.base_url, ca_bundle=target.ca_bundle, timeout=app.timeout_s)


@pytest.fixture(scope="session")
def readiness(api: HttpClient, app: App) -> Readiness:
    return Readiness(api.call("GET", app.readiness_path))


@pytest.fixture(scope="session")
def session_token(api: HttpClient, app: App) -> Callable[[], str]:
    """Log in once per run, on first use; a failed login fails each check that needs it, with its verdict."""

    @cache
    def token() -> Tokens:
        if app.credentials is None:
            pytest.skip(f"app.credentials not configured in target for {app.base_url}")
        return login(api, app.credentials)

    return lambda: token().access


@pytest.fixture(scope="session")
def app_host(app: App) -> Host:
    return host_for(app.host)


@pytest.fixture(scope="session")
def cors(app: App) -> Cors:
    if app.cors is None:
        pytest.skip("app.cors not configured in target")
    return app.cors


@pytest.fixture(scope="session")
def frontend(target: Target) -> Frontend:
    return component(target, "frontend")


VISIT_KEY = pytest.StashKey[tuple[Future[PageVisit], TemporaryDirectory[str]]]()


def _start_visit(config: pytest.Config, frontend: Frontend, target: Target) -> Future[PageVisit]:
    if VISIT_KEY not in config.stash:
        home = trusting_home(target.ca_bundle)  # here, not in the thread: certutil runs as a subprocess
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opsgate-browser")
        future = pool.submit(visit, frontend.url, frontend.ready_selector, home=home.name, timeout_s=frontend.timeout_s)
        pool.shutdown(wait=False)
        config.stash[VISIT_KEY] = (future, home)
    return config.stash[VISIT_KEY][0]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the browser while the HTTP checks run: the page load is the slowest check by far."""
    if hasattr(session.config, "workerinput"):
        return  # under xdist every worker collects every check; only the one that runs it should start Chromium
    target = session.config.stash.get(TARGET_KEY, None)
    if target and target.frontend and any("page_visit" in getattr(i, "fixturenames", ()) for i in session.items):
        _start_visit(session.config, target.frontend, target)


@pytest.fixture(scope="session")
def page_visit(pytestconfig: pytest.Config, frontend: Frontend, target: Target) -> PageVisit:
    return _start_visit(pytestconfig, frontend, target).result()
