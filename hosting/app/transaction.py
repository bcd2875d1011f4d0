"""The request's unit of work: the ``db_session`` every handler receives, committed **before** the response is
sent. A failed COMMIT fails the request (503 when the database is unavailable, else 500), logged with its cause:
a client is never told that a write succeeded when it was lost."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.app.state import hosting_state
from hosting.lib.db import is_unavailable_error
from hosting.lib.errors import Unavailable

__all__ = ["provide_db_session"]

_log = logging.getLogger("hosting")


async def provide_db_session(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """A session for the request: committed after the handler returned and its response was built (Litestar
    closes generator dependencies before sending), rolled back when anything raised."""
    sessionmaker = hosting_state(request).sessionmaker
    assert sessionmaker is not None, "the app has not started"
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            with contextlib.suppress(Exception):  # a dead connection: the error that matters is the one raised
                await session.rollback()
            raise
        try:
            await session.commit()
        except Exception as exc:
            _log.error("COMMIT failed on %s %s: %s: %s", request.method, request.url.path,
                       type(exc).__name__, exc)
            if is_unavailable_error(exc):
                raise Unavailable("the database did not store the change; retry the request") from exc
            raise
