"""Operations endpoints: liveness, readiness, the docs entry point, and the benchmark baseline."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from litestar import Request, Response, get
from litestar.enums import ScopeType
from litestar.response import Redirect
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import text

from hosting.app.state import hosting_state
from hosting.lib.http import HTML_FRAME_HEADERS

__all__ = ["AccessLogMiddleware", "DocsHtmlHeadersMiddleware", "PublicPreflightMiddleware", "docs_redirect", "healthz", "hello", "readyz"]

_access = logging.getLogger("hosting.access")


@get("/healthz", tags=["operations"], summary="Liveness")
async def healthz() -> dict[str, str]:
    """200 while the process is up."""
    return {"status": "ok"}


@get("/readyz", tags=["operations"], summary="Readiness")
async def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    """200 when the database answers, else 503."""
    state = hosting_state(request)
    try:
        assert state.engine is not None
        async with state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return Response({"code": "ServiceUnavailable", "message": f"database unreachable: {type(exc).__name__}"},
                        status_code=503, headers={"cache-control": "no-store"})
    return Response({"status": "ready"}, headers={"cache-control": "no-store"})


@get("/hello", include_in_schema=False, media_type="text/plain")
async def hello() -> bytes:
    """The hello-world baseline the benchmark compares the public routes with."""
    return b"Hello, world!"


@get("/docs", include_in_schema=False)
async def docs_redirect() -> Redirect:
    """The API documentation (Litestar's OpenAPI UI, document at ``/schema/openapi.json``)."""
    return Redirect("/schema/swagger", status_code=302)


_PREFLIGHT_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, HEAD, OPTIONS"),
    (b"access-control-allow-headers", b"Accept, If-None-Match, If-Modified-Since"),
    (b"access-control-max-age", b"86400"),
    (b"content-length", b"0"),
]


class PublicPreflightMiddleware:
    """Answers CORS preflight (``OPTIONS``) for ``/public/*``: any origin may GET/HEAD with conditional headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["method"] == "OPTIONS" and scope["path"].startswith("/public/"):
            await send({"type": "http.response.start", "status": 204, "headers": _PREFLIGHT_HEADERS})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await self.app(scope, receive, send)


class DocsHtmlHeadersMiddleware:
    """The HTML of the OpenAPI UI (``/schema/*``) is Litestar's: add the headers every HTML response carries
    (no framing, nosniff, no Referer). The badge pages set their stricter ones themselves."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not scope["path"].startswith("/schema"):
            await self.app(scope, receive, send)
            return

        async def _send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                    message["headers"] = [*headers, *HTML_FRAME_HEADERS]
            await send(message)

        await self.app(scope, receive, _send)


class AccessLogMiddleware:
    """One JSON line per request on the ``hosting.access`` logger (pure ASGI, cheap)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        size = 0

        async def _send(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            if _access.isEnabledFor(logging.INFO):
                client = scope.get("client")
                _access.info(json.dumps({
                    "event": "access",
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "bytes": size,
                    "ms": round((time.perf_counter() - start) * 1000, 2),
                    "client": client[0] if client else None,
                }))
