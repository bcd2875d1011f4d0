"""Cross-process invalidation of the public cache: a change committed by any process (another worker, another
host) evicts the cached public answers of every process within 1 s.

- **PostgreSQL**: the committing transaction sends ``NOTIFY openbadges_public, '<public id or *>'`` (delivered
  only on COMMIT); every process keeps one dedicated asyncpg connection that ``LISTEN``\\ s and evicts. While that
  connection is down the reader serves nothing from its cache (every read goes to the database); it reconnects
  with backoff, then clears the cache once and serves from it again.
- **SQLite** (one host, several workers): the committing transaction bumps the one-row ``public_changes``
  counter; every process polls it every :data:`POLL_SECONDS` and clears its cache when it moved. The reader
  serves from its cache only while the last poll succeeded less than :data:`FRESH_SECONDS` ago; a cache check
  that finds the last poll older polls at once (so a worker starved of CPU checks rather than reads through).
  A poll is one indexed read on a read-only ``sqlite3`` connection of its own, on the event loop (microseconds;
  no hop to a driver thread and back, which under load costs more than the read and waits on the GIL). (``PRAGMA
  data_version`` would need no table but moves on *every* write — each issue, each token use — so it would
  empty the cache all day long; the counter moves only when a public answer changes.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from hosting.lib.db import sqlite_path
from hosting.public.rows import connect_read_only
from hosting.public.service import PublicReader

__all__ = ["CHANNEL", "FRESH_SECONDS", "POLL_SECONDS", "Invalidation", "announce_public_changes",
           "listener_application_name"]

_log = logging.getLogger("hosting")

CHANNEL = "openbadges_public"
POLL_SECONDS = 0.15  # SQLite: how often each process reads the counter
FRESH_SECONDS = 0.6  # SQLite: the cache is served only this long after the last successful poll
_MAX_IDS = 100  # more changed ids in one transaction: one "*" (clear everything) instead
_PING_SECONDS = 5.0  # PostgreSQL: how often the listener checks its connection is alive
_START_SECONDS = 2.0  # how long start-up waits for the first poll or LISTEN
_RETRY_POLL_SECONDS = 0.05  # SQLite: a cache check polls at once, but not more often than this while it fails
_BACKOFF = (0.1, 5.0)  # PostgreSQL: reconnect delay, first and largest

_BUMP = text("UPDATE public_changes SET version = version + 1 WHERE id = 1")
_VERSION = "SELECT version FROM public_changes WHERE id = 1"
_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', :payload)")


async def announce_public_changes(session: AsyncSession, changed: set[str | None]) -> None:
    """Tell every other process, as part of ``session``'s transaction (so only if it commits), that the public
    answers in ``changed`` (``None``: any) change. Call it right before the COMMIT."""
    if not changed:
        return
    dialect = session.bind.dialect.name if session.bind is not None else ""
    if dialect == "postgresql":
        ids = sorted(i for i in changed if i is not None)
        payloads = ["*"] if None in changed or len(ids) > _MAX_IDS else ids
        for payload in payloads:
            await session.execute(_NOTIFY, {"payload": payload})
    elif dialect == "sqlite":
        await session.execute(_BUMP)


def listener_application_name(pid: int | None = None) -> str:
    """The PostgreSQL ``application_name`` of a process's listener connection (operators and tests find it)."""
    return f"openbadges-listener-{os.getpid() if pid is None else pid}"


