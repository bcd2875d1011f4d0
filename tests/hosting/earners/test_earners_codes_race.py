"""Two requests giving one badge class the same claim code at once, made deterministic with two real sessions:
the second waits for the first (the badge class's row lock on PostgreSQL, the write lock on SQLite) and is
refused as taken (409), never a unique-key failure (a 500)."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import run_store
from sqlalchemy import func, select

from hosting import Settings
from hosting.earners.codes import create_codes
from hosting.lib.errors import Conflict
from hosting.storage.models import BadgeClass, ClaimCode
from hosting.storage.store import HostingStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _race_support import (
    after_holder_commits,
    committed_or_error,
    new_issuer_and_badge,
    run_writing,
    session_stores,
)


def test_concurrent_creates_of_one_code_one_wins_the_other_is_409(settings: Settings) -> None:
    _, badge_id = new_issuer_and_badge(settings)

    async def _go() -> BaseException | None:
        async with session_stores(settings) as stores:
            first, second = stores().session, stores().session
            await create_codes(first, await first.get_one(BadgeClass, badge_id), ["SPRING-2026"],
                               multiuse=False, expires=None)

            async def _create() -> None:
                await create_codes(second, await second.get_one(BadgeClass, badge_id), ["SPRING-2026"],
                                   multiuse=False, expires=None)

            return await after_holder_commits(settings, first, committed_or_error(second, _create))

    outcome = run_writing(_go)
    assert isinstance(outcome, Conflict), repr(outcome)

    async def _count(store: HostingStore) -> int:
        return int(await store.session.scalar(select(func.count()).select_from(ClaimCode).where(
            ClaimCode.badge_class_id == badge_id)) or 0)

    assert run_store(settings, _count) == 1
