"""Deleting an issuer while something is being issued under it, made deterministic with two real sessions
(connections): never a live (active or pending) assertion under a deleted issuer afterwards. Either the deletion
waits for the award in progress and counts (refuses) or revokes it, or the award finds the issuer deleted and is
refused (404 ``no such issuer``, or on SQLite the write lock's "database is locked", a retry)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from conftest import run_store
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting import Settings
from hosting.api.removal import LIVE_STATES, delete_issuer
from hosting.app.demo import demo_png
from hosting.badgekit.retire import retire_program
from hosting.lib.db import is_busy_error
from hosting.lib.errors import Conflict, NotFound
from hosting.storage.models import Assertion, BadgeClass, BadgeKitProgram, Issuer
from hosting.storage.store import Award, HostingStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _race_support import (
    award_after_committed_work,
    issuer_state,
    new_issuer_and_badge,
    run_writing,
    session_stores,
    until_blocked,
)


@pytest.mark.parametrize("force", [False, True])
def test_delete_during_an_award_waits_for_it(settings: Settings, force: bool) -> None:
    """The award has locked its badge class and inserted its row (not committed) when the deletion starts."""
    issuer_id, badge_id = new_issuer_and_badge(settings)

    async def _go() -> str:
        async with session_stores(settings) as stores:
            awarding = stores()
            badge = await awarding.session.get_one(BadgeClass, badge_id)
            await awarding.award(badge, [Award(recipient="early@example.org")])

            async def _delete() -> str:
                deleting = stores()
                issuer = await deleting.session.get_one(Issuer, issuer_id)
                try:
                    await delete_issuer(deleting, issuer, deleted_by="owner@example.org", reason="race",
                                        force=force)
                except Conflict:
                    await deleting.session.rollback()
                    return "refused"
                await deleting.session.commit()
                return "deleted"

            deletion = asyncio.create_task(_delete())
            await until_blocked(settings, deletion)
            await awarding.session.commit()
            return await deletion

    outcome = run_writing(_go)
    deleted, live = issuer_state(settings, issuer_id)
    assert not (deleted and live), (outcome, live)
    # the deletion saw the award: an unforced one is refused (1 live assertion), a forced one revoked it
    assert (outcome, deleted, live) == (("deleted", True, 0) if force else ("refused", False, 1))


def test_award_after_a_delete_that_committed_meanwhile_is_refused(settings: Settings) -> None:
    """The award's transaction found the issuer and its badge class; then the deletion commits; then it issues."""
    issuer_id, badge_id = new_issuer_and_badge(settings)
    sqlite = settings.database_url.startswith("sqlite")

    async def _read(session: AsyncSession) -> BadgeClass:
        assert await session.scalar(select(Issuer).where(Issuer.id == issuer_id)) is not None
        return await session.get_one(BadgeClass, badge_id)

    async def _delete(deleting: HostingStore) -> None:
        await delete_issuer(deleting, await deleting.session.get_one(Issuer, issuer_id),
                            deleted_by="owner@example.org", reason="race", force=False)

    refusal = run_writing(lambda: award_after_committed_work(
        settings, _read, _delete,
        lambda awarding, badge: awarding.award(badge, [Award(recipient="late@example.org")])))
    deleted, live = issuer_state(settings, issuer_id)
    assert deleted
    assert live == 0
    # PostgreSQL: the store's refusal, answered 404 as looking the issuer up now is; SQLite: the deferred
    # transaction cannot write after another committed ("database is locked": 503, retry)
    assert isinstance(refusal, NotFound) or (sqlite and refusal is not None and is_busy_error(refusal)), refusal


