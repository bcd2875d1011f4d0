"""The shape of the app's pure ASGI middleware: HTTP requests go to :meth:`HttpMiddleware.handle`, anything else
(lifespan, websocket) straight to the wrapped app."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send

__all__ = ["HttpMiddleware"]


class HttpMiddleware:
    """A pure ASGI middleware that acts on HTTP requests only: subclasses write :meth:`handle`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
        """One HTTP request; a subclass passes it on to ``self.app`` (this one just does)."""
        await self.app(scope, receive, send)
