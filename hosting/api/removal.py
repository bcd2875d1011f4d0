"""Deleting an issuer or a badge class: the one way every API (``/v1`` and the compatibility APIs) does it."""

from __future__ import annotations

from sqlalchemy import delete as sql_delete
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.lib.db import note_public_change
from hosting.lib.ids import new_public_id
from hosting.storage.models import (
    Assertion,
    AssertionState,
    BadgeClass,
    ClaimCode,
    DeletedIssuer,
    Issuer,
    StoredImage,
    utcnow,
)
from hosting.storage.store import HostingStore

__all__ = ["delete_badge_class", "delete_issuer"]


async def delete_issuer(store: HostingStore, issuer: Issuer, *, deleted_by: str, reason: str) -> None:
    """Delete ``issuer``: its live assertions are revoked (with ``reason``), its claim codes withdrawn (their pages
    answer 410), its slug freed, and the deletion recorded. Its public documents stay published, so the revoked
    assertions keep answering 410 and verifiers can tell why."""
    session = store.session
    live = (await session.scalars(select(Assertion).where(
        Assertion.issuer_id == issuer.id,
        Assertion.state.in_((AssertionState.ACTIVE, AssertionState.PENDING))))).all()
    for assertion in live:
        await store.revoke(assertion, reason)  # each evicted from the public cache once committed
    await session.execute(update(ClaimCode).where(ClaimCode.deleted_at.is_(None), ClaimCode.badge_class_id.in_(
        select(BadgeClass.id).where(BadgeClass.issuer_id == issuer.id))).values(deleted_at=utcnow()))
    issuer.slug = "deleted-" + new_public_id().lower().replace("_", "-")[:20]
    session.add(DeletedIssuer(issuer_id=issuer.id, deleted_at=utcnow(), deleted_by=deleted_by))
    await session.flush()


async def delete_badge_class(session: AsyncSession, badge: BadgeClass) -> None:
    """Delete ``badge`` (the caller has checked it has no assertions), its claim codes (none was claimed) and its
    image; its public document is evicted once committed."""
    image_id = badge.image_id
    await session.execute(sql_delete(ClaimCode).where(ClaimCode.badge_class_id == badge.id))
    await session.delete(badge)
    await session.flush()
    await session.execute(sql_delete(StoredImage).where(StoredImage.id == image_id))
    note_public_change(session, badge.public_id)
