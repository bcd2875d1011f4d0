"""Alembic migrations of the app's database (scripts in ``hosting/storage/migrations``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

from hosting.lib.db import create_engine, prepare_sqlite_file

__all__ = ["MIGRATIONS", "alembic_config", "migrate", "migrate_async", "migration_engine"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def migration_engine(url: str) -> AsyncEngine:
    """The engine migrations run on. SQLite does not enforce foreign keys during them (as its own procedure for
    schema changes asks: batch mode recreates tables other tables refer to); ``env.py`` runs
    ``PRAGMA foreign_key_check`` before the COMMIT instead, so a migration cannot leave a dangling reference."""
    return create_engine(url, foreign_keys=False)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def _run(url: str, step: Callable[[Config, str], None], revision: str) -> None:
    """Run the Alembic ``step`` (``command.upgrade``/``command.downgrade``) to ``revision`` on the migration engine,
    in one transaction."""

    def on_connection(sync_conn: Any) -> None:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = sync_conn
        step(cfg, revision)

    engine = migration_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(on_connection)
    finally:
        await engine.dispose()


async def migrate_async(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (from inside a running event loop); a new SQLite file is 0600."""
    prepare_sqlite_file(url)
    try:
        await _run(url, command.upgrade, revision)
    finally:
        prepare_sqlite_file(url)


async def downgrade_async(url: str, revision: str) -> None:
    """Undo migrations down to ``revision`` (on the migration engine, as :func:`migrate_async` runs them)."""
    await _run(url, command.downgrade, revision)


def downgrade(url: str, revision: str) -> None:
    """Undo migrations down to ``revision`` (synchronous)."""
    asyncio.run(downgrade_async(url, revision))


def migrate(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (synchronous entry point for the CLI and fixtures)."""
    asyncio.run(migrate_async(url, revision))
