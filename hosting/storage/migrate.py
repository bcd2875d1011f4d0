"""Alembic migrations of the app's database (scripts in ``hosting/storage/migrations``)."""

from __future__ import annotations

import asyncio
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


async def migrate_async(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (from inside a running event loop); a new SQLite file is 0600."""
    prepare_sqlite_file(url)
    engine = migration_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade, url, revision)
    finally:
        await engine.dispose()
        prepare_sqlite_file(url)


def _upgrade(sync_conn: Any, url: str, revision: str) -> None:
    cfg = alembic_config(url)
    cfg.attributes["connection"] = sync_conn
    command.upgrade(cfg, revision)


def _downgrade(sync_conn: Any, url: str, revision: str) -> None:
    cfg = alembic_config(url)
    cfg.attributes["connection"] = sync_conn
    command.downgrade(cfg, revision)


async def downgrade_async(url: str, revision: str) -> None:
    """Undo migrations down to ``revision`` (on the migration engine, as :func:`migrate_async` runs them)."""
    engine = migration_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_downgrade, url, revision)
    finally:
        await engine.dispose()


def downgrade(url: str, revision: str) -> None:
    """Undo migrations down to ``revision`` (synchronous)."""
    asyncio.run(downgrade_async(url, revision))


def migrate(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (synchronous entry point for the CLI and fixtures)."""
    asyncio.run(migrate_async(url, revision))
