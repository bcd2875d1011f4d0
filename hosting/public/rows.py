"""The cold path's one read: the stored public bytes of an assertion (its document, ETag and state) by public id,
straight through the database driver — no ORM, no SQLAlchemy connection pool or transaction per request.

- **SQLite**: one read-only ``sqlite3`` connection per process (``mode=ro``, autocommit), used on the event loop
  itself: an indexed lookup of one row takes microseconds, less than handing it to a driver thread and back.
  Every statement is stepped to its end, so no read transaction (no old WAL snapshot) outlives it.
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

__all__ = ["AssertionRow", "DirectReadFailed", "StoredRows"]

_COLUMNS = ("id, state, document, document_etag, document_base, updated_at, revocation_reason, revoked_at, "
            "replaced_by_id")
_SQLITE_ASSERTION = f"SELECT {_COLUMNS} FROM assertions WHERE public_id = ? AND format = 'ob2'"
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
        self._waiting: dict[str, asyncio.Future[AssertionRow | None]] = {}  # PostgreSQL: the next batch
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

    def _get_sqlite(self, public_id: str) -> AssertionRow | None:
        try:
            conn = self._conn or self._connect_sqlite()
            rows = conn.execute(_SQLITE_ASSERTION, (public_id,)).fetchall()  # to the end: the read is over
        except sqlite3.Error as exc:
            self._close_sqlite()
            self._retry_at = time.monotonic() + _RETRY_SECONDS
            raise DirectReadFailed(f"SQLite: {exc}") from exc
        if not rows:
            return None
        r = rows[0]
        return AssertionRow(r[0], r[1], r[2], r[3], r[4], _sqlite_time(r[5]),  # type: ignore[arg-type]
                            r[6], _sqlite_time(r[7]), r[8])

    def _connect_sqlite(self) -> sqlite3.Connection:
        assert self._sqlite is not None
        if not self._sqlite.is_file():  # mode=ro never creates it; say so plainly
            raise sqlite3.OperationalError(f"no database file {self._sqlite}")
        conn = sqlite3.connect(f"file:{quote(str(self._sqlite))}?mode=ro", uri=True, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
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
        sees every change committed before its request."""
        waiting = self._waiting.get(public_id)
        if waiting is None:
            waiting = self._waiting[public_id] = asyncio.get_running_loop().create_future()
            if len(self._waiting) == 1:
                asyncio.get_running_loop().call_soon(self._send_batch)
        return await asyncio.shield(waiting)

    def _send_batch(self) -> None:
        batch, self._waiting = self._waiting, {}
        if batch:
            task = asyncio.get_running_loop().create_task(self._read_batch(batch))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)

    async def _read_batch(self, batch: dict[str, asyncio.Future[AssertionRow | None]]) -> None:
        import asyncpg  # the PostgreSQL driver: only imported when PostgreSQL is used

        try:
            pool = self._pool or await self._open_pool()
            records = await pool.fetch(_PG_ASSERTIONS, list(batch))
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            self._retry_at = time.monotonic() + _RETRY_SECONDS
            failed = DirectReadFailed(f"PostgreSQL: {type(exc).__name__}: {exc}")
            for future in batch.values():
                if not future.done():
                    future.set_exception(failed)
            return
        except BaseException as exc:  # cancelled (shutdown) or a bug: the readers must not wait forever
            for future in batch.values():
                if not future.done():
                    future.set_exception(DirectReadFailed(f"PostgreSQL: {type(exc).__name__}"))
            raise
        found = {r[0]: AssertionRow(*tuple(r)[1:]) for r in records}
        for public_id, future in batch.items():
            if not future.done():
                future.set_result(found.get(public_id))

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
