"""Fixtures: one PostgreSQL and one broker per test run; a fresh database per service and
a fresh topic prefix per test, so tests never see each other's rows or events."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from typing import Any

import asyncpg
import pytest

from services.catalog import SERVICE_NAMES
from shared import migrations
from shared.db import asyncpg_dsn, create_database
from shared.settings import ServiceSettings
from tests.infra import Infra, start_infra


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    with ExitStack() as stack:
        yield start_infra(stack)


@pytest.fixture(scope="session")
async def templates(infra: Infra) -> dict[str, str]:
    """One migrated template database per service, built once per run."""
    run = uuid.uuid4().hex[:6]
    names = {s: f"tpl_{run}_{s}" for s in SERVICE_NAMES}
    for name in names.values():
        await create_database(infra.database_url, name)
    # Alembic keeps its context in module globals: one migration at a time, off the loop.
    for service, name in names.items():
        await asyncio.to_thread(migrations.upgrade, service, infra.database(name))
    return names


@pytest.fixture
async def fresh_database(infra: Infra, templates: dict[str, str]) -> Callable[..., Any]:
    """``await fresh_database("members")`` -> URL of a new database copied from the template."""

    async def make(service: str) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}_{service}"
        return await create_database(infra.database_url, name, template=templates[service])

    return make


@pytest.fixture
def topic_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
def settings_for(
    infra: Infra, fresh_database: Callable[..., Any], topic_prefix: str
) -> Callable[..., Any]:
    """``await settings_for(MembersSettings)`` -> settings on a fresh database and this
    test's topics, with quick retries so failure paths finish fast."""

    async def make(cls: type[ServiceSettings], **overrides: Any) -> ServiceSettings:
        service = cls.model_fields["service_name"].default
        values: dict[str, Any] = {
            "environment": "test",
            "database_url": await fresh_database(service),
            "kafka_bootstrap_servers": infra.bootstrap_servers,
            "kafka_idempotent_producer": infra.idempotent_producer,
            "kafka_topic_prefix": topic_prefix,
            "kafka_topic_partitions": 3,
            "consumer_backoff_seconds": 0.01,
            "consumer_backoff_max_seconds": 0.05,
            "consumer_max_attempts": 3,
            "outbox_poll_seconds": 0.2,
            "database_pool_size": 5,
            "kafka_session_timeout_ms": 3000,
            "kafka_rebalance_timeout_ms": 2000,
            "kafka_heartbeat_interval_ms": 500,
            "log_json": True,
        }
        values.update(overrides)
        return cls(**values)

    return make


@pytest.fixture
async def db_conn(infra: Infra) -> AsyncIterator[Callable[..., Any]]:
    """``await db_conn(url)`` -> a raw asyncpg connection for assertions, closed afterwards."""
    opened: list[asyncpg.Connection] = []

    async def connect(url: str) -> asyncpg.Connection:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        await conn.close()
