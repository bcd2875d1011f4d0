"""Deleting a BadgeKit level with everything under it, as ``/v1`` deletes an issuer: the live instances
(assertions) of its badges are revoked (their URLs answer 410 and still verify as revoked), its claim codes are
withdrawn, its slug is freed; the rows stay, so the public documents of what was issued stay too.

- a system: itself and every issuer inside it (and their programs);
- an issuer: itself and its programs (a tombstone in ``deleted_issuers``, as ``/v1``);
- a program: its badges are archived (their slugs stay taken within the issuer), the program row is marked
  deleted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.lookup import not_deleted
from hosting.api.removal import delete_issuer, freed_slug
from hosting.storage.models import (
    Assertion,
    AssertionState,
    BadgeClass,
    BadgeKitProgram,
    ClaimCode,
    Issuer,
    utcnow,
)
from hosting.storage.store import HostingStore

__all__ = ["retire_issuer", "retire_program"]

_LIVE = (AssertionState.ACTIVE, AssertionState.PENDING)


async def _retire_badges(session: AsyncSession, store: HostingStore, badges: Any, reason: str) -> None:
    """Revoke the live assertions of the badge classes matching ``badges`` and withdraw their claim codes."""
    ids = select(BadgeClass.id).where(badges)
    for assertion in (await session.scalars(select(Assertion).where(
            Assertion.badge_class_id.in_(ids), Assertion.state.in_(_LIVE)).order_by(Assertion.id))).all():
        await store.revoke(assertion, reason)
    await session.execute(update(ClaimCode).where(ClaimCode.deleted_at.is_(None), ClaimCode.badge_class_id.in_(ids))
                          .values(deleted_at=utcnow()))


async def retire_program(session: AsyncSession, store: HostingStore, program: BadgeKitProgram,
                         reason: str = "program deleted") -> None:
    """Delete a program: archive its badges, revoke their instances, withdraw their codes, free its slug.

    Archiving first locks the badge class rows (the lock an award takes, :meth:`HostingStore.award`): an award in
    progress commits before the live instances are read (and is revoked with them), a later one finds the badge
    archived and is refused; never a live instance of an archived badge."""
    await session.execute(update(BadgeClass).where(BadgeClass.program_id == program.id).values(archived=True))
    await _retire_badges(session, store, BadgeClass.program_id == program.id, reason)
    program.deleted_at = utcnow()
    program.slug = freed_slug()
    await session.flush()


async def retire_issuer(session: AsyncSession, store: HostingStore, issuer: Issuer, deleted_by: str,
                        reason: str) -> None:
    """Delete a system or an issuer (with the issuers inside a system, and every issuer's programs)."""
    children = (await session.scalars(select(Issuer).where(Issuer.parent_id == issuer.id, not_deleted()))).all()
    for child in children:
        await retire_issuer(session, store, child, deleted_by, reason)
    for program in (await session.scalars(select(BadgeKitProgram).where(
            BadgeKitProgram.issuer_id == issuer.id, BadgeKitProgram.deleted_at.is_(None)))).all():
        await retire_program(session, store, program, reason)
    issuer.badgekit_slug = None
    await delete_issuer(store, issuer, deleted_by=deleted_by, reason=reason)
