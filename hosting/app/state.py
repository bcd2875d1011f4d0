"""What the handlers share, kept on ``app.state.hosting``."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hosting.app.settings import Settings
from hosting.earners.tokens import AcceptLinks
from hosting.lib.crypto import KeyBox
from hosting.lib.urls import PublicUrls
from hosting.public.service import PublicReader

__all__ = ["HostingState", "hosting_state"]


@dataclass
class HostingState:
    settings: Settings
    urls: PublicUrls
    keybox: KeyBox
    engine: AsyncEngine | None = None
    sessionmaker: async_sessionmaker[AsyncSession] | None = None
    reader: PublicReader | None = None

    @functools.cached_property
    def accept_links(self) -> AcceptLinks:
        """Accept links signed with the server secret, valid ``accept_token_days`` (its key derived once)."""
        return AcceptLinks(self.settings.secret_key, days=self.settings.accept_token_days)


def hosting_state(connection: ASGIConnection[Any, Any, Any, Any]) -> HostingState:
    """The app's :class:`HostingState` (the one accessor: handlers and dependencies use it)."""
    state: HostingState = connection.app.state["hosting"]
    return state
