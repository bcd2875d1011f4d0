"""Deleting an issuer: the one way every API (``/v1``, BadgeKit's systems and issuers) does it."""

from __future__ import annotations

from sqlalchemy import select, update

from hosting.lib.ids import new_public_id
from hosting.storage.models import (
    Assertion,
    AssertionState,
    BadgeClass,
    ClaimCode,
    DeletedIssuer,
    Issuer,
    utcnow,
)
from hosting.storage.store import HostingStore

__all__ = ["delete_issuer", "freed_slug"]


def freed_slug() -> str:
    """The slug a deleted issuer (or BadgeKit program) takes, so that its old one can be used again."""
    return "deleted-" + new_public_id().lower().replace("_", "-")[:20]


async def delete_issuer(store: HostingStore, issuer: Issuer, *, deleted_by: str, reason: str) -> None:
    """Delete ``issuer``: its live assertions are revoked (with ``reason``), its claim codes withdrawn (their pages
    answer 410), its slug freed, and the deletion recorded. The rows stay, so its public documents stay published:
    the revoked assertions keep answering 410 and verifiers can tell why."""
    session = store.session
    live = (await session.scalars(select(Assertion).where(
        Assertion.issuer_id == issuer.id,
        Assertion.state.in_((AssertionState.ACTIVE, AssertionState.PENDING))).order_by(Assertion.id))).all()
    for assertion in live:
        await store.revoke(assertion, reason)  # each evicted from the public cache once committed
    await session.execute(update(ClaimCode).where(ClaimCode.deleted_at.is_(None), ClaimCode.badge_class_id.in_(
        select(BadgeClass.id).where(BadgeClass.issuer_id == issuer.id))).values(deleted_at=utcnow()))
    issuer.slug = freed_slug()
    session.add(DeletedIssuer(issuer_id=issuer.id, deleted_at=utcnow(), deleted_by=deleted_by))
    await session.flush()
