"""BadgeKit API storage: keys (a named shared secret, encrypted at rest with the KeyBox, for every system when
``system_id`` is null, the ``master`` key by default, or for one system) and programs (of an issuer inside a
system). Systems and their issuers are rows of ``issuers`` (``parent_id``); see ``docs/compat-badgekit.md``.

BadgeKit milestones live on their primary badge class (``badge_classes.milestones``, JSON: ``[{id, action,
numberRequired, supportBadges: [badge class ids]}]``); a badge class deleted through any API is taken out of the
milestones that list it (:func:`_drop_deleted_support`), so no stale id can later name another badge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    cast,
    event,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from hosting.storage.models.base import Base, utcnow
from hosting.storage.models.hosted import BadgeClass

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


@event.listens_for(BadgeClass, "after_delete")
def _drop_deleted_support(mapper: Mapper[Any], connection: Connection, target: BadgeClass) -> None:
    """Remove a deleted badge class from the milestones that list it (in the deleting flush, on its connection).
    Milestones are kept inside one system, so only badge classes with milestones are read (few)."""
    rows = connection.execute(select(BadgeClass.id, BadgeClass.milestones).where(
        cast(BadgeClass.milestones, String) != "[]")).all()
    for row in rows:
        milestones = list(row.milestones or [])
        if any(target.id in m.get("supportBadges", []) for m in milestones):
            kept = [{**m, "supportBadges": [s for s in m["supportBadges"] if s != target.id]} for m in milestones]
            connection.execute(update(BadgeClass).where(BadgeClass.id == row.id).values(milestones=kept))
