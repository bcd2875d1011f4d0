"""The OAuth2 authorization server: Authlib's protocol code, bound to Litestar and to the database.

Authlib's server and grant classes are synchronous and framework-neutral. Each protocol call runs in a worker
thread (:func:`run_protocol`, ``anyio.to_thread.run_sync``); the grants' storage hooks call back into the event
loop with ``anyio.from_thread.run`` and use the request's own ``AsyncSession`` (the request handler is suspended
meanwhile, so the session is never used by two tasks at once). So every grant runs inside the request's
transaction and commits with it. (The alternative, pre-loading what a grant needs, would duplicate Authlib's
decisions about what that is.) One thing is done before, by the handler: the password check
(:func:`hosting.oauth.accounts.verify_login`: Argon2 in a worker thread, outside any transaction, so SQLite's
write lock is never held while hashing); the grant then only compares user ids.

Grants: ``password`` (Badgr's own clients), ``refresh_token`` (rotating; a reused refresh token revokes its
whole family), ``authorization_code`` (PKCE S256 required of public clients; codes single use, a replayed code revokes what
it gave) and
``client_credentials`` (acting for the client's registered user). Revocation: RFC 7009.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable, Coroutine, Mapping, Sequence
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, TypeVar, cast

import anyio
from authlib.oauth2 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Payload, TokenMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc6749.models import AuthorizationCodeMixin
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.lib.body import normalise_email
from hosting.lib.times import aware
from hosting.oauth.accounts import client_secret_matches, hash_secret
from hosting.oauth.scopes import ADMIN_SCOPE, allowed_by_client, is_valid_scope
from hosting.oauth.tokens import ACCESS_TTL, REFRESH_TTL, new_access_token, new_refresh_token, revoke_family
from hosting.storage.models import OAuthClient, OAuthCode, OAuthToken, User, utcnow

__all__ = ["CODE_TTL", "OAuthServer", "ProtocolRequest", "ProtocolResponse", "call_db", "run_protocol", "user_by_email"]

T = TypeVar("T")
CODE_TTL = 600
ProtocolResponse = tuple[int, Any, list[tuple[str, str]]]
_SESSION: ContextVar[AsyncSession] = ContextVar("openbadges_oauth_session")


def call_db(fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    """From a protocol thread: run ``fn(session, *args)`` on the event loop with the request's session."""
    return anyio.from_thread.run(fn, _SESSION.get(), *args)


async def run_protocol(session: AsyncSession, fn: Callable[..., T], *args: Any) -> T:
    """Run an Authlib call in a worker thread, its storage hooks using ``session`` (see the module doc)."""
    def _call() -> T:
        token = _SESSION.set(session)
        try:
            return fn(*args)
        finally:
            _SESSION.reset(token)

    return await anyio.to_thread.run_sync(_call)


# --- Authlib's models over our rows ------------------------------------------------------------------------

class _Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, row: OAuthClient) -> None:
        self.row = row

    @property
    def public(self) -> bool:
        return self.row.secret_hash is None

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.row.redirect_uris[0] if self.row.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:  # none asked for: the client's registered scopes, without the admin one
            return " ".join(s for s in self.row.scopes if s != ADMIN_SCOPE)
        return " ".join(s for s in scope_to_list(scope) if allowed_by_client(s, self.row.scopes))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris  # exact match, never a prefix

    def check_client_secret(self, client_secret: str) -> bool:
        return client_secret_matches(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.row.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.row.grant_types


class _Token(TokenMixin):  # type: ignore[misc]
    def __init__(self, row: OAuthToken) -> None:
        self.row = row

    def check_client(self, client: _Client) -> bool:
        return bool(self.row.client_id == client.row.id)

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return ACCESS_TTL

    def is_expired(self) -> bool:
        return aware(self.row.expires_at) <= utcnow()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None


class _Code(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, row: OAuthCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


# --- storage, on the event loop ------------------------------------------------------------------------------

async def _load_client(session: AsyncSession, client_id: str) -> OAuthClient | None:
    if not isinstance(client_id, str) or len(client_id) > 128:
        return None
    return await session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))


async def _load_user(session: AsyncSession, user_id: int | None) -> User | None:
    return None if user_id is None else await session.get(User, user_id)


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    if not isinstance(email, str) or len(email) > 320:
        return None
    return await session.scalar(select(User).where(User.email == normalise_email(email)))


async def _save_token(session: AsyncSession, token: Mapping[str, Any], client: OAuthClient, user: User,
                      family: str | None) -> None:
    now = utcnow()
    refresh = token.get("refresh_token")
    session.add(OAuthToken(
        access_hash=hash_secret(token["access_token"]), refresh_hash=hash_secret(refresh) if refresh else None,
        family=family or secrets.token_hex(16), client_id=client.id, user_id=user.id, scope=token.get("scope", ""),
        created_at=now, expires_at=now + timedelta(seconds=int(token["expires_in"])),
        refresh_expires_at=now + timedelta(seconds=REFRESH_TTL) if refresh else None))
    await session.flush()


