"""Database plumbing: engine options per backend (timeouts), SQLite pragmas and file mode, which database errors
mean "unavailable, retry later" (migrations: :mod:`hosting.storage.migrate`), and the bulk INSERT of many rows."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy import Table, event, insert
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

__all__ = [
    "DbLimits",
    "WriteIntentMiddleware",
    "bulk_insert",
    "create_engine",
    "engine_options",
    "immediate_transactions",
    "is_busy_error",
    "is_sqlite",
    "is_unavailable_error",
    "note_public_change",
    "prepare_sqlite_file",
    "sqlite_path",
    "take_public_changes",
]

SQLITE_BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True, slots=True)
class DbLimits:
    """How long the app waits on the database (seconds): opening a connection, one statement (PostgreSQL,
    client side, so a frozen network path also ends), a free pool slot, SQLite's write lock."""

    connect_timeout: float = 5.0
    statement_timeout: float = 10.0
    pool_timeout: float = 5.0
    busy_timeout: float = SQLITE_BUSY_TIMEOUT_MS / 1000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for other backends and in-memory databases)."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    name = u.database.removeprefix("file:") if u.query.get("uri") else u.database
    return Path(name.split("?", 1)[0])


def _must_exist(url: str) -> URL:
    """The SQLite URL opened read-write without creating the file (``mode=rw``): a deleted database is an error,
    never a new empty one. A ``mode`` already given (e.g. ``ro``) is kept."""
    u = make_url(url)
    path = sqlite_path(url)
    if path is None or u.query.get("uri"):
        return u
    return u.set(database=f"file:{path}").update_query_dict({"mode": "rw", "uri": "true"})


def prepare_sqlite_file(url: str) -> None:
    """Create the SQLite file (and chmod it, its WAL and SHM) mode 0600: it holds recipients' emails."""
    path = sqlite_path(url)
    if path is None:
        return
    if not path.exists() and path.parent.is_dir():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            file.chmod(0o600)


def engine_options(url: str, *, pool_size: int = 10, limits: DbLimits | None = None) -> dict[str, Any]:
    """Keyword arguments for ``create_async_engine`` suited to the backend, with ``limits`` applied."""
    limits = limits or DbLimits()
    if is_sqlite(url):
        return {"pool_size": pool_size, "max_overflow": 0, "pool_timeout": limits.pool_timeout}
    options: dict[str, Any] = {"pool_size": pool_size, "max_overflow": pool_size, "pool_pre_ping": True,
                               "pool_timeout": limits.pool_timeout}
    if make_url(url).get_driver_name() == "asyncpg":
        options["connect_args"] = {
            "timeout": limits.connect_timeout,
            "command_timeout": limits.statement_timeout,
            "server_settings": {"statement_timeout": str(int(limits.statement_timeout * 1000))},
        }
    return options


# PostgreSQL's "retry the transaction" errors: serialization_failure, deadlock_detected (one of two transactions
# waiting on each other's row locks is aborted). asyncpg's are not OperationalErrors, so they go by SQLSTATE.
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})


def _retry_sqlstate(exc: BaseException) -> bool:
    return isinstance(exc, sa_exc.DBAPIError) and getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES


def is_busy_error(exc: BaseException) -> bool:
    """A lock held by another transaction (SQLite "database is locked", a deadlock, a serialization failure):
    retry soon."""
    if _retry_sqlstate(exc):
        return True
    text = str(exc).lower()
    return isinstance(exc, sa_exc.OperationalError) and ("locked" in text or "busy" in text or "deadlock" in text)


def is_unavailable_error(exc: BaseException) -> bool:
    """The database cannot serve now (down, unreachable, timed out, busy, read-only, full, file missing), as
    opposed to a bug or a constraint violation: the request may succeed later (503, not 500)."""
    if isinstance(exc, sa_exc.DBAPIError):
        if _retry_sqlstate(exc):
            return True
        if exc.connection_invalidated or isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
            return True
        return isinstance(exc.orig, OSError | TimeoutError) or "timeout" in type(exc.orig).__name__.lower()
    return isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError | OSError | TimeoutError)


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


