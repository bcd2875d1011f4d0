"""``/v2/users/self`` (the token's user) and ``/v2/auth/tokens`` (the user's live access tokens)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from sqlalchemy import select

from hosting.badgr.auth import BadgrCall
from hosting.badgr.envelope import envelope, ok
from hosting.badgr.views import user_entity
from hosting.lib.times import iso
from hosting.storage.models import OAuthClient, OAuthToken, User, utcnow

__all__ = ["ROUTE_HANDLERS"]

_PROFILE = {"badgr_scope": "profile"}


class UsersController(Controller):
    path = "/"
    opt = _PROFILE

    @get("/users/self")
    async def me(self, v2: NamedDependency[BadgrCall]) -> Response[Any]:
        """The token's user (``r:profile`` or ``rw:profile``)."""
        user = await v2.session.get_one(User, v2.caller.grant.user_id)
        return ok(user_entity(user))

    @get("/auth/tokens")
    async def tokens(self, v2: NamedDependency[BadgrCall]) -> Response[Any]:
        """The user's unexpired, unrevoked access tokens (never their values)."""
        rows = (await v2.session.execute(
            select(OAuthToken, OAuthClient).join(OAuthClient, OAuthClient.id == OAuthToken.client_id)
            .where(OAuthToken.user_id == v2.caller.grant.user_id, OAuthToken.revoked_at.is_(None),
                   OAuthToken.expires_at > utcnow()).order_by(OAuthToken.created_at.desc()).limit(500))).all()
        return envelope([{"entityType": "AccessToken", "entityId": token.family,
                          "application": {"name": client.name or client.client_id, "clientId": client.client_id},
                          "scope": token.scope, "created": iso(token.created_at), "expires": iso(token.expires_at)}
                         for token, client in rows])


ROUTE_HANDLERS: list[Any] = [UsersController]
