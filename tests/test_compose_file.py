"""The reference stack as Compose (stack/compose.yml) and its target (targets/compose.yml) agree, checked without
an engine or a registry: `docker-compose config` accepts the file, every long-running service has a healthcheck, a
restart policy and a memory limit, and the target names the same services, image tags, ports and secrets."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from opsgate.target import Target, load_target
from tests.conftest import ROOT

COMPOSE = ROOT / "stack" / "compose.yml"
TARGET = ROOT / "targets" / "compose.yml"
DOCKERFILE = ROOT / "stack" / "app" / "Dockerfile"
DOCKER_COMPOSE = "/usr/bin/docker-compose"  # Debian's 1.29 (`docker compose` v2 is not installed here)
CONFIG_TIMEOUT_S = 60

ONE_SHOT = {"migrate"}
LONG_RUNNING = {"postgres", "redis", "app", "nginx", "prometheus", "alertmanager", "node-exporter",
                "postgres-exporter", "redis-exporter", "grafana"}
# The service whose published port each URL of the target must use.
URL_SERVICES = {
    "app.base_url": "nginx",
    "frontend.url": "nginx",
    "postgres.dsn": "postgres",
    "redis.url": "redis",
    "prometheus.url": "prometheus",
    "prometheus.app_metrics_url": "app",
    "alertmanager.url": "alertmanager",
    "grafana.url": "grafana",
}
DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The services of `docker-compose config`: the file validated against the Compose schema, normalised."""
    binary = shutil.which("docker-compose") or (DOCKER_COMPOSE if Path(DOCKER_COMPOSE).exists() else None)
    if binary is None:
        pytest.skip("docker-compose is not installed (Debian: apt-get install docker-compose): stack/compose.yml "
                    "cannot be validated")
    # No OPSGATE_*, DOCKER_* or COMPOSE_* of the caller's: the file's own defaults must make a valid stack.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path_factory.mktemp("home")),
           "COMPOSE_PROJECT_NAME": "opsgate"}
    result = subprocess.run([binary, "-f", str(COMPOSE), "config"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=CONFIG_TIMEOUT_S)
    assert result.returncode == 0, f"docker-compose config refused stack/compose.yml: {result.stderr.strip()}"
    return yaml.safe_load(result.stdout)["services"]


@pytest.fixture
def target(monkeypatch: pytest.MonkeyPatch) -> Target:
    for name, _ in DEFAULTED.findall(TARGET.read_text()):  # the defaults, as for `docker-compose config` above
        monkeypatch.delenv(name, raising=False)
    return load_target(TARGET)


def _has_healthcheck(service: dict[str, Any]) -> bool:
    check = service.get("healthcheck") or {}
    return bool(check.get("test")) and not check.get("disable") and check["test"][0] != "NONE"


def _published(service: dict[str, Any]) -> set[tuple[str, int, int]]:
    """(host address, published port, container port) of each binding: 1.29 prints `127.0.0.1:80:8000/tcp`,
    v2 a mapping."""
    bindings = set()
    for port in service.get("ports", ()):
        if isinstance(port, dict):
            bindings.add((port.get("host_ip", ""), int(port["published"]), int(port["target"])))
        else:
            *address, published, container = str(port).split("/")[0].split(":")
            bindings.add((":".join(address), int(published), int(container)))
    return bindings


def _tag(image: str) -> str:
    tag = image.rpartition("/")[2].partition(":")[2]
    return tag or "latest"


def test_every_service_of_the_stack_is_there(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == LONG_RUNNING | ONE_SHOT


def test_long_running_services_have_a_healthcheck_a_restart_policy_and_a_memory_limit(
    services: dict[str, dict[str, Any]],
) -> None:
    missing = {
        name: [what for what, ok in (("healthcheck", _has_healthcheck(service)),
                                     ("restart policy", service.get("restart", "no") != "no"),
                                     ("mem_limit", bool(service.get("mem_limit")))) if not ok]
        for name, service in services.items()
        if name in LONG_RUNNING
    }
    assert {name: what for name, what in missing.items() if what} == {}


def test_migrations_run_once_before_the_app(services: dict[str, dict[str, Any]]) -> None:
    migrate = services["migrate"]
    assert migrate.get("restart", "no") == "no", "a one-shot job must not be restarted once it exited"
    assert not _has_healthcheck(migrate)
    assert migrate.get("mem_limit")
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_target_names_exactly_the_compose_services(services: dict[str, dict[str, Any]], target: Target) -> None:
    assert target.containers is not None
    assert {service.name for service in target.containers.services} == set(services)
    assert {service.name for service in target.containers.services if service.one_shot} == ONE_SHOT


def test_image_tags_of_the_target_are_the_ones_the_compose_file_pins(
    services: dict[str, dict[str, Any]], target: Target
) -> None:
    assert target.containers is not None
    expected = {service.name: target.containers.image_tag_of(service) for service in target.containers.services}
    assert {name: _tag(service["image"]) for name, service in services.items()} == expected


def test_target_urls_use_the_ports_compose_publishes_on_loopback(
    services: dict[str, dict[str, Any]], target: Target
) -> None:
    bindings = {name: _published(service) for name, service in services.items()}
    assert {name: b for name, b in bindings.items() if any(host != "127.0.0.1" for host, _, _ in b)} == {}
    wrong = {}
    for field, service in URL_SERVICES.items():
        section, key = field.split(".")
        url = urlsplit(getattr(getattr(target, section), key))
        if url.hostname != "127.0.0.1" or url.port not in {published for _, published, _ in bindings[service]}:
            wrong[field] = f"{url.hostname}:{url.port}, but {service} publishes {sorted(bindings[service])}"
    assert wrong == {}
    assert target.app is not None
    assert target.app.port in {container for _, _, container in bindings["app"]}, "app.port is the container's"


def test_docker_host_specs_name_containers_of_the_compose_file(
    services: dict[str, dict[str, Any]], target: Target
) -> None:
    specs = {name: section.host for name in ("app", "postgres", "redis", "prometheus")
             if (section := getattr(target, name)) is not None}
    names = {service.get("container_name") for service in services.values()}
    assert {name: spec for name, spec in specs.items() if spec.removeprefix("docker://") not in names} == {}


def test_secret_defaults_of_the_target_are_the_compose_files() -> None:
    def defaults(path: Path) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for name, default in DEFAULTED.findall(path.read_text()):
            found.setdefault(name, set()).add(default)
        return found

    compose, target = defaults(COMPOSE), defaults(TARGET)
    assert {name: values for name, values in compose.items() if len(values) > 1} == {}
    assert {name: (compose[name], values) for name, values in target.items()
            if name in compose and compose[name] != values} == {}


def test_the_app_image_installs_exactly_the_apps_dependencies() -> None:
    """stack/app/Dockerfile's pip install is pyproject.toml's `stack` extra but the stack's S3 server (moto), and
    psycopg and redis from the gate's dependencies."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {req for req in project["optional-dependencies"]["stack"] if not req.startswith("moto")}
    wanted |= {req for req in project["dependencies"] if re.match(r"(psycopg\[binary\]|redis)[<>=]", req)}
    installed = set(re.findall(r'"([^"]+)"', DOCKERFILE.read_text().split("RUN pip install", 1)[1].split("\n\n")[0]))
    assert installed == wanted
