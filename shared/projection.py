"""Projections of another service's aggregates, kept from its state-carrying events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession


async def upsert_if_newer(
    session: AsyncSession,
    table: Table,
    values: Mapping[str, Any],
    key: Sequence[str],
    version_column: str = "version",
) -> bool:
    """Insert the row, or overwrite it only if ``values`` carries a newer version.

    Returns whether the row changed. Duplicates and out-of-order deliveries therefore
    leave the projection as the newest event left it.
    """
    insert = pg_insert(table).values(dict(values))
    upsert = insert.on_conflict_do_update(
        index_elements=list(key),
        set_={c: insert.excluded[c] for c in values if c not in key},
        where=table.c[version_column] < insert.excluded[version_column],
    ).returning(table.c[version_column])
    return (await session.execute(upsert)).first() is not None
