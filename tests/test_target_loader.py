"""The target file loader: valid files load, every malformed kind is one line naming file and field, exit 4."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from opsgate.core.secrets import SecretRegistry
from opsgate.target import TargetError, load_target
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
    from opsgate.core.secrets import SECRETS

    assert "from-the-environment" in SECRETS and "redis-default-pw" in SECRETS


def test_versions_and_image_tags_are_interpolated_but_not_secrets(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure must say which tag ran and which was expected: `${DEPLOY_TAG}` there is no secret."""
    monkeypatch.setenv("OPSGATE_T_TAG", "deploy-tag-2.4.0")
    path = tmp_path / "t.yml"
    path.write_text(MINIMAL + "containers:\n  compose_project: shop\n  expected_image_tag: ${OPSGATE_T_TAG}\n"
                    "  services: [{name: api, image_tag: '${OPSGATE_T_UNSET:-pinned-15.6}'}]\n")
    target = load_target(path)
    assert target.containers and target.containers.expected_image_tag == "deploy-tag-2.4.0"
    from opsgate.core.secrets import SECRETS

    assert "deploy-tag-2.4.0" not in SECRETS and "pinned-15.6" not in SECRETS


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
    "bad-docker-host": (
        MINIMAL + "containers:\n  docker_host: http://box:2375\n  compose_project: p\n  services: [{name: a}]\n",
        "containers.docker_host: invalid docker_host",
    ),
    "bad-error-pattern": (
        MINIMAL + "containers:\n  compose_project: p\n  services: [{name: a}]\n  error_patterns: ['(unclosed']\n",
        "containers.error_patterns[0]: '(unclosed' is not a regular expression",
    ),
    "error-pattern-read-as-a-backspace": (
        MINIMAL + 'containers:\n  compose_project: p\n  services: [{name: a}]\n  error_patterns: ["\\bERROR\\b"]\n',
        "containers.error_patterns[0]: '\\x08ERROR\\x08' holds the control character(s) '\\x08': a double-quoted "
        "YAML string read its backslashes; write the pattern in single quotes",
    ),
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


# -- every malformed kind: one line `<file>: <field or line>: <problem>`, never a traceback, never a hang ----------

PG = "postgres:\n  dsn: postgresql://u:pw@db/app\n"
NGINX = "nginx:\n  https_url: https://a.test\n"
PROM = "prometheus:\n  url: http://prom.test:9090\n"
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
BOMB = "".join(  # "billion laughs": 9 levels of 9 aliases, 9**9 values once expanded, a few hundred bytes
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)
# 3 anchors nested 30 deep, each inside the next: 30 levels as written, 90 once the aliases are expanded
CHAINED = "".join(
    f"{name}: &{name} {'[' * 30}{f'*{prev}' if prev else '1'}{']' * 30}\n"
    for prev, name in zip(["", "a", "b"], "abc", strict=True)
)


def _directory(tmp_path: Path) -> Path:
    (tmp_path / "target.yml").mkdir()
    return tmp_path / "target.yml"


def _fifo(tmp_path: Path) -> Path:  # reading one would block forever
    os.mkfifo(tmp_path / "target.yml")
    return tmp_path / "target.yml"


def _ca(content: str | None) -> Callable[[Path], Path]:
    """A target whose ca_bundle is ca.pem beside it: `content`, a directory (None), or missing ("")."""

    def setup(tmp_path: Path) -> Path:
        if content is None:
            (tmp_path / "ca.pem").mkdir()
        elif content:
            (tmp_path / "ca.pem").write_text(content)
        (tmp_path / "target.yml").write_text(MINIMAL + "ca_bundle: ca.pem\n")
        return tmp_path / "target.yml"

    return setup


