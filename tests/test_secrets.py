"""Secrets in the target file: a password with URL delimiters survives interpolation into a DSN or URL, every form
of it is redacted, no repr shows it, the code that sends it gets the real value, and `--debug` is refused."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import psycopg.conninfo
import pytest
import redis.connection
import requests.utils
from pydantic import SecretStr

from opsgate.core.secrets import SECRETS
from opsgate.probes.app import login
from opsgate.probes.grafana import GrafanaApi
from opsgate.probes.http import Answer
from opsgate.target import Target, load_target
from opsgate.target.app import Credentials, Login
from opsgate.target.monitoring import Grafana
from tests.conftest import ROOT, run_pytest

# Every character that changes a URL's meaning when left raw in its userinfo: '#' cuts it, '@' moves the host,
# '/' ends the authority, ':' splits user and password, '%' starts an escape.
PASSWORD = "p#ss@w/rd:50%off"
USER = "ops@example.com"


@pytest.fixture
def target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Target:
    monkeypatch.setenv("OPSGATE_T_SECRET_USER", USER)
    monkeypatch.setenv("OPSGATE_T_SECRET_PW", PASSWORD)
    path = tmp_path / "secrets.yml"
    path.write_text(
        "name: secrets\nenvironment: staging\n"
        "app:\n  base_url: https://app.example.test\n"
        "  credentials: {username: demo, password: '${OPSGATE_T_SECRET_PW}'}\n"
        "postgres:\n  dsn: postgresql://${OPSGATE_T_SECRET_USER}:${OPSGATE_T_SECRET_PW}@db.example.test:5433/app\n"
        "  replica: {dsn: 'postgresql://monitor:${OPSGATE_T_SECRET_PW}@replica.example.test/app'}\n"
        "redis:\n  url: redis://:${OPSGATE_T_SECRET_PW}@cache.example.test:6380/2\n"
        "prometheus:\n  url: https://scraper:${OPSGATE_T_SECRET_PW}@prom.example.test:9091\n"
        "grafana:\n  url: https://grafana.example.test\n  token: glsa_written_in_clear_0001\n"
        "  basic_auth: {username: admin, password: grafana-pw-in-clear}\n"
    )
    return load_target(path)


def test_a_password_with_url_delimiters_round_trips_through_a_dsn(target: Target) -> None:
    assert target.postgres and target.postgres.replica
    dsn = target.postgres.dsn
    parts = urlsplit(dsn)
    assert (parts.hostname, parts.port, parts.path) == ("db.example.test", 5433, "/app")
    assert (unquote(parts.username or ""), unquote(parts.password or "")) == (USER, PASSWORD)
    libpq = psycopg.conninfo.conninfo_to_dict(dsn)  # what psycopg.connect hands libpq
    assert (libpq["host"], libpq["port"], libpq["dbname"]) == ("db.example.test", "5433", "app")
    assert (libpq["user"], libpq["password"]) == (USER, PASSWORD)
    assert psycopg.conninfo.conninfo_to_dict(target.postgres.replica.dsn)["host"] == "replica.example.test"


def test_a_password_with_url_delimiters_round_trips_through_a_redis_and_an_http_url(target: Target) -> None:
    assert target.redis and target.prometheus
    client = redis.connection.parse_url(target.redis.url)  # what redis.Redis.from_url connects with
    assert (client["host"], client["port"], client["db"], client["password"]) == (
        "cache.example.test", 6380, 2, PASSWORD,
    )
    assert urlsplit(target.prometheus.url).hostname == "prom.example.test"
    assert requests.utils.get_auth_from_url(target.prometheus.url) == ("scraper", PASSWORD)  # requests' basic auth


def test_every_form_of_the_password_is_redacted(target: Target) -> None:
    encoded = quote(PASSWORD, safe="")
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    grafana_basic = base64.b64encode(b"admin:grafana-pw-in-clear").decode()
    text = (
        f"raw {PASSWORD}; in a URL {encoded}; Basic {basic}; grafana {grafana_basic}; token glsa_written_in_clear_0001;"
        f" dsn {target.postgres.dsn if target.postgres else ''}"
    )
    redacted = SECRETS.redact(text)
    for leaked in (PASSWORD, encoded, basic, grafana_basic, "glsa_written_in_clear_0001", "p#ss", "p%23ss"):
        assert leaked not in redacted, redacted
    assert "db.example.test:5433/app" in redacted, "only the secret goes, not the rest of the line"


def test_no_repr_of_the_target_shows_a_secret(target: Target) -> None:
    assert target.app and target.app.credentials and target.grafana and target.grafana.basic_auth
    assert target.app.credentials.password.get_secret_value() == PASSWORD
    assert target.grafana.basic_auth.password.get_secret_value() == "grafana-pw-in-clear"
    secrets = (PASSWORD, quote(PASSWORD, safe=""), "glsa_written_in_clear_0001", "grafana-pw-in-clear")
    for shown in (repr(target), str(target), repr(target.postgres), repr(target.grafana), f"{target.redis}"):
        assert not [secret for secret in secrets if secret in shown], shown
    assert "db.example.test:5433" in repr(target.postgres)


def test_the_code_that_sends_a_secret_gets_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, Any]] = []

    class Api:
        def call(self, method: str, path: str, **kwargs: Any) -> Answer:
            sent.append(kwargs)
            return Answer(method, path, status=200, text='{"access_token": "fresh-token-1"}')

    credentials = Credentials(username="demo", password=SecretStr("login-pw-1234"))
    assert login(Api(), Login(path="/login", encoding="json"), credentials).access == "fresh-token-1"  # type: ignore[arg-type]
    grafana = GrafanaApi(Grafana(url="https://g.test", token=SecretStr("glsa_token_1234")), ca_bundle=None)
    monkeypatch.setattr(grafana.http, "call", Api().call)
    grafana.get("/api/search")
    basic = GrafanaApi(Grafana(url="https://g.test", basic_auth=credentials), ca_bundle=None)
    monkeypatch.setattr(basic.http, "call", Api().call)
    basic.get("/api/search")
    assert sent == [
        {"json": {"username": "demo", "password": "login-pw-1234"}},
        {"token": "glsa_token_1234", "auth": None},
        {"token": None, "auth": ("demo", "login-pw-1234")},
    ]


@pytest.mark.parametrize("debug", ["--debug", "--debug={tmp}/trace.log"])
def test_debug_is_refused_before_it_writes_anything(debug: str, tmp_path: Path) -> None:
    target = tmp_path / "t.yml"
    target.write_text("name: t\nenvironment: staging\n")
    debug = debug.format(tmp=tmp_path)
    before = (ROOT / "pytestdebug.log").exists()
    result = run_pytest("--collect-only", "-q", f"--target={target}", debug, timeout=60)
    output = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    file = debug.partition("=")[2] or "pytestdebug.log"
    assert result.returncode == 4, output
    assert output == [f"ERROR: opsgate: --debug would write the target's secrets to {file} in clear; not allowed"]
    assert not (tmp_path / "trace.log").exists()
    if not before:
        assert not (ROOT / "pytestdebug.log").exists()
