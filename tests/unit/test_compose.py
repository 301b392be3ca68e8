"""docker-compose.yml, the Kafka cluster override and the Dockerfile agree with the code.

No Docker here: the files are read as YAML and every environment variable a service gets
is checked against (and loaded by) that service's real settings class.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from services.catalog import SERVICES as CATALOG
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
CLUSTER_FILE = ROOT / "deploy" / "docker-compose.kafka-cluster.yml"
DOCKERFILE = ROOT / "Dockerfile"
INIT_SQL = ROOT / "deploy" / "postgres" / "init.sql"
PROMETHEUS_FILE = ROOT / "deploy" / "prometheus" / "prometheus.yml"

# service name -> (settings class, env prefix, HTTP port)
SERVICES: dict[str, tuple[type[ServiceSettings], str, int]] = {
    s.name: (s.settings_class, s.env_prefix, s.port) for s in CATALOG
}
CLUSTER_BROKERS = ("kafka-1", "kafka-2", "kafka-3")


# --- reading Compose files ---------------------------------------------------------------


class Override(dict[Any, Any]):
    """A mapping tagged ``!override``: replaces the earlier file's value instead of merging."""


class OverrideList(list[Any]):
    """A sequence tagged ``!override``."""


class _Reset:
    """The value of a key tagged ``!reset``: removes the earlier file's value."""


RESET = _Reset()


class ComposeLoader(yaml.SafeLoader):
    """A safe loader that also reads Compose's merge tags, unknown to plain YAML."""


def _construct_override(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return Override(loader.construct_mapping(node, deep=True))
    if isinstance(node, yaml.SequenceNode):
        return OverrideList(loader.construct_sequence(node, deep=True))
    return loader.construct_scalar(node)  # type: ignore[arg-type]


def _construct_reset(loader: yaml.SafeLoader, node: yaml.Node) -> _Reset:
    return RESET


ComposeLoader.add_constructor("!override", _construct_override)
ComposeLoader.add_constructor("!reset", _construct_reset)

# Compose replaces these sequences instead of appending to them.
_REPLACED_SEQUENCES = {"command", "entrypoint", "test"}


def load_compose(path: Path) -> dict[str, Any]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=ComposeLoader)  # a SafeLoader
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


def merge(base: Any, override: Any, key: str = "") -> Any:
    """Compose's merge rules for ``-f base -f override``, as far as these files use them."""
    if isinstance(override, (Override, OverrideList)):
        return override
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for k, v in override.items():
            if v is RESET:
                merged.pop(k, None)
            elif k in merged:
                merged[k] = merge(merged[k], v, str(k))
            else:
                merged[k] = v
        return merged
    if isinstance(base, list) and isinstance(override, list) and key not in _REPLACED_SEQUENCES:
        return base + override
    return override


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the ["KEY=value"] form
        env = dict(item.split("=", 1) for item in env)
    assert isinstance(env, dict)
    return {str(k): str(v) for k, v in env.items()}


def published_ports(service: dict[str, Any]) -> set[tuple[int, int]]:
    """(published, target) for every ``[ip:]published:target`` entry."""
    out = set()
    for entry in service.get("ports", []):
        parts = str(entry).split("/")[0].split(":")
        out.add((int(parts[-2]), int(parts[-1])))
    return out


def healthcheck_command(service: dict[str, Any]) -> str:
    test = service.get("healthcheck", {}).get("test")
    assert test, "no healthcheck test"
    return test if isinstance(test, str) else " ".join(str(t) for t in test)


def load_settings(
    monkeypatch: pytest.MonkeyPatch, cls: type[ServiceSettings], prefix: str, env: dict[str, str]
) -> ServiceSettings:
    """The settings the service would see in its container (nothing else of ours leaks in)."""
    for name in list(os.environ):
        if name.upper().startswith(prefix):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return cls()


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose(COMPOSE_FILE)


@pytest.fixture(scope="module")
def cluster_override() -> dict[str, Any]:
    return load_compose(CLUSTER_FILE)


@pytest.fixture(scope="module")
def cluster(compose: dict[str, Any], cluster_override: dict[str, Any]) -> dict[str, Any]:
    """The model ``docker compose -f docker-compose.yml -f deploy/...`` runs."""
    merged = merge(compose, cluster_override)
    assert isinstance(merged, dict)
    return merged


# --- docker-compose.yml --------------------------------------------------------------------


def test_the_settings_classes_use_the_prefixes_compose_sets() -> None:
    for cls, prefix, _port in SERVICES.values():
        assert cls.model_config.get("env_prefix") == prefix


