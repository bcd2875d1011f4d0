"""Who calls the BadgeKit API: ``Authorization: JWT token="<jwt>"``, an HS256 JWT signed with a shared secret.

Claims (as BadgeKit's client libraries sign them): ``key`` names the secret; ``exp`` is required and at most
:data:`MAX_LIFETIME` seconds ahead; ``method`` and ``path`` (with the query string) must be the request's; for
POST and PUT, ``body`` = ``{"alg": "sha256", "hash": <hex sha256 of the raw body>}`` must match the body sent.
Secrets are stored encrypted with the app's :class:`~hosting.lib.crypto.KeyBox`. A key without a system (the
``master`` key) acts on every system; a system key only inside its own (:meth:`BadgeKitCaller.require_system`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.app.state import HostingState
from hosting.lib.crypto import KeyBox
from hosting.lib.db import immediate_transactions
from hosting.lib.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, NotPermitted
from hosting.storage.models import BadgeKitKey, Issuer

__all__ = ["MASTER_KEY", "MAX_LIFETIME", "BadgeKitCaller", "create_key", "is_badgekit_request", "provide_caller"]

MASTER_KEY = "master"  # the default key's name (every system): never a key bound to one system
MAX_LIFETIME = 600  # seconds: a token's exp may be at most this far ahead (BadgeKit clients use ~1 minute)
_LEEWAY = 30  # seconds of clock skew tolerated on exp
_HEADER = re.compile(r'^JWT\s+token="([^"]+)"$', re.IGNORECASE)
_KEY_NAME = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


@dataclass(frozen=True, slots=True)
class BadgeKitCaller:
    key: str
    system_id: int | None  # None: the key acts on every system

    def require_system(self, system: Issuer) -> None:
        """403 unless this key may act inside ``system``."""
        if self.system_id is not None and self.system_id != system.id:
            raise NotPermitted(f"key {self.key!r} may not act on system {system.slug!r}")

    def require_master(self, action: str) -> None:
        if self.system_id is not None:
            raise NotPermitted(f"key {self.key!r} is bound to one system: {action} needs a master key")


async def create_key(session: AsyncSession, keybox: KeyBox, name: str = MASTER_KEY,
                     system_slug: str | None = None) -> str:
    """Store a new key ``name`` (for every system, or only ``system_slug``'s) and return its secret. The name
    :data:`MASTER_KEY` (in any case) is kept for a key acting on every system."""
    if not _KEY_NAME.fullmatch(name):
        raise InvalidInput(f"invalid key name {name!r}", details=[
            {"field": "key", "message": "1-128 letters, digits, '.', '_' or '-'", "value": name}])
    if system_slug is not None and name.lower() == MASTER_KEY:
        raise InvalidInput(f"the key name {name!r} is reserved for a key acting on every system: give a key bound "
                           "to one system another name", details=[
            {"field": "key", "message": f"{MASTER_KEY!r} is reserved for a key acting on every system",
             "value": name}])
    system_id = None
    if system_slug is not None:
        system_id = await session.scalar(select(Issuer.id).where(Issuer.slug == system_slug,
                                                                Issuer.parent_id.is_(None)))
        if system_id is None:
            raise InvalidInput(f"no system {system_slug!r}", details=[
                {"field": "system", "message": "no such system", "value": system_slug}])
    if await session.scalar(select(BadgeKitKey.id).where(BadgeKitKey.name == name)) is not None:
        raise Conflict(f"a BadgeKit key named {name!r} exists")
    secret = secrets.token_urlsafe(32)
    session.add(BadgeKitKey(name=name, secret_encrypted=keybox.encrypt(secret.encode()), system_id=system_id))
    await session.flush()
    return secret


def is_badgekit_request(request: Request[Any, Any, Any]) -> bool:
    """Whether the request carries BadgeKit credentials (an ``Authorization: JWT …`` header), valid or not."""
    return request.headers.get("authorization", "").strip()[:4].upper() == "JWT "


def _token(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("authorization", "").strip()
    match = _HEADER.match(header)
    if match is None:
        raise NotAuthenticated('missing BadgeKit credentials (Authorization: JWT token="<jwt>")')
    return match.group(1)


def _request_path(request: Request[Any, Any, Any]) -> str:
    raw = request.scope.get("raw_path") or b""
    path = raw.decode("latin-1").split("?", 1)[0] if raw else request.scope["path"]
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"{path}?{query}" if query else path


def _check_claims(claims: dict[str, Any], request: Request[Any, Any, Any], raw_body: bytes) -> None:
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp > time.time() + MAX_LIFETIME + _LEEWAY:
        raise NotAuthenticated(f"the token's exp must be at most {MAX_LIFETIME} seconds ahead")
    if str(claims.get("method", "")).upper() != request.method.upper():
        raise NotAuthenticated("the token's method does not match the request")
    if claims.get("path") != _request_path(request):
        raise NotAuthenticated("the token's path does not match the request")
    if request.method.upper() in ("POST", "PUT"):
        body = claims.get("body")
        if not isinstance(body, dict) or body.get("alg") != "sha256" or not isinstance(body.get("hash"), str):
            raise NotAuthenticated('the token lacks the body claim {"alg": "sha256", "hash": …}')
        if not hmac.compare_digest(body["hash"].lower().encode(), hashlib.sha256(raw_body).hexdigest().encode()):
            raise NotAuthenticated("the token's body hash does not match the request body")


async def provide_caller(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                         hosting: NamedDependency[HostingState]) -> BadgeKitCaller:
    """Litestar dependency: 401 unless the request carries a valid BadgeKit JWT for it."""
    token = _token(request)
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise NotAuthenticated("malformed JWT") from exc
    name = unverified.get("key") if isinstance(unverified, dict) else None
    if not isinstance(name, str) or not name:
        raise NotAuthenticated("the token has no key claim")
    if not _KEY_NAME.fullmatch(name):  # names no key: not looked up (PostgreSQL refuses a NUL in text)
        raise NotAuthenticated("unknown key")
    with immediate_transactions(False):  # a plain read, ended before the handler's (writing) transaction
        row = (await db_session.execute(
            select(BadgeKitKey.secret_encrypted, BadgeKitKey.system_id, Issuer.slug)
            .outerjoin(Issuer, Issuer.id == BadgeKitKey.system_id).where(BadgeKitKey.name == name))).first()
    await db_session.rollback()
    if row is None:
        raise NotAuthenticated("unknown key")
    secret = hosting.keybox.decrypt(row[0]).decode()
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], leeway=_LEEWAY,
                            options={"require": ["exp"], "verify_aud": False})
    except jwt.ExpiredSignatureError as exc:
        raise NotAuthenticated("the token has expired") from exc
    except jwt.PyJWTError as exc:
        raise NotAuthenticated(f"invalid token: {exc}") from exc
    _check_claims(claims, request, await request.body())
    _refuse_nul(request)
    caller = BadgeKitCaller(key=name, system_id=row[1])
    _refuse_other_system(request, caller, row[2])
    return caller


def _refuse_other_system(request: Request[Any, Any, Any], caller: BadgeKitCaller, own_slug: str | None) -> None:
    """403 at once when a key bound to a system names another one (in the path, or ``?system=``): before the body
    is read or checked, an image fetched, or the system looked up (whether it exists is not told)."""
    named = request.path_params.get("system_slug") or request.query_params.get("system")
    if caller.system_id is not None and named is not None and named != own_slug:
        raise NotPermitted(f"key {caller.key!r} may not act on system {named!r}")


def _refuse_nul(request: Request[Any, Any, Any]) -> None:
    """Nothing is named with a NUL character (PostgreSQL refuses one in text): in a path value 404, in a query
    value 400 — checked once here, after authentication, for every BadgeKit route."""
    if any("\x00" in str(value) for value in request.path_params.values()):
        raise NotFound("no resource is named with a NUL character")
    for field, value in request.query_params.multi_items():
        if "\x00" in value:
            raise InvalidInput(f"{field} contains a NUL character", details=[
                {"field": field, "message": "must not contain NUL characters", "value": value.replace("\x00", "\\0")}])
