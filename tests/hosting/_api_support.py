"""Helpers shared by the issuer API tests: an app with the ``/v1`` controllers, and token creation."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from typing import Any

from _image_server import serve_files
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


def serving(path: str, body: bytes, content_type: str, *, delay: float = 0.0) -> AbstractContextManager[str]:
    """A loopback HTTP server answering ``path`` with ``body`` after ``delay`` seconds (404 elsewhere); yields its
    base URL."""
    return serve_files({path: (body, content_type)}, delay=delay)


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
