"""What the handlers share, kept on ``app.state.hosting``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hosting._crypto import KeyBox
from hosting._public_service import PublicReader
from hosting._settings import Settings
from hosting._urls import PublicUrls

__all__ = ["HostingState"]


@dataclass
class HostingState:
    settings: Settings
    urls: PublicUrls
    keybox: KeyBox
    engine: AsyncEngine | None = None
    sessionmaker: async_sessionmaker[AsyncSession] | None = None
    reader: PublicReader | None = None
