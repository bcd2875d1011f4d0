"""BadgeKit API keys: a named shared secret (encrypted at rest with the KeyBox), for every system (``system_id``
null, the ``master`` key by default) or for one system (an issuer, see ``docs/compat-badgekit.md``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from hosting.storage.models.base import Base, utcnow


class BadgeKitKey(Base):
    __tablename__ = "badgekit_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    system_id: Mapped[int | None] = mapped_column(ForeignKey("issuers.id"), nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
