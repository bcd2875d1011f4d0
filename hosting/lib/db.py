"""Database plumbing: engine options per backend and SQLite pragmas (migrations: :mod:`hosting.storage.migrate`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = [
    "WriteIntentMiddleware",
    "create_engine",
    "engine_options",
    "immediate_transactions",
    "is_sqlite",
]

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
        if scope["type"] == ScopeType.HTTP and scope["method"] not in _READ_METHODS:
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