Setup = str | bytes | Callable[[Path], Path]
# kind -> (file content, or a function making the target file in a directory; what the message says after `<file>: `)
MALFORMED: dict[str, tuple[Setup, str]] = {
    # the file itself
    "not-utf8": (b"name: t\xff\nenvironment: staging\n", "line 1: not UTF-8 text (byte 0xff)"),
    "latin1-on-line-2": (b"name: t\nenvironment: caf\xe9\n", "line 2: not UTF-8 text (byte 0xe9)"),
    "directory": (_directory, "cannot read target file: it is a directory"),
    "fifo": (_fifo, "cannot read target file: not a regular file"),
    "too-large": (MINIMAL + "#" * (1 << 20), "cannot read target file: larger than 1024 KiB"),
    "empty-file": ("", "(top level): the file is empty"),
    "only-comments": ("# name: t\n", "(top level): the file is empty"),
    "control-character": ("name: t\x00\nenvironment: staging\n", "line 1: not valid YAML (character #x0000"),
    "two-documents": (MINIMAL + "---\n" + MINIMAL, "line 3: not valid YAML (expected a single document"),
    "python-tag": (MINIMAL + "app: !!python/object/apply:os.system [true]\n", "line 3: not valid YAML (could not"),
    # structure: nesting, aliases, keys
    "deep-flow-nesting": (MINIMAL + "x: " + "[" * 5000 + "]" * 5000 + "\n", "line 3: nested deeper than 64 levels"),
    "deep-block-nesting": (MINIMAL + "".join(f"{'  ' * i}k:\n" for i in range(70)), "line 66: nested deeper than 64"),
    "alias-bomb": (MINIMAL + BOMB, "line 7: expands to more than 10000 values, aliases included"),
    "alias-chain-too-deep": (MINIMAL + CHAINED, "line 5: aliases nest this deeper than 64 levels"),
    "recursive-alias": (MINIMAL + "x: &a [1, *a]\n", "line 3: an alias refers to the node that contains it"),
    "undefined-alias": (MINIMAL + "x: *nowhere\n", "line 3: not valid YAML (found undefined alias"),
    "duplicate-key": ("name: t\nenvironment: staging\nname: u\n", "line 3: duplicate key 'name' (first on line 1)"),
    "duplicate-nested-key": (MINIMAL + APP + "  port: 8001\n", "line 6: duplicate key 'port' (first on line 5)"),
    "duplicate-key-in-list": (
        MINIMAL + APP + "  endpoints:\n    - {path: /a, path: /b}\n",
        "line 7: duplicate key 'path' (first on line 7)",
    ),
    "boolean-key": (MINIMAL + "on: push\n", "line 3: key 'on' is not a string (quote it)"),
    "integer-key": (MINIMAL + APP + "  8000: x\n", "line 6: key '8000' is not a string"),
    # scalars Python cannot build
    "unbuildable-int": (MINIMAL + APP + "  max_ms: !!int fast\n", "line 6: not a valid int value"),
    "5000-digit-number": (MINIMAL + APP + "  max_ms: 1" + "0" * 5000 + "\n", "line 6: not a valid int value"),
    "impossible-date": (MINIMAL + APP + "  expected_version: 2024-13-45\n", "line 6: not a valid timestamp value"),
    "unbuildable-bool": (MINIMAL + "allow_writes: !!bool maybe\n", "line 3: not a valid bool value"),
    "map-tag-on-a-list": (MINIMAL + "app: !!map [1]\n", "line 3: not valid YAML (expected a mapping node, but found"),
    # numbers
    "infinite-timeout": (MINIMAL + APP + "  timeout_s: .inf\n", "app.timeout_s: Input should be a finite number"),
    "nan-percent": (MINIMAL + PG + "  max_connections_pct: .nan\n", "postgres.max_connections_pct: Input should be a "
                    "finite number"),
    "nan-float": (MINIMAL + PG + "  table_min_mb: .nan\n", "postgres.table_min_mb: Input should be a finite number"),
    "nan-expected-json": (
        MINIMAL + APP + "  liveness: {path: /health, json: {load: .nan}}\n",
        "app.liveness.json: load: Input should be a finite number",
    ),
    "timeout-above-cap": (
        MINIMAL + "redis:\n  url: redis://cache\n  timeout_s: 3600\n",
        "redis.timeout_s: Input should be less than or equal to 600",
    ),
    "negative-timeout": (MINIMAL + NGINX + "  timeout_s: -1\n", "nginx.timeout_s: Input should be greater than 0"),
    "warn-below-fail": (
        MINIMAL + NGINX + "  warn_days: 3\n  fail_days: 7\n",
        "nginx: warn_days (3) must be at least fail_days (7)",
    ),
    "statement-warn-above-fail": (
        MINIMAL + PG + "  statement_warn_ms: 500\n  statement_fail_ms: 100\n",
        "postgres: statement_warn_ms (500) must not exceed statement_fail_ms (100)",
    ),
    "zero-percent": (MINIMAL + PG + "  cache_hit_min_pct: 0\n", "postgres.cache_hit_min_pct: Input should be greater"),
    "percent-above-100": (MINIMAL + PG + "  min_free_disk_pct: 150\n", "postgres.min_free_disk_pct: Input should be "
                          "less than or equal to 100"),
    "negative-port": (MINIMAL + "app:\n  base_url: https://a.test\n  port: -1\n", "app.port: Input should be greater"),
    "negative-url-port": (
        MINIMAL + "app:\n  base_url: https://a.test:-1\n",
        "app.base_url: invalid URL: the port is not a number from 1 to 65535",
    ),
    "url-port-zero": (MINIMAL + "app:\n  base_url: https://a.test:0\n", "app.base_url: invalid URL: the port is not"),
    "unencoded-hash-in-password": (
        MINIMAL + "postgres:\n  dsn: postgresql://u:hunter#2@db/app\n",
        "postgres.dsn: invalid DSN: the port is not a number from 1 to 65535 (percent-encode",
    ),
    # enum-like values and names
    "unlisted-severity": (
        MINIMAL + PROM + "  alert_severity: urgent\n",
        "prometheus: alert_severity 'urgent' is not one of severities ['info', 'warning', 'critical']",
    ),
    "severity-not-in-custom-list": (
        MINIMAL + PROM + "  severities: [page, ticket]\n",
        "prometheus: alert_severity 'critical' is not one of severities ['page', 'ticket']",
    ),
    "empty-name": ("name: ''\nenvironment: staging\n", "name: String should have at least 1 character"),
    "blank-name": ("name: '   '\nenvironment: staging\n", "name: String should have at least 1 character"),
    "blank-server-name": (
        MINIMAL + NGINX + "  server_names: [a.test, ' ']\n",
        "nginx.server_names[1]: String should have at least 1 character",
    ),
    "empty-process": (MINIMAL + APP + "  process: ''\n", "app.process: String should have at least 1 character"),
    "empty-username": (
        MINIMAL + APP + "  credentials: {username: '', password: pw-long-enough}\n",
        "app.credentials.username: String should have at least 1 character",
    ),
    "bad-environment": ("name: t\nenvironment: pre prod\n", "environment: String should match pattern"),
    # files the gate itself reads
    "ca-bundle-missing": (_ca(""), "ca_bundle: {dir}/ca.pem: no such file"),
    "ca-bundle-directory": (_ca(None), "ca_bundle: {dir}/ca.pem: not a regular file"),
    "ca-bundle-not-pem": (_ca("just text\n"), "ca_bundle: {dir}/ca.pem: not a PEM file of CA certificates"),
}
# Through pytest itself: exit 4 and one line (collect-only needs no servers).
THROUGH_PYTEST = ("not-utf8", "directory", "alias-bomb", "duplicate-key", "infinite-timeout", "ca-bundle-missing")


