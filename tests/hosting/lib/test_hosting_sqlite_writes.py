"""SQLite has one writer: transactions that write must take the lock up front (BEGIN IMMEDIATE) or a
read-then-write transaction fails at once when another writer commits first (SQLITE_BUSY_SNAPSHOT)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from hosting.lib.db import create_engine, immediate_transactions


async def _read_then_write(engine, label: str, pause: float, start_after: float, immediate: bool) -> None:  # type: ignore[no-untyped-def]
    await asyncio.sleep(start_after)
    with immediate_transactions(immediate):
        async with engine.connect() as conn, conn.begin():
            value = (await conn.execute(text("SELECT n FROM counter"))).scalar_one()
            await asyncio.sleep(pause)
            await conn.execute(text("UPDATE counter SET n = :n"), {"n": value + 1})


async def _race(path: Path, immediate: bool) -> int:
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE counter (n INTEGER)"))
            await conn.execute(text("INSERT INTO counter VALUES (0)"))
        await asyncio.gather(_read_then_write(engine, "first", 0.3, 0.0, immediate),
                             _read_then_write(engine, "second", 0.0, 0.1, immediate))
        async with engine.connect() as conn:
            return int((await conn.execute(text("SELECT n FROM counter"))).scalar_one())
    finally:
        await engine.dispose()


async def _deferred_race(path: Path) -> None:
    """The interleaving itself, ordered by events (not sleeps, which a loaded machine reorders): the first
    transaction reads, the second reads, writes and commits, then the first writes on its stale snapshot."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    first_read, second_done = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        with immediate_transactions(False):
            async with engine.connect() as conn, conn.begin():
                value = (await conn.execute(text("SELECT n FROM counter"))).scalar_one()
                first_read.set()
                await second_done.wait()
                await conn.execute(text("UPDATE counter SET n = :n"), {"n": value + 1})

    async def second() -> None:
        await first_read.wait()
        try:
            with immediate_transactions(False):
                async with engine.connect() as conn, conn.begin():
                    value = (await conn.execute(text("SELECT n FROM counter"))).scalar_one()
                    await conn.execute(text("UPDATE counter SET n = :n"), {"n": value + 1})
        finally:
            second_done.set()

    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE counter (n INTEGER)"))
            await conn.execute(text("INSERT INTO counter VALUES (0)"))
        await asyncio.gather(first(), second())
    finally:
        await engine.dispose()


def test_deferred_read_then_write_loses_the_race(tmp_path: Path) -> None:
    """Why the app does not use plain BEGIN for writes: the second writer's snapshot is stale."""
    with pytest.raises(OperationalError, match="locked"):
        asyncio.run(_deferred_race(tmp_path / "deferred.db"))


def test_immediate_transactions_queue_and_count_correctly(tmp_path: Path) -> None:
    assert asyncio.run(_race(tmp_path / "immediate.db", immediate=True)) == 2
