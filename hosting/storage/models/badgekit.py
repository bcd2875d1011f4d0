"""BadgeKit API keys: a named shared secret (encrypted at rest with the KeyBox), for every system (``system_id``
null, the ``master`` key by default) or for one system (an issuer, see ``docs/compat-badgekit.md``).

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
    cast,
    event,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from hosting.storage.models.base import Base, utcnow
from hosting.storage.models.hosted import BadgeClass


class BadgeKitKey(Base):
    __tablename__ = "badgekit_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    system_id: Mapped[int | None] = mapped_column(ForeignKey("issuers.id"), nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


@event.listens_for(BadgeClass, "after_delete")
def _drop_deleted_support(mapper: Mapper[Any], connection: Connection, target: BadgeClass) -> None:
    """Remove a deleted badge class from its issuer's milestones (in the deleting flush, on its connection)."""
    rows = connection.execute(select(BadgeClass.id, BadgeClass.milestones).where(
        BadgeClass.issuer_id == target.issuer_id, cast(BadgeClass.milestones, String) != "[]")).all()
    for row in rows:
        milestones = list(row.milestones or [])
        if any(target.id in m.get("supportBadges", []) for m in milestones):
            kept = [{**m, "supportBadges": [s for s in m["supportBadges"] if s != target.id]} for m in milestones]
            connection.execute(update(BadgeClass).where(BadgeClass.id == row.id).values(milestones=kept))
