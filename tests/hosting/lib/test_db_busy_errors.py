"""Two transactions that each wait on the other's row lock: PostgreSQL aborts one (``deadlock_detected``,
SQLSTATE 40P01), which asyncpg does not raise as an OperationalError. It is a "busy, retry" error all the same
(503 with ``retry-after``), never an unexplained 500."""

from __future__ import annotations

import asyncio

import pytest
from conftest import empty_postgres
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from hosting.lib.db import create_engine, is_busy_error, is_unavailable_error

pytestmark = pytest.mark.postgres


def test_a_postgres_deadlock_is_a_busy_error() -> None:
    async def _go(url: str) -> list[BaseException]:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text("CREATE TABLE deadlock_pair (n INTEGER PRIMARY KEY)"))
                await conn.execute(text("INSERT INTO deadlock_pair VALUES (1), (2)"))
            first_locked, second_locked = asyncio.Event(), asyncio.Event()

            async def _cross(mine: int, theirs: int, locked: asyncio.Event, other: asyncio.Event) -> None:
                async with engine.connect() as conn, conn.begin():
                    await conn.execute(text("UPDATE deadlock_pair SET n = n WHERE n = :n"), {"n": mine})
                    locked.set()
                    await other.wait()
                    await conn.execute(text("UPDATE deadlock_pair SET n = n WHERE n = :n"), {"n": theirs})

            results = await asyncio.gather(_cross(1, 2, first_locked, second_locked),
                                           _cross(2, 1, second_locked, first_locked), return_exceptions=True)
            return [r for r in results if isinstance(r, BaseException)]
        finally:
            await engine.dispose()

    with empty_postgres("obdeadlock") as url:
        errors = asyncio.run(_go(url))
    assert len(errors) == 1, errors
    (error,) = errors
    assert isinstance(error, sa_exc.DBAPIError) and getattr(error.orig, "sqlstate", None) == "40P01", repr(error)
    assert is_busy_error(error)
    assert is_unavailable_error(error)
