"""Alembic, once per service: each service has its own database and migration history.

``services/<name>/migrations/env.py`` calls :func:`run_env`; the commands here build the
Alembic config in code, so ``python -m services.<name> migrate`` needs no ini file.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"


def alembic_config(service: str, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    # Migrations are named by date and slug, e.g. 20261122_outbox_inbox_members.py
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(slug)s")
    cfg.set_main_option("truncate_slug_length", "60")
    return cfg


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, database_url), revision)


def upgrade_or_downgrade(service: str, database_url: str, revision: str) -> None:
    """Move to ``revision`` in whichever direction it lies ("base" empties the schema)."""
    if revision == "base":
        command.downgrade(alembic_config(service, database_url), "base")
    else:
        command.upgrade(alembic_config(service, database_url), revision)


def check(service: str, database_url: str) -> None:
    """Fails when the models hold something no migration creates (``alembic check``)."""
    command.check(alembic_config(service, database_url))


def _run_sync(connection: Connection, metadata: MetaData) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(metadata: MetaData) -> None:
    config = context.config
    engine = async_engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    async with engine.connect() as connection:
        await connection.run_sync(_run_sync, metadata)
    await engine.dispose()


def run_env(metadata: MetaData) -> None:
    if context.is_offline_mode():
        context.configure(
            url=context.config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(_run_async(metadata))
