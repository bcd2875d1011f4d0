"""The request's unit of work: the ``db_session`` every handler receives, committed **before** the response is
sent. A failed COMMIT fails the request (503 when the database is unavailable, else 500), logged with its cause:
a client is never told that a write succeeded when it was lost. A writing unit of work stores the documents of the
issuers, badge classes and keys it created or changed (:mod:`hosting.public.stored`). The public answers the unit of work changed
(:func:`hosting.lib.db.note_public_change`) are evicted from the in-process public cache after the COMMIT and
before the response: a client told "done" reads the new state. The same transaction tells the other processes
(``NOTIFY`` on PostgreSQL, a counter on SQLite: :mod:`hosting.public.invalidation`), which evict within 1 s."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any

from litestar import Request
from litestar.types import HTTPScope, Receive, Send
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.app.state import hosting_state
from hosting.lib.asgi import HttpMiddleware
from hosting.lib.db import is_unavailable_error, take_public_changes
from hosting.lib.errors import Unavailable
from hosting.public.invalidation import announce_public_changes
from hosting.public.stored import store_documents

__all__ = ["SessionScopeMiddleware", "provide_db_session"]

_log = logging.getLogger("hosting")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_OPEN: ContextVar[list[AsyncSession] | None] = ContextVar("openbadges_request_sessions", default=None)


async def provide_db_session(request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """A session for the request: committed after the handler returned and its response was built (Litestar
    closes generator dependencies before sending), rolled back when anything raised."""
    sessionmaker = hosting_state(request).sessionmaker
    assert sessionmaker is not None, "the app has not started"
    async with sessionmaker() as session:
        opened = _OPEN.get()
        if opened is not None:
            opened.append(session)
        try:
            yield session
        except BaseException:
            take_public_changes(session)  # rolled back: nothing changed, nothing to evict
            with contextlib.suppress(Exception):  # a dead connection: the error that matters is the one raised
                await session.rollback()
            raise
        changed = take_public_changes(session)
        try:
            if request.method not in _READS:  # no write in a GET: its documents are rendered on the fly
                await store_documents(session, hosting_state(request).urls)
            await announce_public_changes(session, changed)  # to the other processes, delivered on COMMIT
            await session.commit()
        except Exception as exc:
            _log.error("COMMIT failed on %s %s: %s: %s", request.method, request.url.path,
                       type(exc).__name__, exc)
            if is_unavailable_error(exc):
                raise Unavailable("the database did not store the change; retry the request") from exc
            raise
        finally:  # after a failed COMMIT too: a connection lost during COMMIT may have committed
            _evict(request, changed)


def _evict(request: Request[Any, Any, Any], changed: set[str | None]) -> None:
    """Drop what the committed unit of work changed from the public cache, before the response goes out: a
    client told "done" then reads the new state. Evicting *after* the COMMIT matters: evicted before, a
    concurrent GET could read the old state again and cache it (the reader also refuses to cache what a read
    begun before this eviction saw)."""
    reader = hosting_state(request).reader
    if reader is None or not changed:
        return
    if None in changed:
        reader.forget()
        return
    for public_id in changed:
        if public_id is not None:
            reader.forget(public_id)


class SessionScopeMiddleware(HttpMiddleware):
    """Closes (rolls back) the request's session once the response is out, whatever happened. Litestar does not
    close a generator dependency when a *later* dependency raises (e.g. the principal's 401/403), which would
    leave a transaction open, and on SQLite the write lock held, until garbage collection."""

    async def handle(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        opened: list[AsyncSession] = []
        token = _OPEN.set(opened)
        try:
            await self.app(scope, receive, send)
        finally:
            _OPEN.reset(token)
            for session in opened:
                with contextlib.suppress(Exception):
                    await session.close()
