"""Database plumbing: engine options per backend, SQLite pragmas, and Alembic migrations."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = [
    "WriteIntentMiddleware",
    "alembic_config",
    "create_engine",
    "engine_options",
    "immediate_transactions",
    "is_sqlite",
    "migrate",
    "migrate_async",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def engine_options(url: str, *, pool_size: int = 10) -> dict[str, Any]:
    """Keyword arguments for ``create_async_engine`` suited to the backend."""
    if is_sqlite(url):
        return {"pool_size": pool_size, "max_overflow": 0}
    return {"pool_size": pool_size, "max_overflow": pool_size, "pool_pre_ping": True}


# SQLite has one writer. A transaction that starts DEFERRED, reads, then writes fails at once with "database is
# locked" (SQLITE_BUSY_SNAPSHOT; the busy timeout does not apply) when another writer committed in between. So
# transactions that mean to write start with BEGIN IMMEDIATE (they queue on the busy timeout instead); reads
# stay DEFERRED so they never wait for a writer (WAL).
_IMMEDIATE: ContextVar[bool] = ContextVar("openbadges_sqlite_immediate", default=False)
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@contextmanager
def immediate_transactions(enabled: bool = True) -> Iterator[None]:
    """SQLite transactions begun in this context take the write lock up front (``BEGIN IMMEDIATE``)."""
    token = _IMMEDIATE.set(enabled)
    try:
        yield
    finally:
        _IMMEDIATE.reset(token)


class WriteIntentMiddleware:
    """Requests that may write (anything but GET/HEAD/OPTIONS) run under :func:`immediate_transactions`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _READ_METHODS:
            with immediate_transactions():
                await self.app(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install_sqlite_pragmas(engine: AsyncEngine) -> None:
    """WAL journal, a busy timeout and our own BEGIN (IMMEDIATE when writing) on every SQLite connection."""
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
        dbapi_connection.isolation_level = None  # the driver emits no BEGIN of its own: see _on_begin

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _IMMEDIATE.get() else "BEGIN")


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
