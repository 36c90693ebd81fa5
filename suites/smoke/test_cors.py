"""CORS: a preflight from each allowed origin is accepted; one from a foreign origin is refused."""

import pytest

from opsgate.probes.http import HttpClient
from opsgate.target.app import Cors

pytestmark = pytest.mark.smoke


@pytest.mark.runbook("api/cors", "app/health-down", "app/not-ready", "tls/handshake-failed")
def test_preflight_from_allowed_origin_is_accepted(allowed_origin: str, api: HttpClient, cors: Cors) -> None:
    answer = api.preflight(cors.path, allowed_origin)
    answer.expect_reachable()
    assert answer.allows_origin(allowed_origin), (
        f"preflight from allowed origin {allowed_origin} refused: HTTP {answer.status}, "
        f"Access-Control-Allow-Origin={answer.headers.get('access-control-allow-origin')!r}"
    )


@pytest.mark.runbook("api/cors", "app/health-down", "app/not-ready", "tls/handshake-failed")
def test_preflight_from_foreign_origin_is_refused(api: HttpClient, cors: Cors) -> None:
    answer = api.preflight(cors.path, cors.foreign_origin)
    answer.expect_reachable()
    assert not answer.allows_origin(cors.foreign_origin), (
        f"preflight from foreign origin {cors.foreign_origin} was accepted: any site can call the API"
    )
