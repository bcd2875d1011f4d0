"""The in-process side of :mod:`hosting.public.invalidation`: the signal evicts, and when the signal is lost the
reader is told not to use its cache until it is back (then the cache is cleared once)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from hosting.lib.db import create_engine
from hosting.lib.urls import PublicUrls
from hosting.public.invalidation import (
    FRESH_SECONDS,
    Invalidation,
    announce_public_changes,
    listener_application_name,
)
from hosting.public.service import PublicReader


async def _until(check: Callable[[], bool], within: float, what: str) -> float:
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < within, f"not {what} after {within}s"
        await asyncio.sleep(0.01)
    return time.monotonic() - start


class _Spy(PublicReader):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.forgotten: list[str | None] = []

    def forget(self, public_id: str | None = None) -> None:
        self.forgotten.append(public_id)
        super().forget(public_id)


def test_a_committed_change_evicts_and_a_lost_signal_reads_through(database_url: str) -> None:
    async def _go() -> None:
        engine = create_engine(database_url)
        other = create_engine(database_url)  # "another process": its own engine and pool
        reader = _Spy(async_sessionmaker(engine), PublicUrls("https://badges.example.org"), cache_seconds=60)
        inv = Invalidation(engine, database_url, reader)
        await inv.start()
        try:
            await _until(inv.cache_usable, 5, "usable")
            reader.forgotten.clear()

            sessions = async_sessionmaker(other)
            async with sessions() as session:  # rolled back: nothing announced
                await announce_public_changes(session, {"rolled-back-id"})
                await session.rollback()
            async with sessions() as session:
                await announce_public_changes(session, {"some-public-id"})
                await session.commit()
            await _until(lambda: bool(reader.forgotten), 1.0, "evicted")
            await asyncio.sleep(0.3)
            assert "rolled-back-id" not in reader.forgotten
            assert reader.forgotten[0] in ("some-public-id", None)

            # the signal is lost: the cache must not be used until it is back
            if engine.dialect.name == "postgresql":
                async with other.connect() as conn:
                    await conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                            "WHERE application_name = :n"), {"n": listener_application_name()})
                    await conn.commit()
                await _until(lambda: not inv.cache_usable(), 1.0, "read-through")
            else:
                async with other.begin() as conn:
                    await conn.execute(text("ALTER TABLE public_changes RENAME TO public_changes_away"))
                await _until(lambda: not inv.cache_usable(), FRESH_SECONDS + 0.5, "read-through")
                await asyncio.sleep(0.5)
                assert not inv.cache_usable()
                async with other.begin() as conn:
                    await conn.execute(text("ALTER TABLE public_changes_away RENAME TO public_changes"))
                    await conn.execute(text("UPDATE public_changes SET version = version + 1"))  # meanwhile
            reader.forgotten.clear()
            await _until(inv.cache_usable, 5, "usable again")
            await _until(lambda: None in reader.forgotten, 1.0, "cleared once")
        finally:
            await inv.stop()
            await engine.dispose()
            await other.dispose()
        assert not inv.cache_usable() or engine.dialect.name == "sqlite"

    asyncio.run(_go())


def test_a_cache_check_after_a_stalled_poll_polls_at_once(database_url: str) -> None:
    """SQLite: a worker whose poller did not run lately (starved of CPU) reads the counter within the cache check
    instead of reading through; a change committed meanwhile is seen by that read."""
    if not database_url.startswith("sqlite"):
        return  # PostgreSQL's signal is the listener connection, not a poll

    async def _go() -> None:
        engine = create_engine(database_url)
        reader = _Spy(async_sessionmaker(engine), PublicUrls("https://badges.example.org"), cache_seconds=60)
        inv = Invalidation(engine, database_url, reader)
        await inv.start()
        try:
            await _until(inv.cache_usable, 5, "usable")
            assert inv._task is not None
            inv._task.cancel()  # the poller stops: only cache checks poll now
            async with async_sessionmaker(engine)() as session:
                await announce_public_changes(session, {"some-public-id"})
                await session.commit()
            reader.forgotten.clear()
            inv._polled_at = inv._tried_at = float("-inf")  # the last poll is long ago
            assert inv.cache_usable()  # polled within the check ...
            assert reader.forgotten == [None]  # ... and saw the change
        finally:
            await inv.stop()
            await engine.dispose()

    asyncio.run(_go())
