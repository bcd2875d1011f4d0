"""Operations endpoints: liveness, readiness, the docs entry point, and the benchmark baseline."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from typing import Any

from alembic.script import ScriptDirectory
from litestar import Request, Response, get
from litestar.enums import ScopeType
from litestar.response import Redirect
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hosting.app.state import hosting_state
from hosting.lib.asgi import HttpMiddleware
from hosting.lib.http import HTML_FRAME_HEADERS
from hosting.storage.migrate import MIGRATIONS, alembic_config

__all__ = ["AccessLogMiddleware", "DocsHtmlHeadersMiddleware", "PublicPreflightMiddleware", "docs_redirect", "healthz", "hello", "readyz"]

_access = logging.getLogger("hosting.access")


@get("/healthz", tags=["operations"], summary="Liveness")
async def healthz() -> dict[str, str]:
    """200 while the process is up."""
    return {"status": "ok"}


@functools.cache
def _schema_head() -> str | None:
    return ScriptDirectory.from_config(alembic_config(f"sqlite:///{MIGRATIONS}")).get_current_head()


async def _readiness(engine: AsyncEngine) -> str | None:
    """``None`` when the schema is at the migration head and the database takes a write, else the reason."""
    async with engine.connect() as conn:
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        if version != _schema_head():
            return f"schema at migration {version}, expected {_schema_head()}: run `openbadges-server migrate`"
        # A write that is rolled back: fails on a read-only or full database, waits on a held write lock.
        await conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
        await conn.rollback()
    return None


@get("/readyz", tags=["operations"], summary="Readiness")
async def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    """200 when the database answers within ``readiness_timeout``, its schema is at the migration head and
    it accepts a write (rolled back); else 503 with the reason."""
    state = hosting_state(request)
    try:
        assert state.engine is not None
        problem = await asyncio.wait_for(_readiness(state.engine), state.settings.readiness_timeout)
    except TimeoutError:
        problem = f"database did not answer within {state.settings.readiness_timeout:g} s"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        problem = f"database unusable: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    if problem is not None:
        return Response({"code": "ServiceUnavailable", "message": problem}, status_code=503,
                        headers={"cache-control": "no-store", "retry-after": "5"})
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


# The API explorer loads everything from this origin (hosting/app/apidocs.py); the policy makes the browser
# hold it to that. Its page has inline script and style (the schema, Swagger UI's set-up), hence 'unsafe-inline'.
_DOCS_CSP = (b"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
             b"img-src 'self' data:; connect-src 'self'; font-src 'self' data:; "
             b"frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'")
_DOCS_HTML_HEADERS = [(b"content-security-policy", _DOCS_CSP),
                      *((k, v) for k, v in HTML_FRAME_HEADERS if k != b"content-security-policy")]


class DocsHtmlHeadersMiddleware:
    """The HTML of the OpenAPI UI (``/schema/*``) is Litestar's: add the headers every HTML response carries
    (no framing, nosniff, no Referer) and a content policy that allows only this origin. The badge pages set
    their own."""

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
                    message["headers"] = [*headers, *_DOCS_HTML_HEADERS]
            await send(message)

        await self.app(scope, receive, _send)


class AccessLogMiddleware(HttpMiddleware):
    """One JSON line per request on the ``hosting.access`` logger (pure ASGI, cheap)."""

    async def handle(self, scope: HTTPScope, receive: Receive, send: Send) -> None:
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
                    "scheme": scope.get("scheme"),  # https behind a TLS proxy when its headers are trusted
                }))