def test_all_four_services_and_the_infrastructure_are_defined(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(SERVICES) | {"kafka", "postgres"} <= set(services)
    assert "x-service-common" in compose, "common service keys belong in one anchor"
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["postgres"]["image"] == "postgres:17"


@pytest.mark.parametrize("name", list(SERVICES))
def test_service_is_built_from_the_dockerfile(compose: dict[str, Any], name: str) -> None:
    build = compose["services"][name]["build"]
    context = build if isinstance(build, str) else build["context"]
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (ROOT / context / dockerfile).resolve() == DOCKERFILE


@pytest.mark.parametrize("name", list(SERVICES))
def test_service_publishes_its_port_and_listens_on_it(compose: dict[str, Any], name: str) -> None:
    cls, prefix, port = SERVICES[name]
    service = compose["services"][name]
    assert (port, port) in published_ports(service)
    env = environment(service)
    assert env[f"{prefix}HTTP_PORT"] == str(port)
    assert env[f"{prefix}HTTP_HOST"] == "0.0.0.0"  # reachable from outside the container
    assert cls.model_fields["http_port"].default == port


@pytest.mark.parametrize("name", list(SERVICES))
def test_service_healthcheck_asks_readyz_on_its_port(compose: dict[str, Any], name: str) -> None:
    _cls, _prefix, port = SERVICES[name]
    test = compose["services"][name]["healthcheck"]["test"]
    assert isinstance(test, list)
    assert test[:3] == ["CMD", "python", "-c"], "slim images have no curl: probe with python"
    assert re.search(rf"//(localhost|127\.0\.0\.1):{port}/readyz\b", test[3])
    compile(test[3], f"{name} healthcheck", "exec")  # the one-liner is valid Python


@pytest.mark.parametrize("name", list(SERVICES))
def test_service_waits_for_healthy_kafka_and_postgres(compose: dict[str, Any], name: str) -> None:
    depends_on = compose["services"][name]["depends_on"]
    assert isinstance(depends_on, dict), "the long form: conditions need it"
    for dependency in ("kafka", "postgres"):
        assert depends_on[dependency]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", list(SERVICES))
def test_service_migrates_then_runs_everything(compose: dict[str, Any], name: str) -> None:
    command = compose["services"][name]["command"]
    script = command if isinstance(command, str) else command[-1]
    migrate = f"python -m services.{name} migrate"
    run = f"exec python -m services.{name} all"
    assert migrate in script
    assert run in script
    assert script.index(migrate) < script.index("&&") < script.index(run)


@pytest.mark.parametrize("name", list(SERVICES))
def test_service_environment_names_only_real_settings(compose: dict[str, Any], name: str) -> None:
    cls, prefix, _port = SERVICES[name]
    env = environment(compose["services"][name])
    assert env, f"{name} sets no environment"
    for var in env:
        assert var.startswith(prefix), f"{name}: {var} lacks the {prefix} prefix"
        assert var.removeprefix(prefix).lower() in cls.model_fields, f"{name}: no field for {var}"


@pytest.mark.parametrize("name", list(SERVICES))
def test_service_settings_load_from_the_compose_environment(
    compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cls, prefix, port = SERVICES[name]
    env = environment(compose["services"][name])
    assert env[f"{prefix}KAFKA_IDEMPOTENT_PRODUCER"] == "true"  # Apache Kafka supports it
    settings = load_settings(monkeypatch, cls, prefix, env)
    assert settings.environment == "production"
    assert settings.kafka_idempotent_producer is True
    assert settings.http_port == port
    assert settings.service_name == name
    # Every broker it is told about is a compose service advertising that address.
    for address in settings.kafka_bootstrap_servers.split(","):
        host = address.split(":")[0]
        assert host in compose["services"], f"{name}: no service {host}"
        advertised = environment(compose["services"][host])["KAFKA_ADVERTISED_LISTENERS"]
        assert f"//{address}" in advertised


def test_kafka_and_postgres_have_healthchecks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "kafka-broker-api-versions.sh" in healthcheck_command(services["kafka"])
    assert "pg_isready" in healthcheck_command(services["postgres"])


def test_kafka_runs_in_kraft_mode(compose: dict[str, Any]) -> None:
    env = environment(compose["services"]["kafka"])
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert "CLUSTER_ID" in env


def test_postgres_init_sql_creates_every_service_database(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    mounts = [str(v) for v in postgres["volumes"]]
    assert any(
        m.split(":")[0] == "./deploy/postgres/init.sql"
        and m.split(":")[1].startswith("/docker-entrypoint-initdb.d/")
        for m in mounts
    ), mounts
    created = set(re.findall(r'CREATE\s+DATABASE\s+"?(\w+)"?', INIT_SQL.read_text(), re.I))
    pg_env = environment(postgres)
    wanted = set()
    for name, (_cls, prefix, _port) in SERVICES.items():
        url = urlsplit(environment(compose["services"][name])[f"{prefix}DATABASE_URL"])
        assert url.scheme == "postgresql+asyncpg"
        assert url.hostname == "postgres"
        assert url.username == pg_env["POSTGRES_USER"]
        assert url.password == pg_env["POSTGRES_PASSWORD"]
        wanted.add(url.path.lstrip("/"))
    assert wanted == {f"gongjian_{name}" for name in SERVICES}  # one database per service
    assert wanted <= created


def test_dockerfile_installs_the_project_and_runs_as_non_root() -> None:
    text = DOCKERFILE.read_text()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    args: dict[str, str] = {}
    for ln in lines:
        if m := re.fullmatch(r"ARG\s+(\w+)=(\S+)", ln):
            args[m.group(1)] = m.group(2)
    bases = [
        re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], ln.split()[1])
        for ln in lines
        if ln.startswith("FROM ")
    ]
    assert bases and all(b == "python:3.11-slim" for b in bases), bases
    copied = {src.rstrip("/") for ln in lines if ln.startswith("COPY ") for src in ln.split()[1:-1]}
    assert {"pyproject.toml", "shared", "services"} <= copied
    assert any(re.search(r"pip install (--no-deps )?\.$", ln) for ln in lines)
    users = [ln.split()[1] for ln in lines if ln.startswith("USER ")]
    assert users, "no USER: the service would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert (ROOT / ".dockerignore").exists()
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", ".data"} <= set(ignored)


def test_prometheus_scrapes_every_service(compose: dict[str, Any]) -> None:
    config = yaml.safe_load(PROMETHEUS_FILE.read_text())
    targets = {
        (job.get("metrics_path", "/metrics"), target)
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    for name, (_cls, _prefix, port) in SERVICES.items():
        assert ("/metrics", f"{name}:{port}") in targets
    prometheus = compose["services"]["prometheus"]
    assert any(
        str(v).startswith("./deploy/prometheus/prometheus.yml:") for v in prometheus["volumes"]
    )


# --- deploy/docker-compose.kafka-cluster.yml -------------------------------------------------


@pytest.mark.parametrize("name", list(SERVICES))
def test_cluster_override_names_only_real_settings(
    cluster_override: dict[str, Any], name: str
) -> None:
    cls, prefix, _port = SERVICES[name]
    env = environment(cluster_override["services"][name])
    assert env[f"{prefix}KAFKA_REPLICATION_FACTOR"] == "3"
    for var in env:
        assert var.startswith(prefix), f"{name}: {var} lacks the {prefix} prefix"
        assert var.removeprefix(prefix).lower() in cls.model_fields, f"{name}: no field for {var}"


@pytest.mark.parametrize("name", list(SERVICES))
def test_cluster_services_use_all_three_brokers(
    cluster: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cls, prefix, port = SERVICES[name]
    service = cluster["services"][name]
    settings = load_settings(monkeypatch, cls, prefix, environment(service))
    assert settings.kafka_replication_factor == 3
    assert settings.kafka_idempotent_producer is True
    assert settings.http_port == port
    brokers = settings.kafka_bootstrap_servers.split(",")
    assert sorted(b.split(":")[0] for b in brokers) == list(CLUSTER_BROKERS)
    for address in brokers:
        advertised = environment(cluster["services"][address.split(":")[0]])
        assert f"//{address}" in advertised["KAFKA_ADVERTISED_LISTENERS"]
    # The single broker is replaced, not added to: nothing waits for it any more.
    assert set(service["depends_on"]) == {*CLUSTER_BROKERS, "postgres"}
    for dependency in service["depends_on"].values():
        assert dependency["condition"] == "service_healthy"


def test_cluster_brokers_form_one_kraft_quorum(cluster: dict[str, Any]) -> None:
    services = cluster["services"]
    assert services["kafka"].get("profiles"), "the single broker must not start with the cluster"
    envs = [environment(services[b]) for b in CLUSTER_BROKERS]
    assert len({e["KAFKA_NODE_ID"] for e in envs}) == 3
    assert len({e["CLUSTER_ID"] for e in envs}) == 1
    voters = {e["KAFKA_CONTROLLER_QUORUM_VOTERS"] for e in envs}
    assert voters == {",".join(f"{i}@{b}:9093" for i, b in enumerate(CLUSTER_BROKERS, 1))}
    for broker, env in zip(CLUSTER_BROKERS, envs, strict=True):
        assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3"
        assert "kafka-broker-api-versions.sh" in healthcheck_command(services[broker])
        assert (services[broker]["image"]).startswith("apache/kafka:")
    volumes = [str(v).split(":")[0] for b in CLUSTER_BROKERS for v in services[b]["volumes"]]
    assert len(set(volumes)) == 3, "each broker needs its own data volume"
    assert set(volumes) <= set(cluster["volumes"])