async def _find_token(session: AsyncSession, token: str, column: str) -> OAuthToken | None:
    if not isinstance(token, str) or len(token) > 200:
        return None
    return await session.scalar(select(OAuthToken).where(getattr(OAuthToken, column) == hash_secret(token)))


async def _claim_refresh(session: AsyncSession, row: OAuthToken) -> bool:
    """Mark the refresh token used, once: of two concurrent refreshes with one token, only one wins."""
    now = utcnow()
    result = cast(CursorResult[Any], await session.execute(
        update(OAuthToken).where(OAuthToken.id == row.id, OAuthToken.rotated_at.is_(None),
                                 OAuthToken.revoked_at.is_(None))
        .values(rotated_at=now, revoked_at=now).execution_options(synchronize_session=False)))
    return result.rowcount == 1


async def _revoke(session: AsyncSession, row: OAuthToken, whole_family: bool) -> None:
    if whole_family:
        await revoke_family(session, row.family)
    else:
        await session.execute(update(OAuthToken).where(OAuthToken.id == row.id, OAuthToken.revoked_at.is_(None))
                              .values(revoked_at=utcnow()).execution_options(synchronize_session=False))


async def _save_code(session: AsyncSession, code: str, client: OAuthClient, user: User, redirect_uri: str,
                     scope: str, challenge: str | None, method: str | None) -> None:
    now = utcnow()
    session.add(OAuthCode(code_hash=hash_secret(code), client_id=client.id, user_id=user.id,
                          redirect_uri=redirect_uri or "", scope=scope or "", code_challenge=challenge,
                          code_challenge_method=method, family=secrets.token_hex(16), created_at=now,
                          expires_at=now + timedelta(seconds=CODE_TTL)))
    await session.flush()


async def _claim_code(session: AsyncSession, code: str, client: OAuthClient) -> OAuthCode | None:
    """The code's row, marked used as it is read: single use even when the exchange then fails (PKCE, redirect
    URI). A code presented again by its client revokes the tokens its first exchange made. Presented by another
    client it is refused and left as it was: a client that learnt someone else's code can neither burn it nor
    revoke what it gave."""
    if not isinstance(code, str) or len(code) > 200:
        return None
    row = await session.scalar(select(OAuthCode).where(OAuthCode.code_hash == hash_secret(code)))
    if row is None or row.client_id != client.id:
        return None
    result = cast(CursorResult[Any], await session.execute(
        update(OAuthCode).where(OAuthCode.id == row.id, OAuthCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False)))
    if result.rowcount != 1:  # replayed
        await revoke_family(session, row.family)
        return None
    if aware(row.expires_at) <= utcnow():
        return None
    return row


# --- grants ----------------------------------------------------------------------------------------------

_AUTH_ANY = ["client_secret_basic", "client_secret_post", "none"]


def _grantable(scopes: Sequence[str], client: OAuthClient, user: User | None) -> list[str]:
    """The ``scopes`` this client may be granted for this user: those it is registered for, and
    ``rw:serverAdmin`` only for an admin user."""
    admin = user is not None and user.admin
    return [s for s in scopes if allowed_by_client(s, client.scopes) and (s != ADMIN_SCOPE or admin)]