class Invalidation:
    """Keeps ``reader``'s cache in step with the other processes (started and stopped in the app lifespan)."""

    def __init__(self, engine: AsyncEngine, database_url: str, reader: PublicReader) -> None:
        self._engine = engine
        self._url = database_url
        self._reader = reader
        self._task: asyncio.Task[None] | None = None
        self._listening = False  # PostgreSQL: the listener connection is up and LISTENing
        self._polled_at = float("-inf")  # SQLite: when the counter was last read
        self._tried_at = float("-inf")  # SQLite: when it was last tried
        self._version: int | None = None
        self._sqlite = sqlite_path(database_url)
        self._conn: sqlite3.Connection | None = None  # SQLite: the poll's read-only connection
        self._ready = asyncio.Event()  # the first poll succeeded, or the listener LISTENs

    @property
    def backend(self) -> str:
        return self._engine.dialect.name

    def cache_usable(self) -> bool:
        """Whether the reader may answer from its cache now (else it reads through to the database)."""
        if self.backend == "postgresql":
            return self._listening
        if self.backend == "sqlite":
            now = time.monotonic()
            if now - self._polled_at < FRESH_SECONDS:
                return True
            # Not polled lately (the poller task starved of CPU, or polls failing): poll now, within the
            # request, unless a poll failed a moment ago.
            return self._task is not None and now - self._tried_at >= _RETRY_POLL_SECONDS and self._poll()
        return False  # no shared signal for this backend: never serve a possibly stale answer

    async def start(self, *, ready_within: float = _START_SECONDS) -> None:
        """Start listening (polling), waiting up to ``ready_within`` for the first success so the process
        starts with a usable cache; a database not up yet is retried in the background meanwhile."""
        self._reader.set_cache_guard(self.cache_usable)
        if self._reader.cache_seconds <= 0:
            return  # no cache, nothing to invalidate
        loop = asyncio.get_running_loop()
        if self.backend == "postgresql":
            self._task = loop.create_task(self._listen_forever(), name="openbadges-public-listener")
        elif self.backend == "sqlite":
            self._task = loop.create_task(self._poll_forever(), name="openbadges-public-poller")
        else:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), ready_within)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._listening = False
        self._close_sqlite()

    # --- SQLite -----------------------------------------------------------------------------------------
    async def _poll_forever(self) -> None:
        while True:
            self._poll()
            await asyncio.sleep(POLL_SECONDS)

    def _poll(self) -> bool:
        """Read the counter (clearing the cache when it moved); whether that succeeded."""
        # Fresh as of when the read began: a change committed while it ran may not be in what it read.
        started = self._tried_at = time.monotonic()
        try:
            if self._conn is None:
                if self._sqlite is None:
                    raise sqlite3.OperationalError("no SQLite file (an in-memory database has no other process)")
                self._conn = connect_read_only(self._sqlite)
            rows = self._conn.execute(_VERSION).fetchall()  # to the end: the read is over
        except Exception as exc:  # noqa: BLE001 - the database is away: the reader reads through meanwhile
            _log.debug("public cache poll failed: %s: %s", type(exc).__name__, exc)
            self._close_sqlite()
            return False
        version = rows[0][0] if rows else None
        if self._version is not None and version != self._version:
            self._reader.forget()  # another process committed a public change
        self._version = version
        self._polled_at = started
        self._ready.set()
        return True

    def _close_sqlite(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    # --- PostgreSQL -------------------------------------------------------------------------------------
    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self._reader.forget(None if payload == "*" else payload)

    async def _listen_forever(self) -> None:
        import asyncpg  # the PostgreSQL driver: only imported when PostgreSQL is used

        dsn = make_url(self._url).set(drivername="postgresql").render_as_string(hide_password=False)
        delay = _BACKOFF[0]
        while True:
            conn: Any = None
            lost = asyncio.Event()
            try:
                conn = await asyncpg.connect(dsn, timeout=5,
                                             server_settings={"application_name": listener_application_name()})
                conn.add_termination_listener(lambda _c, ev=lost: ev.set())
                await conn.add_listener(CHANNEL, self._on_notify)
                self._reader.forget()  # anything may have changed while nobody listened
                self._listening = True
                self._ready.set()
                _log.info("public cache: listening on %s", CHANNEL)
                delay = _BACKOFF[0]
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), _PING_SECONDS)
                    if not lost.is_set():
                        await conn.fetchval("SELECT 1", timeout=_PING_SECONDS)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - unreachable, terminated, timed out: read through, retry
                _log.warning("public cache listener down (%s: %s); reading through until it is back",
                             type(exc).__name__, exc)
            finally:
                self._listening = False
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.terminate()
            if lost.is_set():
                _log.warning("public cache listener connection lost; reading through until it is back")
            await asyncio.sleep(delay)
            delay = min(delay * 2, _BACKOFF[1])