def _make(tmp_path: Path, setup: Setup) -> Path:
    if callable(setup):
        return setup(tmp_path)
    path = tmp_path / "target.yml"
    if isinstance(setup, bytes):
        path.write_bytes(setup)
    else:
        path.write_text(setup, encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", MALFORMED)
def test_malformed_target_is_one_line_naming_file_and_field(kind: str, tmp_path: Path) -> None:
    setup, expected = MALFORMED[kind]
    path = _make(tmp_path, setup)
    with pytest.raises(TargetError) as raised:
        load_target(path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {expected.format(dir=tmp_path)}"), message
    assert "hunter" not in message, "a fragment of a password in an error message (urlsplit cuts it at '#')"


@pytest.mark.parametrize("kind", THROUGH_PYTEST)
def test_malformed_target_stops_pytest_with_exit_4(kind: str, tmp_path: Path) -> None:
    setup, expected = MALFORMED[kind]
    path = _make(tmp_path, setup)
    result = run_pytest("--collect-only", "-q", f"--target={path}", timeout=60)
    output = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 4, output
    assert output == [f"ERROR: opsgate: {path}: {expected.format(dir=tmp_path)}"] or (
        len(output) == 1 and output[0].startswith(f"ERROR: opsgate: {path}: {expected.format(dir=tmp_path)}")
    ), output
    assert "Traceback" not in result.stdout + result.stderr and "INTERNALERROR" not in result.stdout + result.stderr


@pytest.mark.parametrize(("args", "env", "says"), [
    (["--target="], {}, "opsgate: --target is empty"),
    (["--target=  "], {}, "opsgate: --target is empty"),
    ([], {"OPSGATE_TARGET": ""}, "opsgate: OPSGATE_TARGET is empty"),
])
def test_an_empty_target_choice_is_an_error_not_the_default(args: list[str], env: dict[str, str], says: str) -> None:
    result = run_pytest("--collect-only", "-q", *args, env=env, timeout=60)
    output = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 4 and output == [f"ERROR: {says}"], output


@pytest.mark.parametrize(("written", "read"), [
    ("prod", "production"), ("PRD", "production"), ("Live", "production"), (" Production ", "production"),
    ("Staging", "staging"), ("qa-2", "qa-2"),
])
def test_environment_names_are_normalised(written: str, read: str, tmp_path: Path) -> None:
    path = tmp_path / "t.yml"
    path.write_text(f"name: t\nenvironment: '{written}'\n")
    target = load_target(path)
    assert target.environment == read and target.is_production == (read == "production")


def test_plain_alias_reuse_and_merge_keys_still_load(tmp_path: Path) -> None:
    path = tmp_path / "t.yml"
    path.write_text(
        MINIMAL + "postgres:\n  dsn: &primary postgresql://u:pw@db/app\n  expected_tables: &tables [users, items]\n"
        "  replica: {dsn: *primary}\n"
        "backup:\n  source_dsn: *primary\n"
        "prometheus: &monitor\n  url: http://prom.test:9090\n  timeout_s: 3\n"
        "alertmanager:\n  <<: *monitor\n  url: http://am.test:9093\n"
    )
    target = load_target(path)
    assert target.postgres and target.postgres.replica and target.postgres.replica.dsn == target.postgres.dsn
    assert target.backup and target.backup.source_dsn == target.postgres.dsn
    assert target.alertmanager and target.alertmanager.url == "http://am.test:9093"
    assert target.alertmanager.timeout_s == 3, "a merged key, and one written beside the merge overrides it"


def test_a_ca_bundle_is_relative_to_the_target_file_and_must_exist(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text(PEM)
    path = tmp_path / "t.yml"
    path.write_text(MINIMAL + "ca_bundle: ca.pem\n")
    assert load_target(path).ca_bundle == str(tmp_path / "ca.pem")
    path.write_text(MINIMAL + "ca_bundle: never-generated.pem\n")
    with pytest.raises(TargetError, match=r"ca_bundle: .*never-generated\.pem: no such file"):
        load_target(path)


def test_mangled_targets_only_ever_fail_as_one_line(tmp_path: Path) -> None:
    """Seeded mutations of the reference target (YAML's punctuation, aliases, NULs, cut and repeated lines):
    each loads or raises TargetError with one line; nothing else escapes."""
    base = (ROOT / "targets" / "local.yml").read_text().replace("ca_bundle:", "# ca_bundle:")  # relative to it
    pieces = [*"[]{}:,&*!|>'\"#%@\t\n-? ", "\x00", "${X}", "*a", "&a ", "<<: ", ".inf", ".nan", "-1", "\ud800"]
    rng, path = random.Random(11), tmp_path / "mangled.yml"
    for _ in range(150):
        text = base
        for _ in range(rng.randint(1, 4)):
            at, lines = rng.randrange(len(text)), text.splitlines(keepends=True)
            text = rng.choice([
                text[:at] + rng.choice(pieces) + text[at:],
                text[:at] + text[at + rng.randint(1, 20):],
                "".join([*lines[: at % len(lines)], rng.choice(lines), *lines[at % len(lines) :]]),
            ])
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            load_target(path)
        except TargetError as exc:
            assert "\n" not in str(exc) and str(exc).startswith(f"{path}: "), str(exc)
