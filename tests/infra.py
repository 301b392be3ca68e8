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

from sqlalchemy.engine import make_url

from shared.embedded import EmbeddedBroker, EmbeddedPostgres


@dataclass
class Infra:
    kind: str  # "settings", "docker" or "embedded"
    database_url: str  # server URL (asyncpg driver); tests create their own databases on it
    bootstrap_servers: str
    broker: EmbeddedBroker | None = None  # present only when the test run owns the process
    idempotent_producer: bool = False

    def database(self, name: str) -> str:
        return make_url(self.database_url).set(database=name).render_as_string(hide_password=False)


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


def _docker(stack: ExitStack) -> Infra:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    pg = stack.enter_context(PostgresContainer("postgres:17", driver="asyncpg"))
    kafka = stack.enter_context(KafkaContainer("apache/kafka:3.9.1").with_kraft())
    return Infra(
        "docker", pg.get_connection_url(), kafka.get_bootstrap_server(), idempotent_producer=True
    )


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
