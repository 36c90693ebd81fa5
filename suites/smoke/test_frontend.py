"""The frontend, in a real browser: loads over HTTPS, shows data from the API, no console errors or failed requests."""

import base64
from collections.abc import Callable

import pytest
from pytest_html import extras

from opsgate.probes.browser import PageVisit
from opsgate.target import Frontend

pytestmark = pytest.mark.smoke


@pytest.mark.runbook("frontend/blank-page", "frontend/api-unreachable", "tls/handshake-failed")
def test_frontend_shows_api_data(page_visit: PageVisit, frontend: Frontend, attach: Callable[[dict], None]) -> None:
    if page_visit.screenshot:
        attach(extras.png(base64.b64encode(page_visit.screenshot).decode(), name="screenshot"))
    attach(extras.text("\n".join(page_visit.console_errors + page_visit.failed_requests) or "(empty)",
                       name="console errors and failed requests"))
    page_visit.expect_shows_data(frontend.api_path)
