"""The earner side's tables (migration 0008_earners): accept tokens and claim codes; see :mod:`hosting.earners`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hosting.storage.models.base import Base, utcnow

__all__ = ["AcceptToken", "ClaimCode"]


class AcceptToken(Base):
    """The single-use link that lets an earner accept or reject a pending assertion.

    Only the SHA-256 of the token is stored (``token_hash``); the token itself is derived from ``nonce`` with
    a key derived from the server secret, so the link can be shown again (private view, email) without a
    database copy of it being enough to use it."""

    __tablename__ = "accept_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assertion_id: Mapped[int] = mapped_column(ForeignKey("assertions.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ClaimCode(Base):
    """A BadgeKit claim code of a badge class: single-use (``multiuse`` false) or not, optionally expiring.

    ``code`` is unique per badge class (migration 0020), not server-wide: two issuers (or two badge classes) may
    each hold "SPRING-2026"; the claim page's URL names the badge class (:mod:`hosting.earners.pages`).

    ``uses`` counts the assertions claimed with it; a deleted code keeps its row (``deleted_at``) so the
    assertions that name it keep their reference."""

    __tablename__ = "claim_codes"
    __table_args__ = (UniqueConstraint("badge_class_id", "code", name="uq_claim_codes_badge_class_id_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), index=True)  # the legacy /claim/{code} looks it up
    # no index of its own: the unique key (badge_class_id, code) leads with it
    badge_class_id: Mapped[int] = mapped_column(ForeignKey("badge_classes.id"))
    multiuse: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)
