"""Storage for the issuer API: API tokens, per-issuer staff roles and deleted-issuer tombstones (migration 0002).

Tokens are stored as the SHA-256 of a high-entropy random string; the plaintext is shown once at creation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hosting.storage.models.base import Base, utcnow

__all__ = ["ApiToken", "DeletedIssuer", "Role", "StaffRole"]


class Role:
    OWNER = "owner"
    EDITOR = "editor"
    STAFF = "staff"
    ALL = ("owner", "editor", "staff")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)


class StaffRole(Base):
    __tablename__ = "issuer_staff"
    __table_args__ = (UniqueConstraint("issuer_id", "email", name="uq_issuer_staff_issuer_email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DeletedIssuer(Base):
    """An issuer deleted through the API: gone from ``/v1``; its public documents stay (revocations verify)."""

    __tablename__ = "deleted_issuers"

    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), primary_key=True)
    deleted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_by: Mapped[str] = mapped_column(String(320))
