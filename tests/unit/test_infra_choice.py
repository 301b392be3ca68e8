"""How a test run picks its PostgreSQL and broker (without starting any)."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from tests import infra


def test_settings_win_over_docker_and_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONGJIAN_TEST_DATABASE_URL", "postgresql+asyncpg://u@db:5432/postgres")
    monkeypatch.setenv("GONGJIAN_TEST_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setattr(infra, "docker_answers", lambda: pytest.fail("docker was asked"))
    with ExitStack() as stack:
        chosen = infra.start_infra(stack)
    assert chosen.kind == "settings"
    assert chosen.database("t1") == "postgresql+asyncpg://u@db:5432/t1"
    assert chosen.idempotent_producer is True


def test_kafka_container_advertises_the_port_it_binds_on_the_host() -> None:
    env = infra.kafka_env(45678)
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://localhost:45678"
    assert "PLAINTEXT://0.0.0.0:45678" in env["KAFKA_LISTENERS"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@localhost:9093"


def test_docker_answers_false_without_a_docker_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tests.infra.shutil.which", lambda _: None)
    assert infra.docker_answers() is False
