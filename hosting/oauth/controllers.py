"""``/o/token``, ``/o/revoke_token`` and ``/o/authorize`` (server-rendered login and consent, CSRF-protected by
Litestar's CSRF middleware on that route only; no JavaScript).

The protocol is Authlib's (:mod:`hosting.oauth.server`); these handlers read the request, run it in a worker
thread and turn Authlib's ``(status, body, headers)`` into a response.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InsecureTransportError, InvalidRequestError
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Controller, MediaType, Request, Response, Router, get, post
from litestar.config.csrf import CSRFConfig
from litestar.di import NamedDependency, Provide
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.utils.scope.state import ScopeState
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.app.settings import Settings
from hosting.app.state import hosting_state
from hosting.lib.body import read_body
from hosting.lib.errors import InvalidInput, TooManyRequests
from hosting.oauth.accounts import LoginGuard
from hosting.oauth.scopes import DESCRIPTIONS
from hosting.oauth.server import (
    OAuthServer,
    ProtocolRequest,
    ProtocolResponse,
    call_db,
    run_protocol,
    user_by_email,
)
from hosting.storage.models import User

__all__ = ["csrf_middleware", "oauth_routers"]

_SERVER = OAuthServer()
_NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}
_AUTHORIZE_PARAMS = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
                     "code_challenge_method")
_HERE = Path(__file__).resolve().parent
# The consent page extends the public pages' layout (``_base.html`` of hosting/pages/templates), like the earners'.
_env = Environment(loader=FileSystemLoader([_HERE / "templates", _HERE.parent / "pages" / "templates"]),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def csrf_middleware(settings: Settings) -> DefineMiddleware:
    """Litestar's double-submit CSRF check (cookie + ``_csrf_token`` form field) for the consent form."""
    secret = hashlib.sha256(b"openbadges csrf\x00" + settings.secret_key.encode()).hexdigest()
    config = CSRFConfig(secret=secret, cookie_name="ob_csrf", cookie_path="/o/authorize", cookie_httponly=True,
                        cookie_secure=settings.base_url.startswith("https://"), cookie_samesite="strict")
    return DefineMiddleware(CSRFMiddleware, config=config)


def _protocol_request(request: Request[Any, Any, Any], form: dict[str, Any]) -> ProtocolRequest:
    settings = hosting_state(request).settings
    uri = settings.base_url + request.url.path
    if settings.oauth_allow_http and uri.startswith("http://"):  # the operator's explicit choice
        uri = "https://" + uri[len("http://"):]
    query = parse_qsl(request.url.query or "", keep_blank_values=True)
    fields = [(k, v) for k, v in form.items() if isinstance(v, str)]
    return ProtocolRequest(request.method, uri, request.headers, query, fields)


def _response(result: ProtocolResponse) -> Response[Any]:
    status, body, headers = result
    hdrs = {**_NO_STORE, **{name.lower(): value for name, value in headers}}
    if isinstance(body, dict):
        return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=hdrs)
    return Response(content=body or b"", status_code=status, headers=hdrs)


def _refused(exc: OAuth2Error) -> Response[Any]:
    return _response(cast(ProtocolResponse, exc()))


def _throttled(exc: TooManyRequests) -> Response[Any]:
    """Too many password attempts on the account: 429 with ``Retry-After`` and an RFC 6749 body."""
    return Response(content={"error": "invalid_grant", "error_description": exc.message}, status_code=429,
                    media_type=MediaType.JSON, headers={**_NO_STORE, "retry-after": str(exc.retry_after)})


