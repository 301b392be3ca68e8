"""Database plumbing: async engine and session factory, naming convention, unit of work.

The entrypoint owns the transaction (an HTTP request or one consumed event batch):
repositories and services only ``flush()``; :func:`unit_of_work` commits or rolls back.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import ColumnElement, MetaData, Uuid, literal
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

# Constraint names that Alembic can diff and that read well in error messages.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    """Declarative base for one service; each service subclasses it with its own MetaData.

    ``__abstract__`` keeps this class itself from owning tables, so two services'
    models never share a MetaData even when imported into one test process.
    """

    __abstract__ = True


def create_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    # hide_parameters: a failed statement's error message (and so any traceback logged
    # with it) never carries its parameters, which are names, mobiles, ID numbers and
    # password hashes.
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        hide_parameters=True,
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: commit when the block ends normally, roll back when it raises."""
    async with sessions() as session, session.begin():
        yield session


def asyncpg_dsn(url: str) -> str:
    """The same database as a plain ``postgresql://`` DSN for raw asyncpg connections."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def database_url(server_url: str, name: str) -> str:
    """The URL of database ``name`` on the server that ``server_url`` points at."""
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def create_database(
    server_url: str, name: str, *, template: str | None = None, if_missing: bool = False
) -> str:
    """Create a database (optionally copied from ``template``); return its URL."""
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not (exists and if_missing):
            copy = f' TEMPLATE "{template}"' if template else ""
            await conn.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await conn.close()
    return database_url(server_url, name)


async def drop_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def uuid_array(values: Sequence[uuid.UUID]) -> ColumnElement[list[uuid.UUID]]:
    """A bound ``uuid[]`` (for ``@>`` / ``&&`` on uuid arrays), not ``ARRAY[$1]`` of text."""
    return literal(list(values), postgresql.ARRAY(Uuid))


async def copy_rows(
    session: AsyncSession, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Rows into ``table`` with COPY, on the session's connection and so inside its
    transaction (and SAVEPOINT). For set-based writes of thousands of rows, where an
    INSERT's per-row cost is most of the time; omitted columns take their defaults. A
    violated constraint raises SQLAlchemy's ``IntegrityError``, as an INSERT would."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    try:
        await driver.copy_records_to_table(table, records=rows, columns=list(columns))
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(f"COPY {table}", None, exc) from exc
