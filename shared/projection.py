"""Projections of another service's aggregates, kept from its state-carrying events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession


@lru_cache(maxsize=256)
def _upsert(table: Table, columns: tuple[str, ...], key: tuple[str, ...], version: str) -> Insert:
    """Built once per shape: constructing the statement costs more than running it."""
    insert = pg_insert(table)
    return insert.on_conflict_do_update(
        index_elements=list(key),
        set_={c: insert.excluded[c] for c in columns if c not in key},
        where=table.c[version] < insert.excluded[version],
    )


async def upsert_if_newer(
    session: AsyncSession,
    table: Table,
    values: Mapping[str, Any],
    key: Sequence[str],
    version_column: str = "version",
) -> None:
    """Insert the row, or overwrite the existing one only if ``values`` is newer."""
    await upsert_many_if_newer(session, table, [values], key, version_column)


async def upsert_many_if_newer(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    key: Sequence[str],
    version_column: str = "version",
) -> None:
    """Insert each row, or overwrite an existing one only if the row's version is newer.

    Duplicates and out-of-order deliveries therefore leave the projection as the newest
    event left it. Rows for the same key inside one call are reduced to the newest first
    (one statement may not touch a row twice)."""
    if not rows:
        return
    newest: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    for row in rows:
        k = tuple(row[c] for c in key)
        if k not in newest or newest[k][version_column] < row[version_column]:
            newest[k] = row
    columns = tuple(rows[0])
    statement = _upsert(table, columns, tuple(key), version_column)
    await session.execute(statement, [dict(r) for r in newest.values()])