async def _form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The form (or JSON) body; a malformed one is an RFC 6749 ``invalid_request``."""
    try:
        return await read_body(request)
    except InvalidInput as exc:
        text = "".join(c for c in exc.message if " " <= c <= "~" and c not in '"\\')  # RFC 6749's charset
        raise InvalidRequestError(text) from None


class TokenController(Controller):
    path = "/o"
    tags = ["oauth2"]  # noqa: RUF012 - Litestar reads these class attributes

    @post("/token", status_code=200, include_in_schema=True)
    async def token(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                    logins: NamedDependency[LoginGuard]) -> Response[Any]:
        """The token endpoint (RFC 6749): grants password, refresh_token, authorization_code, client_credentials;
        form-encoded. Errors are RFC 6749 JSON (``error``, ``error_description``); too many password attempts
        on one account answer 429 with ``Retry-After``."""
        try:
            form = await _form(request)
            req = _protocol_request(request, form)
        except (InsecureTransportError, InvalidRequestError) as exc:  # http on a public host: oauth_allow_http
            return _refused(exc)
        if form.get("grant_type") == "password":  # Argon2 before the (writing) transaction, off the event loop
            try:
                req.verified_user_id = await logins.verify(db_session, form.get("username"), form.get("password"))
            except TooManyRequests as exc:
                return _throttled(exc)
        return _response(await run_protocol(db_session, _SERVER.create_token_response, req))

    @post("/revoke_token", status_code=200)
    async def revoke(self, request: Request[Any, Any, Any],
                     db_session: NamedDependency[AsyncSession]) -> Response[Any]:
        """Token revocation (RFC 7009): ``token`` (+ ``token_type_hint``) and the client's credentials. A refresh
        token revokes its whole family; an unknown token answers 200 as the RFC says."""
        try:
            req = _protocol_request(request, await _form(request))
        except (InsecureTransportError, InvalidRequestError) as exc:
            return _refused(exc)
        return _response(await run_protocol(db_session, _SERVER.create_endpoint_response, "revocation", req))


def _render(status: int, redirect_to: str = "", **context: Any) -> Response[Any]:
    """The page; its CSP lets the form post here and follow the redirect to the client's registered URI only."""
    html = _env.get_template("authorize.html").render(**context)
    parts = urlsplit(redirect_to) if redirect_to else None
    target = f" {parts.scheme}://{parts.netloc}" if parts and parts.scheme in ("http", "https") else ""
    return Response(content=html, status_code=status, media_type=MediaType.HTML,
                    headers={**_NO_STORE, "x-frame-options": "DENY", "referrer-policy": "no-referrer",
                             "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                        f"form-action 'self'{target}; frame-ancestors 'none'"})


def _consent(req: ProtocolRequest) -> tuple[Any, OAuth2Error | None]:
    try:
        return _SERVER.get_consent_grant(req, end_user=None), None
    except OAuth2Error as exc:
        return None, exc


def _decide(req: ProtocolRequest, decision: str, username: str) -> tuple[ProtocolResponse | None, str | None]:
    """In the protocol thread: validate again, then authenticate and answer with Authlib's redirect."""
    grant, error = _consent(req)
    if error is not None:
        return None, _error_text(error)
    if decision != "approve":
        return _SERVER.create_authorization_response(req, grant_user=None, grant=grant), None
    user: User | None = call_db(user_by_email, username) if req.verified_user_id is not None else None
    if user is None or user.id != req.verified_user_id:
        return None, None
    req.user = user
    return _SERVER.create_authorization_response(req, grant_user=user, grant=grant), None


def _error_text(exc: OAuth2Error) -> str:
    return f"{exc.error}: {exc.description or 'the authorization request is not valid'}"


class AuthorizeController(Controller):
    path = "/o/authorize"
    tags = ["oauth2"]  # noqa: RUF012 - Litestar reads these class attributes
    include_in_schema = False

    def _page(self, request: Request[Any, Any, Any], grant: Any, req: ProtocolRequest, *, status: int = 200,
              login_error: str | None = None, username: str = "") -> Response[Any]:
        client = grant.client
        scopes = client.get_allowed_scope(req.payload.scope).split()
        params = [(name, req.payload.data[name]) for name in _AUTHORIZE_PARAMS if req.payload.data.get(name)]
        redirect_to = req.payload.redirect_uri or client.get_default_redirect_uri() or ""
        return _render(status, redirect_to, client_name=client.row.name or client.row.client_id,
                       scopes=[(s, DESCRIPTIONS.get(s if not s.startswith("rw:issuer:") else "rw:issuer:<id>", ""))
                               for s in scopes],
                       params=params, csrf_token=ScopeState.from_scope(request.scope).csrf_token,
                       action=urlsplit(str(request.url)).path, login_error=login_error, username=username)

    @get("/", media_type=MediaType.HTML)
    async def show(self, request: Request[Any, Any, Any],
                   db_session: NamedDependency[AsyncSession]) -> Response[Any]:
        """The login and consent page for an authorization request (``response_type=code``, PKCE S256)."""
        try:
            req = _protocol_request(request, {})
        except InsecureTransportError as exc:
            return _render(400, error=_error_text(exc))
        grant, error = await run_protocol(db_session, _consent, req)
        if error is not None:  # unknown client, wrong redirect URI …: said here, never redirected
            return _render(400, error=_error_text(error))
        return self._page(request, grant, req)

    @post("/", status_code=200, media_type=MediaType.HTML)
    async def decide(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                     logins: NamedDependency[LoginGuard]) -> Response[Any]:
        """The form's answer: ``decision=approve`` with the user's email and password, or ``decision=deny``."""
        form = await read_body(request)
        params = {k: form[k] for k in _AUTHORIZE_PARAMS if isinstance(form.get(k), str)}
        try:
            req = _protocol_request(request, params)
        except InsecureTransportError as exc:
            return _render(400, error=_error_text(exc))
        username, decision = str(form.get("username", "")), str(form.get("decision", ""))
        throttled: TooManyRequests | None = None
        if decision == "approve":
            try:
                req.verified_user_id = await logins.verify(db_session, username, form.get("password"))
            except TooManyRequests as exc:  # the page says so; no code is issued
                throttled = exc
        result, error = await run_protocol(db_session, _decide, req, decision, username)
        if error is not None:
            return _render(400, error=error)
        if result is None:
            grant, _ = await run_protocol(db_session, _consent, req)
            if throttled is not None:
                page = self._page(request, grant, req, status=429, login_error=throttled.message,
                                  username=username)
                page.headers["retry-after"] = str(throttled.retry_after)
                return page
            return self._page(request, grant, req, status=401, login_error="wrong email or password",
                              username=username)
        return _response(result)


def oauth_routers(settings: Settings) -> list[Router]:
    """The ``/o`` routes; the consent page's router carries the CSRF middleware (API clients posting to
    ``/o/token`` have no cookie to double-submit). Both check passwords through one :class:`LoginGuard`
    (injected as ``logins``), so an account's budget of attempts is shared by the two."""
    guard = LoginGuard(settings.oauth_login_attempts)

    def _logins() -> LoginGuard:
        return guard

    deps = {"logins": Provide(_logins, sync_to_thread=False)}
    return [Router(path="/", route_handlers=[TokenController], dependencies=deps),
            Router(path="/", route_handlers=[AuthorizeController], middleware=[csrf_middleware(settings)],
                   dependencies=deps)]
