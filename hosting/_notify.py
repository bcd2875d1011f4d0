"""Email notifications to recipients: an outbox row written in the issuing transaction, delivered later.

:func:`queue_notification` adds a row to ``notification_outbox`` in the caller's session, so the mail exists
exactly when the issue/revoke/replace commits. The row keeps the event's data (badge and issuer names, public
ids, revocation reason, locale); the message is rendered from ``templates/email`` when it is sent, with the
sender's base URL and the current templates.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from hosting._models import Assertion, AssertionState, BadgeClass, Base, Issuer, utcnow

__all__ = ["NotificationKind", "OutboxMessage", "OutboxStatus", "queue_notification"]


class NotificationKind:
    ISSUED = "issued"
    REVOKED = "revoked"
    REPLACED = "replaced"
    ALL = ("issued", "revoked", "replaced")


class OutboxStatus:
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender until ``next_attempt_at`` (then claimable again)
    SENT = "sent"
    FAILED = "failed"  # gave up; ``last_error`` says why


def _now() -> datetime:
    return datetime.now(UTC)


class OutboxMessage(Base):
    """One email to send to a recipient (migration 0003)."""

    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_notification_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    assertion_id: Mapped[int | None] = mapped_column(
        ForeignKey("assertions.id", ondelete="SET NULL"), nullable=True, default=None, index=True
    )
    recipient: Mapped[str] = mapped_column(String(512))
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True, default=None)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    token: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))  # Message-ID
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)


def _recipient_email(assertion: Assertion) -> str | None:
    if assertion.recipient_type != "email":
        return None
    if assertion.recipient_plaintext:
        return assertion.recipient_plaintext
    return None if assertion.recipient_hashed else assertion.recipient_identity


async def queue_notification(
    session: AsyncSession, kind: str, assertion: Assertion, *, badge: BadgeClass, issuer: Issuer
) -> None:
    """Queue an email about ``assertion`` to its recipient, in ``session``'s transaction (nothing is sent now).

    ``kind`` is ``"issued"``, ``"revoked"`` (reason from ``assertion.revocation_reason``) or ``"replaced"``:
    then ``assertion`` is the *old* one (``replaced_by_id`` set) and the mail goes to the replacement's
    recipient, pointing to the replacement. Recipients that are not email addresses get nothing.
    """
    if kind not in NotificationKind.ALL:
        raise ValueError(f"unknown notification kind {kind!r}")
    target = assertion
    context: dict[str, Any] = {
        "badge_name": badge.name,
        "issuer_name": issuer.name,
        "issuer_url": issuer.url,
        "assertion_id": assertion.public_id,
    }
    if kind == NotificationKind.REPLACED:
        if assertion.state != AssertionState.REPLACED or assertion.replaced_by_id is None:
            raise ValueError("a 'replaced' notification needs the old assertion, with replaced_by_id set")
        replacement = await session.get(Assertion, assertion.replaced_by_id)
        if replacement is None:
            raise ValueError("the replacement assertion does not exist")
        target = replacement
        context["replacement_id"] = replacement.public_id
    elif kind == NotificationKind.REVOKED:
        context["reason"] = assertion.revocation_reason or ""
    recipient = _recipient_email(target)
    if recipient is None:
        return
    context["recipient_name"] = target.recipient_name or ""
    session.add(OutboxMessage(kind=kind, assertion_id=target.id, recipient=recipient, locale=target.locale,
                              context=context))
    await session.flush()


async def outbox_messages(session: AsyncSession, assertion_id: int | None = None) -> list[OutboxMessage]:
    """Outbox rows, oldest first (all, or those about one assertion)."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if assertion_id is not None:
        query = query.where(OutboxMessage.assertion_id == assertion_id)
    return list(await session.scalars(query))
