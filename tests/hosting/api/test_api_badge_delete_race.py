"""Deleting a badge class while something is being issued under it, made deterministic with two real sessions
(connections): the deletion locks the badge class row (the lock issuing takes) before counting its assertions, so
an award in progress is waited for and counted (409: archive it instead), never a foreign-key 500 once it
commits; an award after the deletion finds the badge class gone (404). Every API's deletion (``/v1``, BadgeKit,
Badgr, Credly) is :meth:`HostingStore.delete_badge_class`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hosting import Settings
from hosting.api.removal import delete_issuer
from hosting.lib.db import is_busy_error
from hosting.lib.errors import Conflict, NotFound
from hosting.storage.models import BadgeClass, Issuer
from hosting.storage.store import HostingStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _issue_support import Team, api_fixture, team_fixture  # noqa: F401 - fixtures
from _race_support import (
    after_holder_commits,
    award_after_committed_work,
    award_one,
    badge_class_state,
    committed_or_error,
    new_issuer_and_badge,
    run_writing,
    session_stores,
)


class _InUse(Conflict):
    """What the tests' deletions refuse with (each API words its own), with the count it was given."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} assertion(s)")
        self.count = count


def _in_use(count: int) -> Exception:
    return _InUse(count)


async def _delete_badge(deleting: HostingStore, badge_id: int) -> BaseException | None:
    """Delete the badge class on ``deleting``'s session: ``None``, or the refusal."""

    async def _delete() -> None:
        await deleting.delete_badge_class(await deleting.session.get_one(BadgeClass, badge_id), _in_use)

    return await committed_or_error(deleting.session, _delete)


@pytest.mark.parametrize("how", ["award", "issue"])
def test_delete_during_an_award_waits_and_refuses(settings: Settings, how: str) -> None:
    """The award has locked its badge class and inserted its row (not committed) when the deletion starts: the
    deletion waits, counts the assertion and refuses."""
    _, badge_id = new_issuer_and_badge(settings)

    async def _go() -> BaseException | None:
        async with session_stores(settings) as stores:
            awarding = stores()
            await award_one(awarding, badge_id, how)

            return await after_holder_commits(settings, awarding.session, _delete_badge(stores(), badge_id))

    refusal = run_writing(_go)
    assert isinstance(refusal, _InUse), (refusal, badge_class_state(settings, badge_id))
    assert refusal.count == 1
    assert badge_class_state(settings, badge_id) == (True, 1)


@pytest.mark.parametrize("how", ["award", "issue"])
def test_award_after_a_delete_that_committed_meanwhile_is_404(settings: Settings, how: str) -> None:
    """The award's transaction found the badge class; then its deletion commits; then it issues: 404, not a
    foreign-key error."""
    _, badge_id = new_issuer_and_badge(settings)
    sqlite = settings.database_url.startswith("sqlite")

    async def _delete(deleting: HostingStore) -> None:
        await deleting.delete_badge_class(await deleting.session.get_one(BadgeClass, badge_id), _in_use)

    refusal = run_writing(lambda: award_after_committed_work(
        settings, lambda session: session.get_one(BadgeClass, badge_id), _delete,
        lambda awarding, badge: award_one(awarding, badge, how)))
    assert badge_class_state(settings, badge_id) == (False, 0)
    # PostgreSQL: the store's refusal, as looking the badge class up now answers; SQLite: the deferred transaction
    # cannot write after another committed ("database is locked": 503, retry)
    assert (isinstance(refusal, NotFound) and str(refusal) == "no such badge class") \
        or (sqlite and refusal is not None and is_busy_error(refusal)), refusal


def test_concurrent_deletions_of_one_badge_class_one_wins(settings: Settings) -> None:
    """Two deletions of the same badge class at once: one deletes it, the other finds it gone (404)."""
    _, badge_id = new_issuer_and_badge(settings)

    async def _go() -> list[str]:
        async with session_stores(settings) as stores:
            first = stores()
            await first.delete_badge_class(await first.session.get_one(BadgeClass, badge_id), _in_use)

            async def _second() -> str:
                second = stores()
                badge = await second.session.get(BadgeClass, badge_id)  # SQLite: after the first's commit
                if badge is None:
                    return "no such badge class"  # as looking it up answers
                try:
                    await second.delete_badge_class(badge, _in_use)
                except NotFound as exc:
                    await second.session.rollback()
                    return str(exc)
                await second.session.commit()
                return "deleted"

            return ["deleted", await after_holder_commits(settings, first.session, _second())]

    assert run_writing(_go) == ["deleted", "no such badge class"]
    assert badge_class_state(settings, badge_id) == (False, 0)


def test_badge_delete_waiting_on_its_issuers_deletion_is_404(settings: Settings) -> None:
    """The issuer's deletion holds the badge class (and issuer) locks; the badge class's deletion waits for it,
    then finds the issuer deleted: 404 ``no such issuer``, as looking it up now answers."""
    issuer_id, badge_id = new_issuer_and_badge(settings)

    async def _go() -> BaseException | None:
        async with session_stores(settings) as stores:
            deleting_issuer = stores()
            await delete_issuer(deleting_issuer, await deleting_issuer.session.get_one(Issuer, issuer_id),
                                deleted_by="owner@example.org", reason="race")

            return await after_holder_commits(settings, deleting_issuer.session, _delete_badge(stores(), badge_id))

    refusal = run_writing(_go)
    assert isinstance(refusal, NotFound), refusal
    assert str(refusal) == "no such issuer"
    assert badge_class_state(settings, badge_id) == (True, 0)
