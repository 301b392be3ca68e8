"""The benchmark's PostgreSQL server and broker: taken from the environment or started here."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

from shared import migrations
from shared.db import create_database, drop_database
from shared.embedded import EmbeddedBroker, EmbeddedPostgres

SERVICES = ("members", "activities")


@dataclass
class BenchInfra:
    kind: str  # "settings" or "embedded"
    server_url: str
    bootstrap_servers: str
    databases: dict[str, str] = field(default_factory=dict)  # service -> database URL


async def start_infra(stack: AsyncExitStack) -> BenchInfra:
    """Start (or take from the environment) PostgreSQL and the broker; create, migrate and
    register for removal one database per service."""
    db = os.environ.get("GONGJIAN_BENCH_DATABASE_URL")
    kafka = os.environ.get("GONGJIAN_BENCH_KAFKA_BOOTSTRAP_SERVERS")
    if db and kafka:
        infra = BenchInfra("settings", db, kafka)
    else:
        root = Path(tempfile.mkdtemp(prefix="gongjian-bench-"))
        stack.callback(shutil.rmtree, root, ignore_errors=True)
        pg = EmbeddedPostgres(root / "pgdata", durable=True)  # real fsyncs on every commit
        stack.callback(pg.stop)
        await asyncio.to_thread(pg.start)
        broker = EmbeddedBroker(log_dir=root)
        stack.callback(broker.stop)
        await asyncio.to_thread(broker.start)
        infra = BenchInfra("embedded", pg.url, broker.bootstrap_servers)

    run = uuid.uuid4().hex[:8]
    names = {s: f"bench_{run}_{s}" for s in SERVICES}
    # Alembic keeps its context in module globals: one migration at a time, off the loop.
    for service, name in names.items():
        url = await create_database(infra.server_url, name)
        if infra.kind == "settings":  # a shared server: leave nothing behind
            stack.push_async_callback(drop_database, infra.server_url, name)
        await asyncio.to_thread(migrations.upgrade, service, url)
        infra.databases[service] = url
    return infra
