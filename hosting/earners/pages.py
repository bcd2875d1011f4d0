"""The earner's public pages: ``/accept/{token}`` (accept or reject a pending assertion) and
``/claim/{badge}/{code}`` (claim a badge with a claim code of that badge class; codes are unique per badge class,
see :mod:`hosting.earners.codes`). Server-rendered forms that work without JavaScript.

``/claim/{code}`` is the legacy form of the claim page, for links sent when codes were server-wide: it finds the
code by :func:`hosting.earners.codes.find_legacy_code` (the one live code of that text, else the oldest one).

Every form POST is CSRF-protected by Litestar's ``CSRFMiddleware`` on this router only (a signed double-submit
token: the cookie set by the GET must match the form's ``_csrf_token``); the ``/v1`` API and the public
documents are untouched by it. Errors answer HTML pages (404 unknown, 410 used or expired, 403 a failed CSRF
check, 429 over the rate limit with ``Retry-After``). Both pages are rate-limited per client IP, claims also
per code (:mod:`hosting.lib.ratelimit`, per process) — per stored code, so the legacy and the new URL of one code
share its budget and another badge's code of the same text has its own.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from litestar import Controller, Request, Response, Router, get, post
from litestar.config.csrf import CSRFConfig
from litestar.di import NamedDependency, Provide
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.params import FromPath
from litestar.utils.scope.state import ScopeState
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.app.settings import Settings
from hosting.app.state import hosting_state
from hosting.earners.awards import claim_badge
from hosting.earners.codes import find_code, find_legacy_code, usable_problem
from hosting.earners.render import page, page_error_handlers, when
from hosting.lib.body import FieldErrors, read_body
from hosting.lib.errors import Gone, InvalidInput, NotFound
from hosting.lib.ratelimit import RateLimiter
from hosting.storage.models import BadgeClass, ClaimCode, Issuer
from hosting.storage.store import HostingStore

__all__ = ["CSRF_COOKIE", "earner_router"]

CSRF_COOKIE = "ob_csrf"
_DECISIONS = {"accept": "accept", "reject": "reject"}


@dataclass(frozen=True, slots=True)
class EarnerLimits:
    per_ip: RateLimiter
    per_code: RateLimiter


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _csrf(request: Request[Any, Any, Any]) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


async def _badge_and_issuer(session: AsyncSession, badge_id: int) -> tuple[BadgeClass, Issuer]:
    badge = await session.get_one(BadgeClass, badge_id)
    return badge, await session.get_one(Issuer, badge.issuer_id)


def _badge_view(request: Request[Any, Any, Any], badge: BadgeClass, issuer: Issuer) -> dict[str, Any]:
    urls = hosting_state(request).urls
    return {"badge": badge, "issuer": issuer, "image_url": urls.badge_image(badge.public_id),
            "image_alt": badge.image_alt_text or f"Badge image: {badge.name}"}


class EarnerPages(Controller):
    tags = ["earner pages"]  # noqa: RUF012 - Litestar reads these class attributes

    @get("/accept/{token:str}", summary="Accept page of a pending assertion (HTML)")
    async def accept_page(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                          limits: NamedDependency[EarnerLimits], token: FromPath[str]) -> Response[bytes]:
        """The badge offered (name, image, issuer, issue date) and a form to accept or reject it. 404 for an
        unknown link, 410 for a used or expired one."""
        limits.per_ip.hit(_client(request))
        found = await hosting_state(request).accept_links.find(db_session, token)
        assertion = found.assertion
        badge, issuer = await _badge_and_issuer(db_session, assertion.badge_class_id)
        return page(request, "accept.html", csrf_token=_csrf(request), issued=when(assertion.issued_on),
                    recipient_name=assertion.recipient_name or "", action=request.url.path,
                    **_badge_view(request, badge, issuer))

    @post("/accept/{token:str}", status_code=200, summary="Answer a pending assertion (form post)")
    async def answer(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                     limits: NamedDependency[EarnerLimits], token: FromPath[str]) -> Response[bytes]:
        """``decision`` = ``accept`` (publishes it at once; ``show_name`` opts in to showing the recorded name)
        or ``reject`` (unpublished for good). The link is used up either way."""
        limits.per_ip.hit(_client(request))
        data = await read_body(request)
        decision = _DECISIONS.get(str(data.get("decision", "")))
        if decision is None:
            raise InvalidInput("choose Accept or Reject")
        show_name = str(data.get("show_name", "")).lower() in ("on", "true", "1", "yes")
        assertion = await hosting_state(request).accept_links.answer(db_session, token, decision, show_name=show_name)
        badge, issuer = await _badge_and_issuer(db_session, assertion.badge_class_id)
        urls = hosting_state(request).urls
        public_url = urls.credential(assertion.public_id) if assertion.format == "ob3" else \
            urls.assertion(assertion.public_id)
        return page(request, "answered.html", accepted=decision == "accept", public_url=public_url,
                    show_name=assertion.recipient_name_shown, **_badge_view(request, badge, issuer))

    @get("/claim/{badge_id:str}/{code:str}", summary="Claim page of a claim code (HTML)")
    async def claim_page(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                         limits: NamedDependency[EarnerLimits], badge_id: FromPath[str],
                         code: FromPath[str]) -> Response[bytes]:
        """The badge and a form asking for the email address to issue it to. 404 for a code the badge class
        (its public id) does not hold, 410 for one used (single-use), expired or withdrawn."""
        limits.per_ip.hit(_client(request))
        return await _claim_page(request, db_session, await _badge_code(db_session, badge_id, code))

    @post("/claim/{badge_id:str}/{code:str}", status_code=201, summary="Claim a badge with a code (form post)")
    async def claim(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                    limits: NamedDependency[EarnerLimits], badge_id: FromPath[str],
                    code: FromPath[str]) -> Response[bytes]:
        """Issue the badge to ``email`` (accepted: the earner claimed it), with the usual notification, and
        count the code's use (a single-use code is then used up: 410 for the next claim)."""
        limits.per_ip.hit(_client(request))
        return await _claim(request, db_session, limits, await _badge_code(db_session, badge_id, code))

    @get("/claim/{code:str}", summary="Claim page of a claim code, legacy link (HTML)")
    async def legacy_claim_page(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                                limits: NamedDependency[EarnerLimits], code: FromPath[str]) -> Response[bytes]:
        """The claim page of a link sent before codes were per badge class: the one live code of that text,
        else the oldest one (the one that existed when the link was sent)."""
        limits.per_ip.hit(_client(request))
        return await _claim_page(request, db_session, await find_legacy_code(db_session, code))

    @post("/claim/{code:str}", status_code=201, summary="Claim a badge with a code, legacy link (form post)")
    async def legacy_claim(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                           limits: NamedDependency[EarnerLimits], code: FromPath[str]) -> Response[bytes]:
        """The legacy page's form: the code found as its page finds it."""
        limits.per_ip.hit(_client(request))
        return await _claim(request, db_session, limits, await find_legacy_code(db_session, code))


