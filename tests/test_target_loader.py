"""The target file loader: valid files load, every malformed kind is one line naming file and field, exit 4."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.secrets import SecretRegistry
from fixtures.target import TargetError, load_target
from tests.conftest import ROOT, run_pytest

MINIMAL = "name: t\nenvironment: staging\n"
APP = "app:\n  base_url: https://app.example.test\n  port: 8000\n"


def test_local_target_describes_the_reference_stack() -> None:
    target = load_target(ROOT / "targets" / "local.yml")
    assert target.name == "local" and not target.is_production
    assert target.app and target.app.base_url == "https://localhost:18443"
    assert target.ca_bundle == str(ROOT / ".stack" / "pki" / "ca.pem"), "relative paths resolve against the file"
    assert target.postgres and "monitor:opsgate-monitor-pw@" in target.postgres.dsn


def test_example_compose_target_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "OPSGATE_PROD_DEMO_PASSWORD",
        "OPSGATE_PROD_PG_PASSWORD",
        "OPSGATE_PROD_REDIS_PASSWORD",
        "OPSGATE_PROD_GRAFANA_TOKEN",
    ):
        monkeypatch.setenv(var, f"value-of-{var.lower()}")
    target = load_target(ROOT / "targets" / "example-compose.yml")
    assert target.is_production and target.app and target.app.host.startswith("ssh://")


def test_interpolation_prefers_the_environment_and_registers_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSGATE_T_PW", "from-the-environment")
    path = tmp_path / "t.yml"
    path.write_text(
        MINIMAL + "postgres:\n  dsn: postgresql://app:${OPSGATE_T_PW:-fallback}@db:5432/app\n"
        "redis:\n  url: redis://:${OPSGATE_T_UNSET:-redis-default-pw}@cache:6379/0\n"
    )
    target = load_target(path)
    assert target.postgres and target.postgres.dsn == "postgresql://app:from-the-environment@db:5432/app"
    assert target.redis and target.redis.url == "redis://:redis-default-pw@cache:6379/0"
    from fixtures.secrets import SECRETS

    assert "from-the-environment" in SECRETS and "redis-default-pw" in SECRETS


def test_redaction_masks_registered_values_and_credential_shapes() -> None:
    registry = SecretRegistry()
    registry.add("hunter2-long")
    registry.add("ab")  # too short to be a secret worth shredding output for
    text = (
        "pw hunter2-long; postgresql://app:s3cret@db/app; Authorization: Bearer eyJabc.def; "
        '{"access_token": "tok123"}; ab'
    )
    redacted = registry.redact(text)
    for leaked in ("hunter2-long", "s3cret", "eyJabc.def", "tok123"):
        assert leaked not in redacted
    assert redacted.endswith("ab") and "postgresql://app:***@db/app" in redacted


BROKEN_TARGETS = {
    "missing-file": (None, "cannot read target file: No such file or directory"),
    "bad-yaml": ("name: [unclosed\n", "line 2: not valid YAML"),
    "not-a-mapping": ("- just\n- a list\n", "(top level): expected a mapping of sections, got list"),
    "missing-key": ("environment: local\n", "name: required key is missing"),
    "unknown-key": (MINIMAL + "colour: blue\n", "colour: unknown key"),
    "unknown-nested-key": (
        MINIMAL + APP + "  endpoints:\n    - {path: /x, colour: blue}\n",
        "app.endpoints[0].colour: unknown key",
    ),
    "wrong-type": (
        MINIMAL + "app:\n  base_url: https://a.test\n  port: eighty\n",
        "app.port: Input should be a valid integer",
    ),
    "bad-url": (MINIMAL + "app:\n  base_url: not a url\n  port: 80\n", "app.base_url: invalid URL"),
    "bad-dsn": (MINIMAL + "postgres:\n  dsn: mysql://u:p@db/app\n", "postgres.dsn: invalid DSN"),
    "bad-host-spec": (MINIMAL + APP + "  host: telnet://box\n", "app.host: invalid host spec"),
    "bad-endpoint-path": (
        MINIMAL + APP + "  endpoints:\n    - {path: health}\n",
        "app.endpoints[0].path: must start with '/'",
    ),
    "undefined-variable": (
        MINIMAL + "postgres:\n  dsn: postgresql://u:${OPSGATE_T_NEVER_SET}@db/app\n",
        "postgres.dsn: environment variable OPSGATE_T_NEVER_SET is not set",
    ),
}


@pytest.mark.parametrize("case", BROKEN_TARGETS)
def test_broken_target_is_one_line_and_exit_4(case: str, tmp_path: Path) -> None:
    content, expected = BROKEN_TARGETS[case]
    path = tmp_path / f"{case}.yml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(TargetError, match="^" + str(path).replace(".", r"\.")):
        load_target(path)

    result = run_pytest(f"--target={path}", timeout=60)
    output = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 4, output
    assert len(output) == 1 and output[0].startswith(f"ERROR: opsgate: {path}: {expected}"), output
    assert "Traceback" not in result.stdout + result.stderr


def test_target_can_come_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "env.yml"
    path.write_text(MINIMAL + "bogus: 1\n")
    result = run_pytest(env={"OPSGATE_TARGET": str(path)}, timeout=60)
    assert result.returncode == 4
    assert f"opsgate: {path}: bogus: unknown key" in result.stderr + result.stdout
