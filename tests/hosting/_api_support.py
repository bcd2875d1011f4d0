"""Helpers shared by the issuer API tests: an app with the ``/v1`` controllers, and token creation."""

from __future__ import annotations

import asyncio
import http.server
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import async_sessionmaker

from hosting import Settings
from hosting.api.auth import DEFAULT_SCOPES, create_token, revoke_token
from hosting.lib.db import create_engine


def make_token(settings: Settings, email: str, *, scopes: Iterable[str] = DEFAULT_SCOPES, admin: bool = False,
               expires_in: timedelta | None = None, revoke: bool = False) -> str:
    async def _go() -> str:
        engine = create_engine(settings.database_url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                token = await create_token(session, email, scopes=scopes, admin=admin, expires_in=expires_in)
                if revoke:
                    await revoke_token(session, token)
                await session.commit()
                return token
        finally:
            await engine.dispose()

    return asyncio.run(_go())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unique_email(label: str = "user") -> str:
    return f"{label}-{secrets.token_hex(4)}@example.org"


def unique_slug(label: str = "iss") -> str:
    return f"{label}-{secrets.token_hex(4)}"


def new_issuer(api: Any, token: str, **fields: Any) -> dict[str, Any]:
    body = {"name": "Test Issuer", "url": "https://issuer.example.org", "email": "badges@issuer.example.org",
            "slug": unique_slug(), **fields}
    res = api.post("/v1/issuers", json=body, headers=bearer(token))
    assert res.status_code == 201, res.text
    issuer: dict[str, Any] = res.json()["issuer"]
    return issuer


@contextmanager
def serving(path: str, body: bytes, content_type: str, *, delay: float = 0.0) -> Iterator[str]:
    """A loopback HTTP server answering ``path`` with ``body`` after ``delay`` seconds (404 elsewhere); yields its
    base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == path
            if found:
                time.sleep(delay)
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", content_type if found else "text/plain")
            self.send_header("Content-Length", str(len(body) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def sql_statements() -> Iterator[list[str]]:
    """The SQL statements run by any engine of this process inside the block (to pin query counts)."""
    statements: list[str] = []

    def _record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", _record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", _record)
