"""Two requests giving one badge class the same claim code at once, made deterministic with two real sessions:
the second waits for the first (the badge class's row lock on PostgreSQL, the write lock on SQLite) and is
refused as taken (409), never a unique-key failure (a 500)."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from conftest import run_store
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import async_sessionmaker

from hosting import Settings
from hosting.app.demo import demo_png
from hosting.earners.codes import create_codes
from hosting.lib.db import create_engine, immediate_transactions
from hosting.lib.errors import Conflict
from hosting.storage.models import BadgeClass, ClaimCode
from hosting.storage.store import HostingStore


def _new_badge(settings: Settings) -> int:
    async def _make(store: HostingStore) -> int:
        issuer = await store.create_issuer(slug=f"codes-{secrets.token_hex(5)}", name="Coder",
                                           url="https://c.example", email="coder@example.org")
        badge = await store.create_badge_class(issuer, slug="b", name="B", description="d", image=demo_png(),
                                               criteria_narrative="c")
        return badge.id

    return run_store(settings, _make)


async def _waiting_on_a_lock(settings: Settings, task: asyncio.Task[object]) -> None:
    if settings.database_url.startswith("sqlite"):  # BEGIN IMMEDIATE waits on the first one's write lock
        await asyncio.sleep(0.5)
        return
    engine = create_engine(settings.database_url)
    try:
        for _ in range(200):
            if task.done():
                return
            async with engine.connect() as conn:
                if await conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                          "AND datname = current_database()")):
                    return
            await asyncio.sleep(0.025)
        pytest.fail("the second create neither finished nor waited on a lock")
    finally:
        await engine.dispose()


def test_concurrent_creates_of_one_code_one_wins_the_other_is_409(settings: Settings) -> None:
    badge_id = _new_badge(settings)

    async def _go() -> BaseException | None:
        engine = create_engine(settings.database_url)
        maker = async_sessionmaker(engine, expire_on_commit=False)
        try:
            async with maker() as first, maker() as second:
                await create_codes(first, await first.get_one(BadgeClass, badge_id), ["SPRING-2026"],
                                   multiuse=False, expires=None)

                async def _second() -> BaseException | None:
                    try:
                        await create_codes(second, await second.get_one(BadgeClass, badge_id), ["SPRING-2026"],
                                           multiuse=False, expires=None)
                        await second.commit()
                    except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
                        await second.rollback()
                        return exc
                    return None

                task = asyncio.create_task(_second())
                await _waiting_on_a_lock(settings, task)
                await first.commit()
                return await task
        finally:
            await engine.dispose()

    with immediate_transactions():  # as the app's writing requests
        outcome = asyncio.run(_go())
    assert isinstance(outcome, Conflict), repr(outcome)

    async def _count(store: HostingStore) -> int:
        return int(await store.session.scalar(select(func.count()).select_from(ClaimCode).where(
            ClaimCode.badge_class_id == badge_id)) or 0)

    assert run_store(settings, _count) == 1
