"""BadgeKit API storage: keys (a named shared secret, encrypted at rest with the KeyBox, for every system when
``system_id`` is null, the ``master`` key by default, or for one system) and programs (of an issuer inside a
system). Systems and their issuers are rows of ``issuers`` (``parent_id``); see ``docs/compat-badgekit.md``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hosting.storage.models.base import Base, utcnow

__all__ = ["BadgeKitKey", "BadgeKitProgram"]


class BadgeKitKey(Base):
    __tablename__ = "badgekit_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    system_id: Mapped[int | None] = mapped_column(ForeignKey("issuers.id"), nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BadgeKitProgram(Base):
    """A BadgeKit program: belongs to one issuer (inside a system); its badges are that issuer's badge classes
    with ``program_id`` set (so their published OB Issuer is the program's issuer)."""

    __tablename__ = "badgekit_programs"
    __table_args__ = (UniqueConstraint("issuer_id", "slug", name="uq_badgekit_programs_issuer_slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    slug: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(2048), nullable=True, default=None)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True, default=None)
    description: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # No image: nothing serves one publicly. A deleted program keeps its row (its badges' assertions still name it); its slug is freed.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)
