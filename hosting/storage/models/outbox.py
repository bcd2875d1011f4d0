"""The notification outbox table (migration 0004): one row per email to send; see :mod:`hosting.notify`."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hosting.storage.models.base import Base, utcnow

__all__ = ["NotificationKind", "OutboxMessage", "OutboxStatus"]


class NotificationKind:
    ISSUED = "issued"
    PENDING = "pending"  # issued, waiting for the earner to accept: the mail carries the accept link
    REVOKED = "revoked"
    REPLACED = "replaced"
    ALL = ("issued", "pending", "revoked", "replaced")


class OutboxStatus:
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender until ``next_attempt_at`` (then claimable again)
    SENT = "sent"
    FAILED = "failed"  # gave up; ``last_error`` says why


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
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)
