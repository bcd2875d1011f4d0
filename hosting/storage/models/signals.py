"""The ``public_changes`` counter (migration 0010): one row, bumped by every transaction that changes a public
answer, so the app processes sharing a SQLite file notice within a poll (:mod:`hosting.public.invalidation`).
PostgreSQL uses ``NOTIFY`` instead; the table exists there too (one schema) but stays at 0."""

from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from hosting.storage.models.base import Base

__all__ = ["PublicChanges"]


class PublicChanges(Base):
    __tablename__ = "public_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