def test_concurrent_deletions_of_one_issuer_one_wins(settings: Settings) -> None:
    """Two deletions of the same issuer at once: one deletes it, the other finds it gone (404), never a 500."""
    issuer_id, _ = new_issuer_and_badge(settings)

    async def _go() -> list[str]:
        async with session_stores(settings) as stores:
            first = stores()
            await delete_issuer(first, await first.session.get_one(Issuer, issuer_id), deleted_by="a@example.org",
                                reason="race")

            async def _second() -> str:
                second = stores()
                try:
                    await delete_issuer(second, await second.session.get_one(Issuer, issuer_id),
                                        deleted_by="b@example.org", reason="race")
                    await second.session.commit()
                except NotFound:
                    await second.session.rollback()
                    return "not found"
                return "deleted"

            task = asyncio.create_task(_second())
            await until_blocked(settings, task)
            await first.session.commit()
            return ["deleted", await task]

    assert run_writing(_go) == ["deleted", "not found"]
    assert issuer_state(settings, issuer_id) == (True, 0)


def test_award_of_a_badge_class_made_during_the_deletion_is_refused(settings: Settings) -> None:
    """A badge class committed after the deletion locked the issuer's badge classes (so not among them), then
    issued while the deletion holds the issuer: the award's rows wait for the deletion and are then refused."""
    issuer_id, _ = new_issuer_and_badge(settings)

    async def _go() -> BaseException | None:
        async with session_stores(settings) as stores:
            creating = stores()
            issuer = await creating.session.get_one(Issuer, issuer_id)
            new = await creating.create_badge_class(issuer, slug="late", name="L", description="d",
                                                    image=demo_png(), criteria_narrative="c")
            deleting = stores()

            async def _delete() -> None:
                await delete_issuer(deleting, await deleting.session.get_one(Issuer, issuer_id),
                                    deleted_by="owner@example.org", reason="race")

            deletion = asyncio.create_task(_delete())
            await until_blocked(settings, deletion)  # the new badge class is not visible to it yet
            await creating.session.commit()
            await deletion  # done, not committed: it holds the issuer's row (SQLite: the write lock)

            async def _award() -> BaseException | None:
                awarding = stores()
                try:
                    await awarding.award(await awarding.session.get_one(BadgeClass, new.id),
                                         [Award(recipient="late@example.org")])
                except NotFound as exc:
                    await awarding.session.rollback()
                    return exc
                await awarding.session.commit()
                return None

            award = asyncio.create_task(_award())
            await until_blocked(settings, award)
            await deleting.session.commit()
            return await award

    refusal = run_writing(_go)
    assert isinstance(refusal, NotFound), refusal
    assert issuer_state(settings, issuer_id) == (True, 0)


def test_delete_of_a_badgekit_program_during_an_award_revokes_it(settings: Settings) -> None:
    """BadgeKit's program deletion archives the program's badges and revokes their live instances: an award in
    progress (badge class locked, row inserted, not committed) is waited for and revoked, not left live."""
    issuer_id, _ = new_issuer_and_badge(settings)

    async def _setup(store: HostingStore) -> int:
        program = BadgeKitProgram(issuer_id=issuer_id, slug="prog", name="Program")
        store.session.add(program)
        await store.session.flush()
        issuer = await store.session.get_one(Issuer, issuer_id)
        badge = await store.create_badge_class(issuer, slug="in-program", name="P", description="d",
                                               image=demo_png(), criteria_narrative="c", program_id=program.id)
        return badge.id

    badge_id = run_store(settings, _setup)

    async def _go() -> None:
        async with session_stores(settings) as stores:
            awarding = stores()
            await awarding.award(await awarding.session.get_one(BadgeClass, badge_id),
                                 [Award(recipient="early@example.org")])
            deleting = stores()

            async def _retire() -> None:
                badge = await deleting.session.get_one(BadgeClass, badge_id)
                program = await deleting.session.get_one(BadgeKitProgram, badge.program_id)
                await retire_program(deleting.session, deleting, program)
                await deleting.session.commit()

            retiring = asyncio.create_task(_retire())
            await until_blocked(settings, retiring)
            await awarding.session.commit()
            await retiring

    run_writing(_go)

    async def _read(store: HostingStore) -> tuple[bool, int]:
        badge = await store.session.get_one(BadgeClass, badge_id)
        live = await store.session.scalar(select(func.count()).select_from(Assertion).where(
            Assertion.badge_class_id == badge_id, Assertion.state.in_(LIVE_STATES)))
        return badge.archived, int(live or 0)

    assert run_store(settings, _read) == (True, 0)
