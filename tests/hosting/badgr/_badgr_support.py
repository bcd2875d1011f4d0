"""Helpers for the Badgr v2 and OAuth2 tests: users and clients made in the database, tokens obtained over HTTP
exactly as a Badgr client does (form-encoded POSTs to ``/o/token``)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html as html_lib
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hosting import Settings
from hosting.lib.db import create_engine
from hosting.oauth.accounts import create_client, create_user

T = TypeVar("T")
PASSWORD = "correct horse battery staple"
REDIRECT = "https://client.example.org/callback"


def in_session(settings: Settings, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def _go() -> T:
        engine = create_engine(settings.database_url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                result = await fn(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(_go())


def make_user(settings: Settings, label: str = "user", *, admin: bool = False) -> str:
    email = f"{label}-{secrets.token_hex(4)}@Example.org"
    in_session(settings, lambda s: create_user(s, email, PASSWORD, first_name="Ada", last_name=label, admin=admin))
    return email.lower()


def make_client(settings: Settings, *, public: bool = True, grants: Iterable[str] = ("password", "refresh_token"),
                scopes: str = "rw:issuer rw:profile r:profile rw:serverAdmin", user: str | None = None,
                redirect_uris: Iterable[str] = (REDIRECT,)) -> tuple[str, str | None]:
    client_id = f"client-{secrets.token_hex(4)}"
    made = in_session(settings, lambda s: create_client(s, client_id, public=public, redirect_uris=redirect_uris,
                                                        scopes=scopes, grant_types=grants, user_email=user))
    return client_id, made.secret


def password_token(api: Any, client_id: str, email: str, scope: str = "rw:issuer rw:profile",
                   password: str = PASSWORD, secret: str | None = None) -> Any:
    form = {"grant_type": "password", "username": email, "password": password, "client_id": client_id,
            "scope": scope}
    if secret:
        form["client_secret"] = secret
    return api.post("/o/token", data=form)


def login(api: Any, settings: Settings, email: str, scope: str = "rw:issuer rw:profile") -> dict[str, Any]:
    """A password-grant token for ``email`` (a new public client each time)."""
    client_id, _ = make_client(settings)
    res = password_token(api, client_id, email, scope)
    assert res.status_code == 200, res.text
    body: dict[str, Any] = res.json()
    body["client_id"] = client_id
    return body


def bearer(token: str | dict[str, Any]) -> dict[str, str]:
    value = token["access_token"] if isinstance(token, dict) else token
    return {"Authorization": f"Bearer {value}"}


def authorize_page(api: Any, client_id: str, challenge: str, redirect_uri: str = REDIRECT,
                   scope: str = "rw:issuer r:profile") -> Any:
    """The consent page of a code request with PKCE (S256)."""
    return api.get("/o/authorize", params={
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": scope,
        "state": "xyz", "code_challenge": challenge, "code_challenge_method": "S256"})


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def approve(api: Any, page: Any, email: str, password: str = PASSWORD,
            decision: str = "approve") -> Any:
    """Post the consent page's form (its hidden fields, CSRF token included) with these credentials."""
    fields = {k: html_lib.unescape(v) for k, v in hidden_fields(page.text).items()}
    return api.post("/o/authorize", data={**fields, "username": email, "password": password,
                                          "decision": decision}, follow_redirects=False)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _png(color: tuple[int, int, int, int] = (200, 30, 30, 255)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (8, 8), color).save(out, format="PNG")
    return out.getvalue()


PNG_DATA_URI = "data:image/png;base64," + base64.b64encode(_png()).decode()
OTHER_PNG = _png((30, 30, 200, 255))
OTHER_PNG_DATA_URI = "data:image/png;base64," + base64.b64encode(OTHER_PNG).decode()