class _PasswordGrant(grants.ResourceOwnerPasswordCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = _AUTH_ANY  # Badgr's own front end is a public client

    def validate_token_request(self) -> None:
        try:
            super().validate_token_request()
        except InvalidRequestError as exc:  # RFC 6749 5.2 (and Badgr): wrong credentials are invalid_grant
            if exc.description and exc.description.startswith("Invalid 'username'"):
                raise InvalidGrantError("wrong email or password") from None
            raise

    def authenticate_user(self, username: str, password: str) -> User | None:
        # The password was checked before the protocol ran (``verify_login``: Argon2 outside the transaction).
        verified = getattr(self.request, "verified_user_id", None)
        user = call_db(user_by_email, username) if verified is not None else None
        return user if user is not None and user.id == verified else None


class _RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = _AUTH_ANY
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh answers a new refresh token

    def authenticate_refresh_token(self, refresh_token: str) -> _Token | None:
        row = call_db(_find_token, refresh_token, "refresh_hash")
        if row is None:
            return None
        if row.rotated_at is not None:  # a used refresh token again: stolen, or replayed; end the family
            call_db(revoke_family, row.family)
            return None
        if row.revoked_at is not None or row.refresh_expires_at is None \
                or aware(row.refresh_expires_at) <= utcnow():
            return None
        return _Token(row)

    def create_token_response(self) -> ProtocolResponse:
        token = cast(_Token, self.request.refresh_token)
        if not call_db(_claim_refresh, token.row):  # lost a race to a concurrent refresh with the same token
            call_db(revoke_family, token.row.family)
            raise InvalidGrantError("refresh token already used")
        self.request.family = token.row.family
        return cast(ProtocolResponse, super().create_token_response())

    def _validate_token_scope(self, token: _Token) -> None:
        # Badgr clients send their login's scope again with every refresh. What this client or user can never
        # be granted was dropped from that login's token (see ``_grantable``), so it is dropped here too before
        # RFC 6749's rule: nothing beyond the scope originally granted, and something of it.
        asked = scope_to_list(self.request.payload.scope)
        if not asked:
            return
        client = cast(_Client, self.request.client)
        wanted = _grantable(asked, client.row, call_db(_load_user, token.row.user_id))
        if not wanted or not set(wanted) <= set(scope_to_list(token.get_scope()) or ()):
            raise InvalidScopeError()

    def authenticate_user(self, refresh_token: _Token) -> User | None:
        return call_db(_load_user, refresh_token.row.user_id)

    def revoke_old_credential(self, refresh_token: _Token) -> None:
        return None  # done by the claim in create_token_response, before the new token was made


class _AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = _AUTH_ANY

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        scope = request.client.get_allowed_scope(request.payload.scope)  # what the client may ask for, no more
        call_db(_save_code, code, request.client.row, request.user, request.payload.redirect_uri, scope,
            data.get("code_challenge"), data.get("code_challenge_method"))

    def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
        row = call_db(_claim_code, code, client.row)
        if row is None:
            return None
        self.request.family = row.family  # the tokens join the code's family (revoked if the code is replayed)
        return _Code(row)

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        return None  # marked used when it was read (kept: a replay must find it)

    def authenticate_user(self, authorization_code: _Code) -> User | None:
        return call_db(_load_user, authorization_code.row.user_id)


class _S256Only(CodeChallenge):  # type: ignore[misc]
    SUPPORTED_CODE_CHALLENGE_METHOD = ("S256",)
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"


class _ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


class _Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = _AUTH_ANY

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Token | None:
        order = ("refresh_hash", "access_hash") if token_type_hint == "refresh_token" \
            else ("access_hash", "refresh_hash")
        for column in order:
            row = call_db(_find_token, token_string, column)
            if row is not None:
                return _Token(row)
        return None

    def revoke_token(self, token: _Token, request: OAuth2Request) -> None:
        # A refresh token ends its whole family; an access token only itself.
        is_refresh = token.row.refresh_hash == hash_secret(request.form.get("token", ""))
        call_db(_revoke, token.row, is_refresh)


# --- the server ----------------------------------------------------------------------------------------------

class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        self._data = dict(items)
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in items:
            self._datalist[key].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class ProtocolRequest(OAuth2Request):  # type: ignore[misc]
    """A request as Authlib reads it, built from what the Litestar handler has already read."""

    def __init__(self, method: str, uri: str, headers: Mapping[str, str], query: Sequence[tuple[str, str]],
                 form: Sequence[tuple[str, str]]) -> None:
        super().__init__(method, uri, headers=headers)  # case-insensitive (Litestar's Headers)
        self._query = dict(query)
        self._form = dict(form)
        self.payload = _Payload([*query, *form])
        self.family: str | None = None
        self.verified_user_id: int | None = None  # set by the handler after checking a password

    @property
    def args(self) -> dict[str, str]:
        return self._query

    @property
    def form(self) -> dict[str, str]:
        return self._form


class OAuthServer(AuthorizationServer):  # type: ignore[misc]
    """Authlib's :class:`AuthorizationServer` with our storage; ``handle_response`` returns the triple."""

    def __init__(self) -> None:
        super().__init__(scopes_supported=None)
        self.register_token_generator("default", self._generate)
        self.register_grant(_PasswordGrant)
        self.register_grant(_RefreshTokenGrant)
        self.register_grant(_AuthorizationCodeGrant, [_S256Only(required=True)])
        self.register_grant(_ClientCredentialsGrant)
        self.register_endpoint(_Revocation)

    def query_client(self, client_id: str) -> _Client | None:
        row = call_db(_load_client, client_id)
        return None if row is None else _Client(row)

    def save_token(self, token: dict[str, Any], request: ProtocolRequest) -> None:
        client = cast(_Client, request.client)
        user = request.user
        if user is None:  # client_credentials: the client's registered user
            user = call_db(_load_user, client.row.user_id)
            if user is None:
                raise InvalidGrantError("this client acts for no user")
        call_db(_save_token, token, client.row, user, request.family)

    def validate_requested_scope(self, scope: str | None) -> None:
        if scope and not all(is_valid_scope(s) for s in scope_to_list(scope)):
            raise InvalidScopeError()

    def create_oauth2_request(self, request: ProtocolRequest) -> ProtocolRequest:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> ProtocolResponse:
        return status, body, list(headers or [])

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def _generate(self, grant_type: str, client: _Client, user: User | None = None, scope: str | None = None,
                  expires_in: int | None = None, include_refresh_token: bool = True) -> dict[str, Any]:
        # Only what the client is registered for (Authlib's own BearerTokenGenerator does this step too).
        if user is None and grant_type == "client_credentials":
            user = call_db(_load_user, client.row.user_id)
        scopes = _grantable(scope_to_list(client.get_allowed_scope(scope)) or [], client.row, user)
        token: dict[str, Any] = {"token_type": "Bearer", "access_token": new_access_token(),
                                 "expires_in": expires_in or ACCESS_TTL, "scope": " ".join(scopes)}
        if include_refresh_token:
            token["refresh_token"] = new_refresh_token()
        return token
