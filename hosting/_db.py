"""Database plumbing: engine options per backend, SQLite pragmas, and Alembic migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = ["alembic_config", "create_engine", "engine_options", "is_sqlite", "migrate", "migrate_async"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def engine_options(url: str, *, pool_size: int = 10) -> dict[str, Any]:
    """Keyword arguments for ``create_async_engine`` suited to the backend."""
    if is_sqlite(url):
        return {"pool_size": pool_size, "max_overflow": 0}
    return {"pool_size": pool_size, "max_overflow": pool_size, "pool_pre_ping": True}


def install_sqlite_pragmas(engine: AsyncEngine) -> None:
    """WAL journal and a busy timeout on every new SQLite connection (one writer at a time)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    engine = create_async_engine(url, **engine_options(url, pool_size=pool_size))
    install_sqlite_pragmas(engine)
    return engine


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def migrate_async(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (from inside a running event loop)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade, url, revision)
    finally:
        await engine.dispose()


def _upgrade(sync_conn: Any, url: str, revision: str) -> None:
    cfg = alembic_config(url)
    cfg.attributes["connection"] = sync_conn
    command.upgrade(cfg, revision)


def migrate(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (synchronous entry point for the CLI and fixtures)."""
    asyncio.run(migrate_async(url, revision))
