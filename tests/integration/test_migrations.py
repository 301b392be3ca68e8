"""Each service's models and migrations agree (``alembic check``) and migrate both ways."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from services.catalog import SERVICE_NAMES as SERVICES
from shared import migrations

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("service", SERVICES)
async def test_models_match_migrations_and_downgrade_works(
    service: str, fresh_database: Callable[..., Any], db_conn: Callable[..., Any]
) -> None:
    url = await fresh_database(service)  # a copy of the template, migrated to head
    await asyncio.to_thread(migrations.check, service, url)
    await asyncio.to_thread(migrations.upgrade_or_downgrade, service, url, "base")
    conn = await db_conn(url)
    tables = await conn.fetch(
        "SELECT tablename FROM pg_tables"
        " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
    )
    assert tables == []
    await asyncio.to_thread(migrations.upgrade, service, url)
    await asyncio.to_thread(migrations.check, service, url)