async def _open_aiosqlite(*args: Any, **kwargs: Any) -> Any:
    """``aiosqlite.connect(*args, **kwargs)``, except that a failed open returns only once the connection's worker
    thread has ended.

    aiosqlite (0.22 and before, its issue #241) stops the worker of a connection that failed to open without
    waiting for it; the worker then reports to the event loop from its thread. When the loop is closed first (a
    command run by ``asyncio.run`` that failed on an unwritable SQLite file exits at once), the thread dies with
    "RuntimeError: Event loop is closed" and prints its traceback after the command's one-line error. Waiting here
    keeps the loop open until the worker is done."""
    import aiosqlite

    connection = aiosqlite.connect(*args, **kwargs)
    # Before aiosqlite 0.22 the connection was the thread; SQLAlchemy's own opener makes it a daemon, as here.
    worker: threading.Thread = connection if isinstance(connection, threading.Thread) else connection._thread
    worker.daemon = True
    try:
        return await connection
    except BaseException:
        await asyncio.to_thread(worker.join)
        raise


def install_sqlite_pragmas(engine: AsyncEngine, *, busy_timeout: float = SQLITE_BUSY_TIMEOUT_MS / 1000,
                           foreign_keys: bool = True) -> None:
    """WAL journal, a busy timeout, foreign keys enforced (unless ``foreign_keys`` is false: migrations) and our
    own BEGIN (IMMEDIATE when writing) on every SQLite connection; aiosqlite connections are opened by
    :func:`_open_aiosqlite`."""
    if engine.dialect.name != "sqlite":
        return
    busy_ms = int(busy_timeout * 1000)

    if engine.dialect.driver == "aiosqlite":
        @event.listens_for(engine.sync_engine, "do_connect")
        def _do_connect(_dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
            cparams["async_creator_fn"] = _open_aiosqlite  # the dialect's connect() awaits it with the arguments

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()
        dbapi_connection.isolation_level = None  # the driver emits no BEGIN of its own: see _on_begin

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _IMMEDIATE.get() else "BEGIN")


def create_engine(url: str, *, pool_size: int = 10, limits: DbLimits | None = None,
                  must_exist: bool = False, foreign_keys: bool = True) -> AsyncEngine:
    """An engine for ``url``; ``must_exist``: a SQLite file is opened ``mode=rw`` (never created);
    ``foreign_keys=False``: SQLite does not enforce them (migrations only, which check them at the end)."""
    limits = limits or DbLimits()
    engine = create_async_engine(_must_exist(url) if must_exist else url,
                                 **engine_options(url, pool_size=pool_size, limits=limits))
    install_sqlite_pragmas(engine, busy_timeout=limits.busy_timeout, foreign_keys=foreign_keys)
    return engine


# What a unit of work changed in the public answers: noted on the session by whatever makes the change (the
# assertion state machine, the issuer and badge APIs) and evicted from the public cache by the transaction
# layer once the COMMIT is done (hosting/app/transaction.py), never before: an eviction before the COMMIT lets
# a concurrent GET cache the old state again.
_PUBLIC_CHANGES = "openbadges_public_changes"


def note_public_change(session: AsyncSession, public_id: str | None = None) -> None:
    """Record that committing ``session`` changes what the public URL of ``public_id`` answers (``None``:
    possibly any public answer)."""
    changes: set[str | None] = session.info.setdefault(_PUBLIC_CHANGES, set())
    changes.add(public_id)


def take_public_changes(session: AsyncSession) -> set[str | None]:
    """The changes noted on ``session`` (``None`` among them: everything), forgotten on the session."""
    changes: set[str | None] = session.info.pop(_PUBLIC_CHANGES, set())
    return changes


async def bulk_insert(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table`` in one executemany, through Core (no ORM objects).

    A column that is None in every row and has neither a default nor a server default is left out of the
    statement: it is NULL all the same, and each row binds fewer parameters. That matters for big batches: every
    bound parameter is processed per row by SQLAlchemy, and under Python 3.11 the ``sqlite3`` module adapts each
    None it binds through a failed ``__adapt__`` lookup that raises and formats an AttributeError (about 3,000
    instructions a parameter: an ``assertions`` row of a hosted batch has some twenty NULL columns)."""
    if not rows:
        return
    first, columns = rows[0], table.c
    empty = [key for key, value in first.items()
             if value is None and columns[key].default is None and columns[key].server_default is None
             and [row[key] for row in rows].count(None) == len(rows)]
    if empty:
        kept = [key for key in first if key not in empty]
        rows = [{key: row[key] for key in kept} for row in rows]
    await session.execute(insert(table), rows)
