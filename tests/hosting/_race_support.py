"""Two (or more) real sessions on one database, to make an interleaving of concurrent transactions deterministic:
one holds its locks (uncommitted) while another is started and seen waiting on them."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest
from conftest import run_store
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hosting import Settings
from hosting.api.removal import LIVE_STATES
from hosting.app.demo import demo_png
from hosting.lib.crypto import KeyBox
from hosting.lib.db import create_engine, immediate_transactions
from hosting.lib.urls import PublicUrls
from hosting.storage.models import Assertion, BadgeClass, DeletedIssuer
from hosting.storage.store import Award, HostingStore

T = TypeVar("T")


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


async def committed_or_error(session: AsyncSession, work: Callable[[], Awaitable[Any]]) -> BaseException | None:
    """Run ``work()`` and commit ``session``: ``None``; on an error, roll ``session`` back and return the error
    (which refusal it is, the test checks)."""
    try:
        await work()
        await session.commit()
    except Exception as exc:  # noqa: BLE001 - returned to the test
        await session.rollback()
        return exc
    return None


async def award_after_committed_work(settings: Settings, read: Callable[[AsyncSession], Awaitable[T]],
                                     work: Callable[[HostingStore], Awaitable[Any]],
                                     award: Callable[[HostingStore, T], Awaitable[Any]]) -> BaseException | None:
    """An award whose transaction has already read (``read``: what it found) when another transaction does
    ``work`` and commits; then the award runs and commits: ``None``, or the error it was refused with. On SQLite
    the read is a deferred transaction (a read lock only, as a real award's lookups are)."""
    async with session_stores(settings) as stores:
        awarding = stores()
        with immediate_transactions(not settings.database_url.startswith("sqlite")):
            found = await read(awarding.session)
        other = stores()
        await work(other)
        await other.session.commit()
        return await committed_or_error(awarding.session, lambda: award(awarding, found))


async def after_holder_commits(settings: Settings, holder: AsyncSession, waiter: Awaitable[T]) -> T:
    """Start ``waiter``, wait until it waits on ``holder``'s locks (or ends), commit ``holder``: ``waiter``'s result."""
    task = asyncio.ensure_future(waiter)
    await until_blocked(settings, task)
    await holder.commit()
    return await task


def run_writing(coro: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``coro()`` with the app's writing transactions (``BEGIN IMMEDIATE`` on SQLite)."""
    with immediate_transactions():
        return asyncio.run(coro())


def new_issuer_and_badge(settings: Settings) -> tuple[int, int]:
    """A new issuer (with an email, so it can issue) and one badge class of it, committed: their ids."""

    async def _make(store: HostingStore) -> tuple[int, int]:
        issuer = await store.create_issuer(slug=f"race-{secrets.token_hex(5)}", name="Racer", url="https://r.example",
                                           email="racer@example.org")
        badge = await store.create_badge_class(issuer, slug="b", name="B", description="d", image=demo_png(),
                                               criteria_narrative="c")
        return issuer.id, badge.id

    return run_store(settings, _make)


async def award_one(store: HostingStore, badge: BadgeClass | int, how: str = "award") -> None:
    """Issue one assertion of the badge class (or of its id), under the rules (``award``) or not (``issue``)."""
    if isinstance(badge, int):
        badge = await store.session.get_one(BadgeClass, badge)
    if how == "award":
        await store.award(badge, [Award(recipient="early@example.org")])
    else:
        await store.issue(badge, "early@example.org")


def badge_class_state(settings: Settings, badge_id: int) -> tuple[bool, int]:
    """Whether the badge class still exists, and how many assertions it has."""

    async def _read(store: HostingStore) -> tuple[bool, int]:
        exists = await store.session.scalar(select(BadgeClass.id).where(BadgeClass.id == badge_id))
        count = await store.session.scalar(select(func.count()).select_from(Assertion).where(
            Assertion.badge_class_id == badge_id))
        return exists is not None, int(count or 0)

    return run_store(settings, _read)


def issuer_state(settings: Settings, issuer_id: int) -> tuple[bool, int]:
    """Whether the issuer is deleted, and how many live assertions it has."""

    async def _read(store: HostingStore) -> tuple[bool, int]:
        deleted = await store.session.scalar(select(DeletedIssuer.issuer_id).where(DeletedIssuer.issuer_id == issuer_id))
        live = await store.session.scalar(select(func.count()).select_from(Assertion).where(
            Assertion.issuer_id == issuer_id, Assertion.state.in_(LIVE_STATES)))
        return deleted is not None, int(live or 0)

    return run_store(settings, _read)
