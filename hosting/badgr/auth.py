"""Who calls ``/v2``: an OAuth2 access token (``Authorization: Bearer oba_…``), and the scope each route needs.

Routes declare ``opt={"badgr_scope": "issuer" | "profile" | "issuer:create"}``; the dependency checks it once:
``issuer`` needs ``rw:issuer``, some ``rw:issuer:<id>`` or ``rw:serverAdmin`` (an admin user); which issuers a
``rw:issuer:<id>`` token reaches is then enforced by :func:`hosting.api.lookup.find_issuer` through the
principal's ``issuers``. ``issuer:create`` needs an unrestricted issuer scope; ``profile`` ``r:profile`` or
``rw:profile``. A route that declares nothing is refused (fails closed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.auth import Principal
from hosting.app.state import HostingState
from hosting.lib.db import immediate_transactions
from hosting.lib.errors import NotAuthenticated, NotPermitted
from hosting.oauth.scopes import ISSUER_SCOPE, PROFILE_SCOPES
from hosting.oauth.tokens import AccessGrant, find_access_token
from hosting.storage.store import HostingStore

__all__ = ["BadgrCall", "BadgrCaller", "provide_call", "provide_caller"]


@dataclass(frozen=True, slots=True)
class BadgrCaller:
    grant: AccessGrant
    principal: Principal  # for the shared lookups (roles, the rw:issuer:<id> restriction)


def _has_issuer_scope(grant: AccessGrant) -> bool:
    return grant.admin or any(s == ISSUER_SCOPE or s.startswith(ISSUER_SCOPE + ":") for s in grant.scopes)


def _check(grant: AccessGrant, needed: str | None) -> None:
    if needed == "profile":
        ok = any(s in grant.scopes for s in PROFILE_SCOPES)
        wanted = "r:profile or rw:profile"
    elif needed == "issuer":
        ok, wanted = _has_issuer_scope(grant), "rw:issuer (or rw:issuer:<entityId>)"
    elif needed == "issuer:create":
        ok, wanted = grant.admin or ISSUER_SCOPE in grant.scopes, "rw:issuer"
    else:
        ok, wanted = False, "a scope this route does not declare"
    if not ok:
        raise NotPermitted(f"this token's scope ({' '.join(grant.scopes) or 'none'}) lacks {wanted}", details=[
            {"field": "scope", "message": f"needs {wanted}", "value": None}])


async def provide_caller(request: Request[Any, Any, Any],
                         db_session: NamedDependency[AsyncSession]) -> BadgrCaller:
    """Litestar dependency: 401 without a valid, unexpired, unrevoked access token; 403 without the scope."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticated("missing bearer token (Authorization: Bearer <access token from /o/token>)")
    with immediate_transactions(False):  # a plain read, ended before the handler's (writing) transaction
        grant = await find_access_token(db_session, token)
    await db_session.rollback()
    _check(grant, request.route_handler.opt.get("badgr_scope"))
    principal = Principal(email=grant.email, scopes=grant.v1_scopes, admin=grant.admin, issuers=grant.issuers)
    return BadgrCaller(grant=grant, principal=principal)


@dataclass(frozen=True, slots=True)
class BadgrCall:
    """What a ``/v2`` handler works with, injected once as ``v2``: the caller (authenticated, scope checked),
    the request's database session, the app's state and the store on that session."""

    caller: BadgrCaller
    session: AsyncSession
    hosting: HostingState
    store: HostingStore

    @property
    def principal(self) -> Principal:
        return self.caller.principal


def provide_call(caller: NamedDependency[BadgrCaller], db_session: NamedDependency[AsyncSession],
                 hosting: NamedDependency[HostingState], store: NamedDependency[HostingStore]) -> BadgrCall:
    """Litestar dependency ``v2`` (see :class:`BadgrCall`)."""
    return BadgrCall(caller=caller, session=db_session, hosting=hosting, store=store)
