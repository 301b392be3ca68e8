"""Settings base: one pydantic-settings class per service, each with its own env prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]


class ServiceSettings(BaseSettings):
    """What every service needs: its database, the broker, HTTP and event handling knobs.

    Subclasses set ``model_config = service_config("MEMBERS_")``; every field is then
    read from ``MEMBERS_DATABASE_URL``, ``MEMBERS_KAFKA_BOOTSTRAP_SERVERS`` and so on.
    """

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "service"
    environment: Environment = "development"
    log_level: str = "INFO"
    log_json: bool | None = None  # None: JSON unless stderr is a terminal

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/gongjian"
    database_pool_size: int = 10

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Tansu answers InitProducerId with an error: the idempotent producer is off for the
    # embedded broker and on for Apache Kafka (docker compose, production).
    kafka_idempotent_producer: bool = False
    # Prefixes every topic and consumer group: lets one broker hold many isolated test runs.
    kafka_topic_prefix: str = "gongjian."
    kafka_topic_partitions: int = 6
    kafka_replication_factor: int = 1
    # Tansu takes about half the session timeout to complete a group join; the embedded
    # stack (run command, tests) shortens these so services start in about a second.
    kafka_session_timeout_ms: int = 10_000
    kafka_rebalance_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    max_body_bytes: int = 1_000_000
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated
    # addresses or networks, "*" for any). Behind a load balancer, name it here: else every
    # request seems to come from the balancer and per-address sign-in throttling would
    # count the whole platform as one client.
    trusted_proxies: str = "127.0.0.1"

    # Access tokens are verified with the public key alone (EdDSA). Development and test
    # fall back to the repository's development key pair; production refuses it.
    jwt_issuer: str = "gongjian"
    jwt_public_key: str | None = None
    jwt_public_key_file: Path | None = None
    # Optional bearer token Prometheus scrapes /metrics with; without it /metrics needs
    # an operations account's access token.
    metrics_token: SecretStr | None = None
    metrics_token_file: Path | None = None

    outbox_batch_size: int = 500
    outbox_poll_seconds: float = 1.0
    outbox_retention_hours: int = 72

    consumer_max_attempts: int = 5
    consumer_backoff_seconds: float = 0.2
    consumer_backoff_max_seconds: float = 5.0
    consumer_batch_size: int = 500

    @model_validator(mode="after")
    def _check_production(self) -> ServiceSettings:
        if self.environment == "production" and self.kafka_bootstrap_servers == "127.0.0.1:9092":
            raise ValueError("production needs an explicit KAFKA_BOOTSTRAP_SERVERS setting")
        return self

    def metrics_secret(self) -> str | None:
        if self.metrics_token_file is not None:
            return self.metrics_token_file.read_text().strip() or None
        return self.metrics_token.get_secret_value() if self.metrics_token else None

    def topic(self, producer: str) -> str:
        """The topic a producing service publishes its events to."""
        return f"{self.kafka_topic_prefix}{producer}.events"

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.kafka_topic_prefix}{self.service_name}.dead-letters"

    @property
    def consumer_group(self) -> str:
        return f"{self.kafka_topic_prefix}{self.service_name}"


def service_config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, extra="ignore", env_file=None)


# Field is re-exported so service settings need only this module.
__all__ = ["Environment", "Field", "ServiceSettings", "service_config"]
