"""Two (or more) real sessions on one database, to make an interleaving of concurrent transactions deterministic:
one holds its locks (uncommitted) while another is started and seen waiting on them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hosting import Settings
from hosting.lib.crypto import KeyBox
from hosting.lib.db import create_engine, immediate_transactions
from hosting.lib.urls import PublicUrls
from hosting.storage.store import HostingStore


@asynccontextmanager
async def session_stores(settings: Settings) -> AsyncIterator[Callable[[], HostingStore]]:
    """A factory of stores, each on its own session (its own connection once used)."""
    engine = create_engine(settings.database_url)
    maker = async_sessionmaker(engine, expire_on_commit=False)
    sessions: list[AsyncSession] = []

    def _store() -> HostingStore:
        sessions.append(session := maker())
        return HostingStore(session, PublicUrls(settings.base_url), KeyBox(settings.secret_key))

    try:
        yield _store
    finally:
        for session in sessions:
            await session.close()
        await engine.dispose()


async def until_blocked(settings: Settings, task: asyncio.Task[Any]) -> None:
    """Wait until ``task`` is done or waits on a lock (PostgreSQL: seen in ``pg_stat_activity``; SQLite: its
    ``BEGIN IMMEDIATE`` waits on the write lock held by the other session, so a moment is enough)."""
    if settings.database_url.startswith("sqlite"):
        await asyncio.sleep(0.5)
        return
    engine = create_engine(settings.database_url)
    try:
        for _ in range(200):
            if task.done():
                return
            async with engine.connect() as conn:
                waiting = await conn.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"))
            if waiting:
                return
            await asyncio.sleep(0.025)
        pytest.fail("the task neither finished nor waited on a lock")
    finally:
        await engine.dispose()


def run_writing(coro: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``coro()`` with the app's writing transactions (``BEGIN IMMEDIATE`` on SQLite)."""
    with immediate_transactions():
        return asyncio.run(coro())
