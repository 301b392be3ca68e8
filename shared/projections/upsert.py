"""Version-checked upserts: how any projection of another service's aggregates is kept
from its state-carrying events, whatever the order and however often they arrive."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    Numeric,
    String,
    Table,
    TextClause,
    Uuid,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


@lru_cache(maxsize=256)
def _upsert(table: Table, columns: tuple[str, ...], key: tuple[str, ...], version: str) -> Insert:
    """Built once per shape: constructing the statement costs more than running it."""
    insert = pg_insert(table)
    return insert.on_conflict_do_update(
        index_elements=list(key),
        set_={c: insert.excluded[c] for c in columns if c not in key},
        where=table.c[version] < insert.excluded[version],
    )


# Column types whose Python values asyncpg encodes itself, in arrays too, with no
# SQLAlchemy processing in between; strings travel as text so that a too-long value fails
# on the column as it would in a plain INSERT rather than being cut by a cast.
_ARRAY_SAFE = (Uuid, Integer, DateTime, Date, Boolean, Float, Numeric)


def _array_type(column: Column[Any]) -> str | None:
    if isinstance(column.type, Enum):
        return None
    if isinstance(column.type, ARRAY):
        # A list column travels as its array literal (text), cast back row by row:
        # unnest cannot take an array of arrays of different lengths.
        item = column.type.item_type
        if isinstance(item, String | Uuid):
            return f"{_scalar_type(item)}[]"
        return None
    if isinstance(column.type, (String, *_ARRAY_SAFE)):
        return _scalar_type(column.type)
    return None


def _scalar_type(sql_type: Any) -> str:
    return "text" if isinstance(sql_type, String) else str(sql_type.compile(dialect=_DIALECT))


def array_literal(values: Sequence[Any] | None) -> str | None:
    """A PostgreSQL array literal (``{"a","b"}``) for a list of strings or UUIDs."""
    if values is None:
        return None
    items = []
    for value in values:
        if value is None:
            items.append("NULL")
        else:
            text_value = str(value).replace("\\", "\\\\").replace('"', '\\"')
            items.append(f'"{text_value}"')
    return "{" + ",".join(items) + "}"


@lru_cache(maxsize=256)
def _array_upsert(
    table: Table, columns: tuple[str, ...], key: tuple[str, ...], version: str
) -> TextClause | None:
    """The same upsert as :func:`_upsert` as one statement whose parameters are one array
    per column (``unnest``): the cost per row is asyncpg's encoding, not SQLAlchemy's
    parameter processing. ``None`` when a column needs SQLAlchemy (a type it converts, or
    a Python-side default the plain INSERT would have filled in)."""
    types = []
    for c in columns:
        if c not in table.c:
            return None
        array_type = _array_type(table.c[c])
        if array_type is None:
            return None
        types.append(array_type)
    if any(col.default is not None for col in table.c if col.name not in columns):
        return None
    prep = _DIALECT.identifier_preparer
    name = prep.format_table(table)
    cols = ", ".join(prep.quote(c) for c in columns)
    # A list column's values come as text (its literal) and are cast in the SELECT.
    arrays = ", ".join(
        f"CAST(:c{i} AS {'text' if t.endswith('[]') else t}[])" for i, t in enumerate(types)
    )
    picked = ", ".join(
        f"CAST(t.c{i} AS {t})" if t.endswith("[]") else f"t.c{i}" for i, t in enumerate(types)
    )
    aliases = ", ".join(f"c{i}" for i in range(len(types)))
    updates = ", ".join(
        f"{prep.quote(c)} = excluded.{prep.quote(c)}" for c in columns if c not in key
    )
    conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    where = (
        f" WHERE {name}.{prep.quote(version)} < excluded.{prep.quote(version)}" if updates else ""
    )
    return text(
        f"INSERT INTO {name} ({cols}) SELECT {picked} FROM unnest({arrays}) AS t({aliases}) "
        f"ON CONFLICT ({', '.join(prep.quote(k) for k in key)}) {conflict}{where}"
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
    array_statement = _array_upsert(table, columns, tuple(key), version_column)
    if array_statement is not None:
        lists = {c for c in columns if isinstance(table.c[c].type, ARRAY)}
        await session.execute(
            array_statement,
            {
                f"c{i}": [array_literal(r[c]) if c in lists else r[c] for r in newest.values()]
                for i, c in enumerate(columns)
            },
        )
        return
    statement = _upsert(table, columns, tuple(key), version_column)
    await session.execute(statement, [dict(r) for r in newest.values()])
