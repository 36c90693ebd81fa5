"""The Kubernetes API replayed from recorded answers (tests/kubernetes_api/), to contract-test the Kubernetes checks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.replay import Exchange, replayed

RECORDINGS = Path(__file__).parent / "kubernetes_api"
# Shaped like a service-account token (a JWT); its value is all the server checks.
TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6c2hvcDpvcHNnYXRlIn0.T3BzZ2F0ZUNvbnRyYWN0"


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    """The API server's error answer: a Status object."""
    return {"status": code, "body": {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                     "message": message, "reason": reason, "code": code}}


def request_line(path: str) -> str:
    """`GET <path>?<query>` with the query decoded and sorted: clients encode `labelSelector=app=app` variously."""
    parts = urlsplit(path)
    query = "&".join(f"{key}={value}" for key, value in sorted(parse_qsl(parts.query)))
    return f"GET {parts.path}" + (f"?{query}" if query else "")


def _answer(path: str, headers: Message, recorded: dict[str, Exchange], unauthorized: Exchange) -> Exchange:
    # The API server authenticates before anything else: a wrong token gets 401 on every path, /version too.
    if headers.get("Authorization") != f"Bearer {TOKEN}":
        return unauthorized
    request = request_line(path)  # what it answers for an object that does not exist names the resource
    return recorded.get(request, _status(404, "NotFound", f"{request} not found"))


@contextmanager
def recorded_kubernetes(variant: str | None) -> Iterator[str]:
    """A variant of the recordings served on 127.0.0.1 (None: a port where nothing listens); yields the API's URL."""
    with replayed(RECORDINGS, variant, _answer) as url:
        yield url
