"""Deleting an issuer: the one way every API (``/v1``, BadgeKit's systems and issuers) does it."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.lib.errors import Conflict, NotFound
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

__all__ = ["LIVE_STATES", "delete_issuer", "freed_slug", "live_assertion_count", "lock_for_deletion"]

LIVE_STATES = (AssertionState.ACTIVE, AssertionState.PENDING)
"""What deleting an issuer revokes, and what refuses an unforced deletion: issued and not (yet) revoked, rejected or
replaced. A replaced assertion's URL redirects to its replacement, which is the one that counts."""


def freed_slug() -> str:
    """The slug a deleted issuer (or BadgeKit program) takes, so that its old one can be used again."""
    return "deleted-" + new_public_id().lower().replace("_", "-")[:20]


async def live_assertion_count(session: AsyncSession, issuer: Issuer) -> int:
    """How many of ``issuer``'s assertions are active or pending (:data:`LIVE_STATES`)."""
    return int(await session.scalar(select(func.count()).select_from(Assertion).where(
        Assertion.issuer_id == issuer.id, Assertion.state.in_(LIVE_STATES))) or 0)


async def lock_for_deletion(session: AsyncSession, issuer: Issuer) -> None:
    """Lock what deleting ``issuer`` must not race with; :class:`NotFound` when a concurrent deletion won.

    On PostgreSQL: first every badge class row of the issuer (``SELECT … FOR UPDATE``, in id order), the lock
    :meth:`~hosting.storage.store.HostingStore.award` takes before issuing, so an award in progress commits before
    the live assertions are counted, and one that comes after finds the tombstone; then the issuer's row, which
    serialises deletions (the loser sees the winner's tombstone). Badge classes before the issuer is the order an
    award takes them in (its badge class, then a share lock on the issuer when its rows go in), so the two never
    deadlock. On SQLite a write takes the database's single write lock (as ``award`` does)."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(update(Issuer).where(Issuer.id == issuer.id).values(updated_at=Issuer.updated_at))
    with session.no_autoflush:  # nothing pending on the issuer's row may be written (locked) before its badges
        await session.execute(select(BadgeClass.id).where(BadgeClass.issuer_id == issuer.id)
                              .order_by(BadgeClass.id).with_for_update())
        await session.execute(select(Issuer.id).where(Issuer.id == issuer.id).with_for_update())
        deleted = await session.scalar(select(DeletedIssuer.issuer_id).where(DeletedIssuer.issuer_id == issuer.id))
    if deleted is not None:
        raise NotFound("no such issuer")


async def delete_issuer(store: HostingStore, issuer: Issuer, *, deleted_by: str, reason: str, force: bool = True,
                        advice: str = "revoke them first") -> None:
    """Delete ``issuer``: its live assertions are revoked (with ``reason``), its claim codes withdrawn (their pages
    answer 410), its slug freed, and the deletion recorded. The rows stay, so its public documents stay published:
    the revoked assertions keep answering 410 and verifiers can tell why.

    Without ``force``, an issuer with live (active or pending) assertions is refused (:class:`Conflict`, their count
    in ``details``, ``advice`` in the message) and nothing changes; revoked, rejected and replaced ones never count.
    Concurrent issuing under the issuer either finishes first (and counts) or is refused: see
    :func:`lock_for_deletion`.
    """
    session = store.session
    await lock_for_deletion(session, issuer)
    if not force:
        count = await live_assertion_count(session, issuer)
        if count:
            raise Conflict(f"the issuer has {count} active or pending assertion(s); {advice}", details=[
                {"resource": "assertions", "field": "assertions", "message": "active or pending assertions exist",
                 "value": count}])
    live = (await session.scalars(select(Assertion).where(
        Assertion.issuer_id == issuer.id, Assertion.state.in_(LIVE_STATES)).order_by(Assertion.id))).all()
    for assertion in live:
        await store.revoke(assertion, reason)  # each evicted from the public cache once committed
    await session.execute(update(ClaimCode).where(ClaimCode.deleted_at.is_(None), ClaimCode.badge_class_id.in_(
        select(BadgeClass.id).where(BadgeClass.issuer_id == issuer.id))).values(deleted_at=utcnow()))
    issuer.slug = freed_slug()
    session.add(DeletedIssuer(issuer_id=issuer.id, deleted_at=utcnow(), deleted_by=deleted_by))
    await session.flush()
