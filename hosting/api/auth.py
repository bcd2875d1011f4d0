"""Bearer-token authentication for the issuer API: token creation, lookup and scope checks.

A token is ``obt_`` + 43 URL-safe characters (256 random bits); only its SHA-256 is stored, so a database
leak does not leak usable tokens. Lookup is by that hash (an indexed equality on a value an attacker cannot
choose without knowing the token).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.lib.body import normalise_email
from hosting.lib.db import immediate_transactions
from hosting.lib.errors import NotAuthenticated, NotPermitted
from hosting.lib.times import aware
from hosting.oauth.tokens import ACCESS_PREFIX, find_access_token
from hosting.storage.models import ApiToken, utcnow

__all__ = [
    "DEFAULT_SCOPES",
    "SCOPES",
    "Principal",
    "create_token",
    "hash_token",
    "parse_scopes",
    "provide_principal",
    "required_scope",
    "revoke_token",
    "token_principal",
]

SCOPES = ("issuer:read", "issuer:write", "assertion:write", "admin")
DEFAULT_SCOPES = ("issuer:read", "issuer:write", "assertion:write")
_PREFIX = "obt_"
READ_SCOPE = "issuer:read"
_READ_METHODS = frozenset({"GET", "HEAD"})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def parse_scopes(text: str | Iterable[str]) -> list[str]:
    """Split ``a,b`` (or take an iterable), drop blanks and duplicates; unknown scopes raise ``ValueError``."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for raw in items:
        scope = raw.strip()
        if not scope:
            continue
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r} (known: {', '.join(SCOPES)})")
        if scope not in out:
            out.append(scope)
    return out


async def create_token(session: AsyncSession, email: str, *, scopes: Iterable[str] = DEFAULT_SCOPES,
                       admin: bool = False, expires_in: timedelta | None = None) -> str:
    """Store a new token for ``email`` and return its plaintext (the only time it exists)."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 320:
        raise ValueError(f"not an email address: {email!r}")
    scope_list = parse_scopes(scopes)
    if admin and "admin" not in scope_list:
        scope_list.append("admin")
    token = _PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(email=email, token_hash=hash_token(token), scopes=scope_list, admin=admin,
                         created_at=utcnow(), expires_at=utcnow() + expires_in if expires_in else None))
    await session.flush()
    return token


async def revoke_token(session: AsyncSession, token: str) -> bool:
    row = await session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    await session.flush()
    return True


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the token's user, its scopes and whether it is an admin token."""

    email: str
    scopes: frozenset[str]
    admin: bool
    # An OAuth2 token scoped ``rw:issuer:<id>``: the only issuers (public ids) it reaches; ``None``: no limit.
    issuers: frozenset[str] | None = None

    def reaches(self, issuer_public_id: str) -> bool:
        """Whether the token's scope reaches this issuer (a role on it is needed as well)."""
        return self.issuers is None or issuer_public_id in self.issuers

    def require_unrestricted(self, action: str) -> None:
        """403 for a token limited to some issuers (``rw:issuer:<id>``) doing what concerns no one issuer."""
        if self.issuers is not None:
            raise NotPermitted(f"a token scoped to single issuers does not allow {action}", details=[
                {"field": "scope", "message": "needs rw:issuer (all issuers)", "value": None}])

    def require(self, scope: str) -> None:
        """403 unless the token carries ``scope`` (admin tokens carry every scope)."""
        if not self.admin and scope not in self.scopes:
            raise NotPermitted(f"this token lacks the {scope!r} scope", details=[
                {"field": "scope", "message": "missing scope", "value": scope}])


def required_scope(method: str, opt: Mapping[str, Any]) -> str:
    """The scope a ``/v1`` call needs: ``issuer:read`` to read; to write, the ``write_scope`` its controller
    declares in ``opt`` (``admin`` when none is declared: an undeclared write fails closed)."""
    return READ_SCOPE if method in _READ_METHODS else str(opt.get("write_scope", "admin"))


async def provide_principal(request: Request[Any, Any, Any],
                            db_session: NamedDependency[AsyncSession]) -> Principal:
    """Litestar dependency: the caller of an API request (401 without a valid token), holding the scope the
    route needs (403 otherwise, see :func:`required_scope`). ``obt_`` API tokens and ``oba_`` OAuth2 access
    tokens are both accepted; the latter's Badgr scopes map onto these by the table in
    :mod:`hosting.oauth.scopes`."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated("missing bearer token (Authorization: Bearer <token>)")
    if token.startswith(ACCESS_PREFIX):  # an OAuth2 access token (Badgr clients): scopes per hosting/oauth/scopes
        with immediate_transactions(False):
            grant = await find_access_token(db_session, token)
        await db_session.rollback()
        principal = Principal(email=grant.email, scopes=grant.v1_scopes, admin=grant.admin, issuers=grant.issuers)
        principal.require(required_scope(request.method, request.route_handler.opt))
        return principal
    if not token.startswith(_PREFIX) or len(token) > 200:
        raise NotAuthenticated("invalid token")
    return await token_principal(request, db_session, token)


async def token_principal(request: Request[Any, Any, Any], db_session: AsyncSession, token: str) -> Principal:
    """The holder of the API token ``token`` (401 if unknown, revoked or expired), holding the scope the route
    needs (403 otherwise). Shared by ``/v1``'s bearer tokens and the Credly API's Basic credentials."""
    with immediate_transactions(False):  # a plain read, then ended: no lock is held while the handler
        row = (await db_session.execute(  # prepares (fetches images); its first query begins the writing one
            select(ApiToken.email, ApiToken.scopes, ApiToken.admin, ApiToken.revoked_at, ApiToken.expires_at)
            .where(ApiToken.token_hash == hash_token(token)))).first()
    await db_session.rollback()
    if row is None:
        raise NotAuthenticated("invalid token")
    if row.revoked_at is not None:
        raise NotAuthenticated("token revoked")
    if row.expires_at is not None and aware(row.expires_at) <= utcnow():
        raise NotAuthenticated("token expired")
    principal = Principal(email=row.email, scopes=frozenset(row.scopes or ()), admin=row.admin)
    principal.require(required_scope(request.method, request.route_handler.opt))
    return principal
