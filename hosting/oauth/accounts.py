"""User accounts (Argon2id passwords through argon2-cffi) and OAuth2 client registration.

Password hashing costs tens of milliseconds of CPU: :func:`verify_login` runs it in a worker thread, outside any
database transaction. :class:`LoginGuard` limits the password attempts on one account.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.lib.body import EMAIL_ADDRESS, normalise_email
from hosting.lib.db import immediate_transactions
from hosting.lib.errors import Conflict, InvalidInput
from hosting.lib.ratelimit import RateLimiter
from hosting.oauth.scopes import GRANT_TYPES, parse_scopes
from hosting.storage.models import OAuthClient, User, utcnow

__all__ = ["LOGIN_WINDOW_SECONDS", "LoginGuard", "NewClient", "check_password", "client_secret_matches", "create_client", "create_user",
           "hash_password", "hash_secret", "verify_login"]

_HASHER = PasswordHasher()  # Argon2id with argon2-cffi's current RFC 9106 low-memory defaults
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")
MIN_PASSWORD = 8
# Verified against when the email is unknown, so a failed login costs the same whether or not the user exists.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    """True if ``password`` matches (constant work when ``password_hash`` is ``None``: an unknown user)."""
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def hash_secret(secret: str) -> str:
    """SHA-256 of a high-entropy secret (client secret, token, code): what the database keeps."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def client_secret_matches(client: OAuthClient, secret: str) -> bool:
    return client.secret_hash is not None and hmac.compare_digest(client.secret_hash, hash_secret(secret))


async def verify_login(session: AsyncSession, email: Any, password: Any) -> int | None:
    """The id of the user ``email``/``password`` names, else ``None``. The hash is read in a short read-only
    transaction, ended before the Argon2 check (which runs in a worker thread): on SQLite no write lock is
    held while hashing, so logins do not stall other writers."""
    if not isinstance(email, str) or not isinstance(password, str) or len(email) > 320:
        return None
    with immediate_transactions(False):
        row = (await session.execute(select(User.id, User.password_hash)
                                     .where(User.email == normalise_email(email)))).first()
    await session.rollback()
    ok = await anyio.to_thread.run_sync(check_password, row.password_hash if row else None, password)
    return row.id if ok and row is not None else None


LOGIN_WINDOW_SECONDS = 15 * 60


class LoginGuard:
    """At most ``limit`` password attempts per account (the email given, normalised) in a window of 15 minutes,
    per process; a successful login gives the account a fresh budget. Over the limit every password login of
    that account, the right password included, raises :class:`TooManyRequests` (429 with ``Retry-After``) until
    the window ends, before any hashing. An unknown email counts like a known one (no hint that it exists).

    Each attempt is counted *before* its (slow) check, so a burst of concurrent guesses cannot all pass.
    """

    def __init__(self, limit: int, *, window: float = LOGIN_WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._attempts = RateLimiter(limit, window=window, clock=clock)

    async def verify(self, session: AsyncSession, email: Any, password: Any) -> int | None:
        """:func:`verify_login` within the account's budget."""
        key = normalise_email(email) if isinstance(email, str) else ""
        self._attempts.hit(key, "password attempts for this account")
        user_id = await verify_login(session, email, password)
        if user_id is not None:
            self._attempts.forget(key)
        return user_id


async def create_user(session: AsyncSession, email: str, password: str, *, first_name: str = "",
                      last_name: str = "", admin: bool = False) -> User:
    """Store a user (409 if the email, compared case-insensitively, is taken)."""
    email = normalise_email(email)
    if not EMAIL_ADDRESS.match(email) or len(email) > 320:
        raise InvalidInput(f"not an email address: {email!r}")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password needs at least {MIN_PASSWORD} characters")
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email} exists")
    user = User(email=email, password_hash=hash_password(password), first_name=first_name.strip(),
                last_name=last_name.strip(), admin=admin, created_at=utcnow())
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a user with email {email} exists") from exc
    return user


def _check_redirect_uri(uri: str) -> None:
    """https, or http on a loopback host (RFC 8252 native apps); absolute, without a fragment."""
    try:
        parts = urlsplit(uri)
        loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    except ValueError:
        parts, loopback = None, False
    if parts is None or not parts.hostname or parts.fragment or len(uri) > 2048 or any(c.isspace() for c in uri) \
            or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise InvalidInput(f"redirect URI {uri!r}: an absolute https URL (http only on localhost), no fragment")


@dataclass(frozen=True, slots=True)
class NewClient:
    client: OAuthClient
    secret: str | None  # the plaintext secret of a confidential client: shown once


async def create_client(session: AsyncSession, client_id: str, *, public: bool = False,
                        redirect_uris: Iterable[str] = (), scopes: str = "rw:issuer rw:profile",
                        grant_types: Iterable[str] = ("password", "refresh_token"), user_email: str | None = None,
                        name: str = "") -> NewClient:
    """Register a client; a confidential one gets a random secret (stored hashed, returned once)."""
    if not _CLIENT_ID.match(client_id):
        raise InvalidInput("client id: 1-128 of A-Z a-z 0-9 . _ ~ -")
    grants = list(dict.fromkeys(g.strip() for g in grant_types if g.strip()))
    unknown = [g for g in grants if g not in GRANT_TYPES]
    if unknown or not grants:
        raise InvalidInput(f"grant types: one or more of {', '.join(GRANT_TYPES)} (got {', '.join(unknown)})")
    uris = list(dict.fromkeys(redirect_uris))
    for uri in uris:
        _check_redirect_uri(uri)
    if "authorization_code" in grants and not uris:
        raise InvalidInput("the authorization_code grant needs at least one --redirect-uri")
    if public and "client_credentials" in grants:
        raise InvalidInput("a public client cannot use client_credentials (it has no secret)")
    user_id = None
    if "client_credentials" in grants:
        if not user_email:
            raise InvalidInput("client_credentials tokens act for a user: give --user EMAIL")
        user_id = await session.scalar(select(User.id).where(User.email == normalise_email(user_email)))
        if user_id is None:
            raise InvalidInput(f"no user {user_email}")
    if await session.scalar(select(OAuthClient.id).where(OAuthClient.client_id == client_id)) is not None:
        raise Conflict(f"a client with id {client_id} exists")
    secret = None if public else secrets.token_urlsafe(32)
    client = OAuthClient(client_id=client_id, secret_hash=hash_secret(secret) if secret else None, name=name,
                         redirect_uris=uris, scopes=parse_scopes(scopes, allow_templates=True),
                         grant_types=grants, user_id=user_id, created_at=utcnow())
    session.add(client)
    await session.flush()
    return NewClient(client, secret)
