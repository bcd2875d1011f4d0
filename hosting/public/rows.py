"""The cold path's one read: the stored public bytes of an assertion (its document, ETag and state) by public id,
straight through the database driver — no ORM, no SQLAlchemy connection pool or transaction per request.

- **SQLite**: one read-only ``sqlite3`` connection per process (``mode=ro``, autocommit: :func:`connect_read_only`),
  used on the event loop itself: an indexed lookup of one row takes microseconds, less than handing it to a driver
  thread and back. Every statement is stepped to its end, so no read transaction (no old WAL snapshot) outlives it.
- **PostgreSQL** (asyncpg): a small asyncpg pool of its own, created on first use in the worker's event loop,
  whose connections are not reset on release (they only ever run this SELECT); the reads asked for in one turn
  of the event loop go out as one query, one round trip for them all.
- Anything else has no direct path (:attr:`StoredRows.direct` is false). The direct path failing (file away,
  connection lost) raises :class:`DirectReadFailed`: the caller reads through SQLAlchemy instead, which also
  reports an outage as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from sqlalchemy.engine import make_url

from hosting.lib.db import DbLimits, sqlite_path

__all__ = ["AssertionRow", "DirectReadFailed", "StoredRows", "connect_read_only"]

_COLUMNS = ("id, state, document, document_etag, document_base, updated_at, revocation_reason, revoked_at, "
            "replaced_by_id")
_SQLITE_ASSERTION = f"SELECT {_COLUMNS} FROM assertions WHERE public_id = ? AND format = 'ob2'"
_SQLITE_ASSERTIONS = "SELECT public_id, {columns} FROM assertions WHERE public_id IN ({marks}) AND format = 'ob2'"
_SQLITE_MANY = 100  # ids per statement when reading many: each statement blocks the event loop ~1 ms at most
_PG_ASSERTIONS = f"SELECT public_id, {_COLUMNS} FROM assertions WHERE public_id = ANY($1::text[]) AND format = 'ob2'"
_SQLITE_BUSY_MS = 100  # a reader in WAL mode waits only on a rare WAL recovery: give up soon, read through
_SQLITE_CACHE_KIB = 32 * 1024  # the read connection's page cache (SQLite's default: 2 MiB), filled as used
_PG_POOL_MAX = 8  # per process: one round trip each, so a few connections carry thousands of reads a second
_RETRY_SECONDS = 1.0  # after the direct path failed, read through SQLAlchemy this long before trying it again


class DirectReadFailed(Exception):
    """The direct path could not answer now: read through SQLAlchemy instead."""


class AssertionRow(NamedTuple):
    """What a public assertion GET needs from its row (the columns of ``_COLUMNS``)."""

    id: int
    state: str
    document: bytes | None
    document_etag: str | None
    document_base: str | None
    updated_at: datetime
    revocation_reason: str | None
    revoked_at: datetime | None
    replaced_by_id: int | None


def _sqlite_time(value: Any) -> datetime | None:
    """SQLite keeps SQLAlchemy's ``DateTime`` as ISO text; SQLAlchemy reads it back naive, and so do we."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is None else parsed.replace(tzinfo=None)


def connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only autocommit connection to the SQLite file ``path`` (never creates it), usable from any thread
    (the event loop's), waiting at most ``_SQLITE_BUSY_MS`` on a lock. Raises :class:`sqlite3.Error`."""
    if not path.is_file():  # mode=ro never creates it; say so plainly
        raise sqlite3.OperationalError(f"no database file {path}")
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, isolation_level=None,
                           check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
    return conn


def _sqlite_row(r: Any) -> AssertionRow:
    return AssertionRow(r[0], r[1], r[2], r[3], r[4], _sqlite_time(r[5]),  # type: ignore[arg-type]
                        r[6], _sqlite_time(r[7]), r[8])


async def _no_reset(_conn: Any) -> None:
    """Pool connections run one read-only SELECT and keep no session state: nothing to reset on release."""


class StoredRows:
    """Reads assertion rows for :class:`~hosting.public.service.PublicReader` through the driver (one process)."""

    def __init__(self, database_url: str, *, limits: DbLimits | None = None) -> None:
        self._limits = limits or DbLimits()
        url = make_url(database_url)
        self._sqlite: Path | None = sqlite_path(database_url)
        self._dsn: str | None = None
        if url.get_backend_name() == "postgresql" and url.get_driver_name() == "asyncpg":
            self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._conn: sqlite3.Connection | None = None
        self._pool: Any = None
        self._pool_lock = asyncio.Lock()
        self._retry_at = 0.0  # while the direct path is down, do not wait on it with every read
        self._waiting: dict[str, list[asyncio.Future[AssertionRow | None]]] = {}  # PostgreSQL: the next batch
        self._batches: set[asyncio.Task[None]] = set()

    @property
    def direct(self) -> bool:
        """Whether this backend has a direct path (else :meth:`get` always raises :class:`DirectReadFailed`)."""
        return self._sqlite is not None or self._dsn is not None

    async def get(self, public_id: str) -> AssertionRow | None:
        """The OB 2.0 assertion's row (``None``: there is none). Raises :class:`DirectReadFailed`."""
        if self._retry_at and time.monotonic() < self._retry_at:
            raise DirectReadFailed("the direct path failed a moment ago")
        if self._sqlite is not None:
            return self._get_sqlite(public_id)
        if self._dsn is not None:
            return await self._get_postgres(public_id)
        raise DirectReadFailed("no direct path for this backend")

    async def get_many(self, public_ids: list[str]) -> dict[str, AssertionRow]:
        """The rows of those of ``public_ids`` that are OB 2.0 assertions, by public id (the in-process cache's
        background refresh). Raises :class:`DirectReadFailed`."""
        if self._retry_at and time.monotonic() < self._retry_at:
            raise DirectReadFailed("the direct path failed a moment ago")
        if self._sqlite is not None:
            found: dict[str, AssertionRow] = {}
            for start in range(0, len(public_ids), _SQLITE_MANY):
                if start:
                    await asyncio.sleep(0)  # let requests run between statements
                chunk = public_ids[start:start + _SQLITE_MANY]
                statement = _SQLITE_ASSERTIONS.format(columns=_COLUMNS, marks=",".join("?" * len(chunk)))
                found.update((r[0], _sqlite_row(r[1:])) for r in self._sqlite_read(statement, chunk))
            return found
        if self._dsn is not None:
            return {r[0]: r[1] for r in await self._fetch_postgres(public_ids)}
        raise DirectReadFailed("no direct path for this backend")

    def _get_sqlite(self, public_id: str) -> AssertionRow | None:
        rows = self._sqlite_read(_SQLITE_ASSERTION, (public_id,))
        return _sqlite_row(rows[0]) if rows else None

    def _sqlite_read(self, statement: str, parameters: Any) -> list[Any]:
        try:
            conn = self._conn or self._connect_sqlite()
            return conn.execute(statement, parameters).fetchall()  # to the end: the read is over
        except sqlite3.Error as exc:
            self._close_sqlite()
            self._retry_at = time.monotonic() + _RETRY_SECONDS
            raise DirectReadFailed(f"SQLite: {exc}") from exc

    def _connect_sqlite(self) -> sqlite3.Connection:
        assert self._sqlite is not None
        conn = connect_read_only(self._sqlite)
        conn.execute(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}")  # reads of many distinct rows: fewer page reads
        self._conn = conn
        return conn

    def _close_sqlite(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    async def _get_postgres(self, public_id: str) -> AssertionRow | None:
        """Reads asked for in the same turn of the event loop go out as one query (``= ANY($1)``): one round
        trip and one statement for many concurrent GETs. Each read still starts after it was asked for, so it
        sees every change committed before its request. Each reader waits on a future of its own, so one
        cancelled request (its client went away) cancels nobody else's read."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[AssertionRow | None] = loop.create_future()
        waiting = self._waiting.get(public_id)
        if waiting is not None:
            waiting.append(future)
        else:
            self._waiting[public_id] = [future]
            if len(self._waiting) == 1:
                loop.call_soon(self._send_batch)
        return await future

    def _send_batch(self) -> None:
        batch, self._waiting = self._waiting, {}
        if batch:
            task = asyncio.get_running_loop().create_task(self._read_batch(batch))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)

    async def _read_batch(self, batch: dict[str, list[asyncio.Future[AssertionRow | None]]]) -> None:
        try:
            records = await self._fetch_postgres(list(batch))
        except DirectReadFailed as failed:
            for futures in batch.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(failed)
            return
        except BaseException as exc:  # cancelled (shutdown) or a bug: the readers must not wait forever
            for futures in batch.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(DirectReadFailed(f"PostgreSQL: {type(exc).__name__}"))
            raise
        found = dict(records)
        for public_id, futures in batch.items():
            row = found.get(public_id)
            for future in futures:
                if not future.done():
                    future.set_result(row)

    async def _fetch_postgres(self, public_ids: list[str]) -> list[tuple[str, AssertionRow]]:
        """One ``= ANY($1)`` query for ``public_ids``: (public id, row) of each OB 2.0 assertion among them."""
        import asyncpg  # the PostgreSQL driver: only imported when PostgreSQL is used

        try:
            pool = self._pool or await self._open_pool()
            records = await pool.fetch(_PG_ASSERTIONS, public_ids)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            self._retry_at = time.monotonic() + _RETRY_SECONDS
            raise DirectReadFailed(f"PostgreSQL: {type(exc).__name__}: {exc}") from exc
        return [(r[0], AssertionRow(*tuple(r)[1:])) for r in records]

    async def _open_pool(self) -> Any:
        import asyncpg

        async with self._pool_lock:
            if self._pool is None:
                limits = self._limits
                self._pool = await asyncpg.create_pool(
                    self._dsn, min_size=1, max_size=_PG_POOL_MAX, reset=_no_reset, timeout=limits.connect_timeout,
                    command_timeout=limits.statement_timeout, max_inactive_connection_lifetime=60,
                    server_settings={"statement_timeout": str(int(limits.statement_timeout * 1000)),
                                     "application_name": "openbadges-public-reads"})
        return self._pool

    async def close(self) -> None:
        """Close the connection (SQLite) or pool (PostgreSQL); a later read opens them again."""
        self._close_sqlite()
        for task in list(self._batches):  # their readers get DirectReadFailed and read through
            task.cancel()
        pool, self._pool = self._pool, None
        if pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pool.close(), 5)