async def _badge_code(session: AsyncSession, badge_id: str, code: str) -> ClaimCode:
    """The code ``code`` of the badge class whose public id is ``badge_id`` (deleted ones too: their page is 410)."""
    badge = await session.scalar(select(BadgeClass).where(BadgeClass.public_id == badge_id))
    if badge is None:
        raise NotFound("no such claim code")
    return await find_code(session, code, badge, deleted=True)


async def _claim_page(request: Request[Any, Any, Any], session: AsyncSession, claim: ClaimCode) -> Response[bytes]:
    problem = usable_problem(claim)
    if problem is not None:
        raise Gone(problem)
    badge, issuer = await _badge_and_issuer(session, claim.badge_class_id)
    return page(request, "claim.html", csrf_token=_csrf(request), action=request.url.path, email="",
                error="", **_badge_view(request, badge, issuer))


async def _claim(request: Request[Any, Any, Any], session: AsyncSession, limits: EarnerLimits,
                 claim: ClaimCode) -> Response[bytes]:
    limits.per_code.hit(f"claim-code:{claim.id}", "claims of this code")  # per stored code, whichever URL
    data = await read_body(request)
    errors = FieldErrors()
    email = errors.email(data, "email", required=True)
    badge, issuer = await _badge_and_issuer(session, claim.badge_class_id)
    if email is None:
        return page(request, "claim.html", 400, csrf_token=_csrf(request), action=request.url.path,
                    email=str(data.get("email", ""))[:320], error="Please enter a valid email address.",
                    **_badge_view(request, badge, issuer))
    state = hosting_state(request)
    store = HostingStore(session, state.urls, state.keybox, max_image_bytes=state.settings.max_image_bytes)
    assertion = await claim_badge(store, claim, badge, issuer, email)  # a race's loser gets 410 here
    return page(request, "claimed.html", 201, public_url=state.urls.assertion(assertion.public_id),
                email=email, **_badge_view(request, badge, issuer))


def _csrf_secret(secret: str) -> str:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"openbadges-hosting", info=b"earner-pages-csrf")
    return base64.urlsafe_b64encode(key.derive(secret.encode())).decode()


def earner_router(settings: Settings) -> Router:
    """The earner pages with their CSRF middleware, HTML error pages and rate limiters (one per app)."""
    limits = EarnerLimits(per_ip=RateLimiter(settings.earner_pages_per_ip_minute),
                          per_code=RateLimiter(settings.claims_per_code_minute))
    csrf = CSRFConfig(secret=_csrf_secret(settings.secret_key), cookie_name=CSRF_COOKIE, cookie_httponly=True,
                      cookie_secure=settings.base_url.startswith("https://"), cookie_samesite="lax")

    def _limits() -> EarnerLimits:
        return limits

    return Router(path="/", route_handlers=[EarnerPages], dependencies={"limits": Provide(_limits, sync_to_thread=False)},
                  middleware=[DefineMiddleware(CSRFMiddleware, config=csrf)], exception_handlers=page_error_handlers())
