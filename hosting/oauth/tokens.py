"""OAuth2 access tokens as the APIs see them: lookup by hash, expiry and revocation, the caller they name.

Tokens are ``oba_`` (access) or ``obr_`` (refresh) + 43 URL-safe characters; only their SHA-256 is stored.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.lib.errors import NotAuthenticated
from hosting.lib.times import aware
from hosting.oauth.accounts import hash_secret
from hosting.oauth.scopes import ADMIN_SCOPE, issuer_restriction, v1_scopes
from hosting.storage.models import OAuthClient, OAuthToken, User, utcnow

__all__ = ["ACCESS_PREFIX", "ACCESS_TTL", "REFRESH_PREFIX", "REFRESH_TTL", "AccessGrant", "find_access_token",
           "new_access_token", "new_refresh_token", "revoke_family"]

ACCESS_PREFIX = "oba_"
REFRESH_PREFIX = "obr_"
ACCESS_TTL = 24 * 3600  # Badgr's default access-token lifetime
REFRESH_TTL = 90 * 24 * 3600


def new_access_token() -> str:
    return ACCESS_PREFIX + secrets.token_urlsafe(32)


def new_refresh_token() -> str:
    return REFRESH_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class AccessGrant:
    """A valid access token: its user, client and Badgr scopes."""

    token_id: int
    user_id: int
    email: str
    first_name: str
    last_name: str
    user_admin: bool
    client_id: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime

    @property
    def admin(self) -> bool:
        """An admin caller: an admin user whose token carries ``rw:serverAdmin``."""
        return self.user_admin and ADMIN_SCOPE in self.scopes

    @property
    def issuers(self) -> frozenset[str] | None:
        return issuer_restriction(self.scopes)

    @property
    def v1_scopes(self) -> frozenset[str]:
        return v1_scopes(self.scopes)


async def find_access_token(session: AsyncSession, token: str) -> AccessGrant:
    """The grant behind ``token``; :class:`NotAuthenticated` when unknown, expired or revoked."""
    if not token.startswith(ACCESS_PREFIX) or len(token) > 200:
        raise NotAuthenticated("invalid token")
    row = (await session.execute(
        select(OAuthToken, User, OAuthClient.client_id)
        .join(User, User.id == OAuthToken.user_id).join(OAuthClient, OAuthClient.id == OAuthToken.client_id)
        .where(OAuthToken.access_hash == hash_secret(token)))).first()
    if row is None:
        raise NotAuthenticated("invalid token")
    tok, user, client_id = row
    if tok.revoked_at is not None:
        raise NotAuthenticated("token revoked")
    if aware(tok.expires_at) <= utcnow():
        raise NotAuthenticated("token expired")
    return AccessGrant(token_id=tok.id, user_id=user.id, email=user.email, first_name=user.first_name,
                       last_name=user.last_name, user_admin=user.admin, client_id=client_id,
                       scopes=tuple(tok.scope.split()), created_at=aware(tok.created_at),
                       expires_at=aware(tok.expires_at))


async def revoke_family(session: AsyncSession, family: str) -> None:
    """Revoke every token of a refresh family (a reused refresh token, or a revoked grant)."""
    await session.execute(update(OAuthToken).where(OAuthToken.family == family, OAuthToken.revoked_at.is_(None))
                          .values(revoked_at=utcnow()).execution_options(synchronize_session=False))
