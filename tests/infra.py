"""The real PostgreSQL and Kafka-protocol broker a test run uses, chosen once per run.

1. Settings: ``GONGJIAN_TEST_DATABASE_URL`` (a server URL whose user may create
   databases) and ``GONGJIAN_TEST_KAFKA_BOOTSTRAP_SERVERS``.
2. Else testcontainers (postgres and apache/kafka images) when a Docker engine answers.
3. Else the embedded wheels: PostgreSQL server binaries and the Tansu broker.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.db import database_url
from shared.embedded import EmbeddedBroker, EmbeddedPostgres, free_port

POSTGRES_IMAGE = "postgres:17"
KAFKA_IMAGE = "apache/kafka:4.1.0"


@dataclass
class Infra:
    kind: str  # "settings", "docker" or "embedded"
    database_url: str  # server URL (asyncpg driver); tests create their own databases on it
    bootstrap_servers: str
    broker: EmbeddedBroker | None = None  # present only when the test run owns the process
    idempotent_producer: bool = False

    def database(self, name: str) -> str:
        return database_url(self.database_url, name)


def docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def start_infra(stack: ExitStack) -> Infra:
    db = os.environ.get("GONGJIAN_TEST_DATABASE_URL")
    kafka = os.environ.get("GONGJIAN_TEST_KAFKA_BOOTSTRAP_SERVERS")
    if db and kafka:
        return Infra("settings", db, kafka, idempotent_producer=True)
    if docker_answers():
        return _docker(stack)
    return _embedded(stack)


def kafka_env(host_port: int) -> dict[str, str]:
    """apache/kafka in KRaft mode, one node. The broker advertises the host's port, so the
    container port is bound to the same number on the host (a randomly mapped port could
    not be advertised before the container starts)."""
    return {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": f"PLAINTEXT://0.0.0.0:{host_port},CONTROLLER://0.0.0.0:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://localhost:{host_port}",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
    }


def kafka_container(host_port: int) -> Any:
    from testcontainers.core.container import DockerContainer

    container = DockerContainer(KAFKA_IMAGE).with_bind_ports(host_port, host_port)
    for key, value in kafka_env(host_port).items():
        container = container.with_env(key, value)
    return container


def _docker(stack: ExitStack) -> Infra:
    from testcontainers.core.waiting_utils import wait_for_logs
    from testcontainers.postgres import PostgresContainer

    pg = stack.enter_context(PostgresContainer(POSTGRES_IMAGE, driver="asyncpg"))
    port = free_port()
    kafka = stack.enter_context(kafka_container(port))
    wait_for_logs(kafka, "Kafka Server started", timeout=120)
    return Infra("docker", pg.get_connection_url(), f"localhost:{port}", idempotent_producer=True)


def _embedded(stack: ExitStack) -> Infra:
    root = Path(tempfile.mkdtemp(prefix="gongjian-test-"))
    stack.callback(shutil.rmtree, root, ignore_errors=True)
    pg = EmbeddedPostgres(root / "pgdata", durable=False)
    stack.callback(pg.stop)
    pg.start()
    broker = EmbeddedBroker(log_dir=root)
    stack.callback(broker.stop)
    broker.start()
    return Infra("embedded", pg.url, broker.bootstrap_servers, broker=broker)
