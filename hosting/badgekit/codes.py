"""BadgeKit claim codes of a badge (``…/badges/{slug}/codes…`` at the three levels), on the store's claim
codes (:mod:`hosting.earners.codes`). Claiming (``…/codes/{code}/claim`` with an ``email``) issues the badge to
that email at once (an instance, as the public claim page does) and answers the code and the instance."""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.app.state import HostingState
from hosting.badgekit.auth import BadgeKitCaller
from hosting.badgekit.badges import find_level_badge
from hosting.badgekit.errors import ResourceConflict
from hosting.badgekit.instances import instance_json
from hosting.badgekit.levels import at_levels
from hosting.badgekit.milestones import award_milestones, lock_earner
from hosting.earners.awards import claim_badge
from hosting.earners.codes import CODE_PATTERN, create_codes, find_code, list_codes, new_code
from hosting.lib.body import FieldErrors, read_body
from hosting.lib.errors import Conflict, NotFound
from hosting.lib.times import iso
from hosting.storage.models import Assertion, BadgeClass, ClaimCode, utcnow
from hosting.storage.store import HostingStore

__all__ = ["ROUTE_HANDLERS"]

_BASE = "/badges/{badge_slug:str}/codes"


async def _code_json(session: AsyncSession, code: ClaimCode) -> dict[str, Any]:
    email = await session.scalar(select(Assertion.recipient_plaintext).where(Assertion.claim_code_id == code.id)
                                 .order_by(Assertion.id.desc()).limit(1))
    return {"code": code.code, "multiuse": code.multiuse, "claimed": code.uses > 0, "email": email,
            "expires": iso(code.expires_at)}


def _bool(errors: FieldErrors, data: dict[str, Any], field: str) -> bool:
    value = data.get(field, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", ""):
        return value.lower() in ("true", "1")
    errors.add(field, "must be a boolean", value)
    return False


async def _code_of(session: AsyncSession, badge: BadgeClass, code: str) -> ClaimCode:
    try:
        return await find_code(session, code, badge)
    except NotFound:
        raise NotFound(f"Could not find claimCode field: `code`, value: `{code}`") from None


async def _create(session: AsyncSession, badge: BadgeClass, code: str, multiuse: bool) -> dict[str, Any]:
    """Store ``code`` for ``badge``: 409 (with the existing code) only when ``badge`` holds it already — codes are
    unique per badge class, so another badge's code of the same text is neither a conflict nor shown."""
    try:
        (row,) = await create_codes(session, badge, [code], multiuse=multiuse, expires=None)
    except Conflict as exc:
        existing = await session.scalar(select(ClaimCode).where(ClaimCode.badge_class_id == badge.id,
                                                                ClaimCode.code == code))
        raise ResourceConflict("claim code with that `code` already exists", existing=(
            await _code_json(session, existing) if existing is not None else None)) from exc
    return {"status": "created", "claimCode": await _code_json(session, row)}


@get(at_levels(_BASE))
async def list_claim_codes(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                           caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                           badge_slug: FromPath[str]) -> dict[str, Any]:
    _, badge = await find_level_badge(request, db_session, caller, hosting, badge_slug)
    rows = await list_codes(db_session, badge, offset=0, limit=10_000)
    return {"claimCodes": [await _code_json(db_session, row) for row in rows]}


@post(at_levels(_BASE), status_code=201)
async def create_claim_code(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                            caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                            badge_slug: FromPath[str]) -> dict[str, Any]:
    """Add the code given (``code``, 4-64 letters, digits, ``-``/``_``; ``multiuse`` optional)."""
    data = dict(await read_body(request))
    errors = FieldErrors()
    code = errors.text(data, "code", required=True, max_len=64)
    if code is not None and not CODE_PATTERN.match(code):
        errors.add("code", "4-64 letters, digits, '-' or '_'", code)
    multiuse = _bool(errors, data, "multiuse")
    errors.raise_if_any()
    assert code is not None
    _, badge = await find_level_badge(request, db_session, caller, hosting, badge_slug)
    return await _create(db_session, badge, code, multiuse)


@post(at_levels(_BASE + "/random"), status_code=201)
async def create_random_code(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                             caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                             badge_slug: FromPath[str]) -> dict[str, Any]:
    """Generate a fresh random code (``multiuse`` optional)."""
    data = dict(await read_body(request)) if await request.body() else {}
    errors = FieldErrors()
    multiuse = _bool(errors, data, "multiuse")
    errors.raise_if_any()
    _, badge = await find_level_badge(request, db_session, caller, hosting, badge_slug)
    return await _create(db_session, badge, new_code(), multiuse)


@get(at_levels(_BASE + "/{code:str}"))
async def get_claim_code(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                         caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                         badge_slug: FromPath[str], code: FromPath[str]) -> dict[str, Any]:
    _, badge = await find_level_badge(request, db_session, caller, hosting, badge_slug)
    return {"claimCode": await _code_json(db_session, await _code_of(db_session, badge, code))}


@delete(at_levels(_BASE + "/{code:str}"), status_code=200)
async def delete_claim_code(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                            caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                            badge_slug: FromPath[str], code: FromPath[str]) -> dict[str, Any]:
    """Withdraw the code (it can no longer be claimed; instances made with it stay)."""
    _, badge = await find_level_badge(request, db_session, caller, hosting, badge_slug)
    row = await _code_of(db_session, badge, code)
    body = await _code_json(db_session, row)
    row.deleted_at = utcnow()
    await db_session.flush()
    return {"status": "deleted", "claimCode": body}


@post(at_levels(_BASE + "/{code:str}/claim"), status_code=200)
async def claim_code(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                     caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                     store: NamedDependency[HostingStore], badge_slug: FromPath[str],
                     code: FromPath[str]) -> dict[str, Any]:
    """Claim the code for ``email``: the badge is issued to it (410 when the code is used up or expired)."""
    data = dict(await read_body(request))
    errors = FieldErrors()
    email = errors.email(data, "email", required=True)
    errors.raise_if_any()
    assert email is not None
    level, badge = await find_level_badge(request, db_session, caller, hosting, badge_slug)
    row = await _code_of(db_session, badge, code)
    await lock_earner(db_session, level.system, email)
    try:
        assertion = await claim_badge(store, row, badge, level.owner, email)
    except Conflict as exc:
        raise ResourceConflict(exc.message) from exc
    await award_milestones(store, level.system, badge, email)
    return {"status": "updated", "claimCode": await _code_json(db_session, row),
            "instance": instance_json(assertion, row.code, badge, level, hosting)}


ROUTE_HANDLERS: list[Any] = [list_claim_codes, create_random_code, create_claim_code, get_claim_code,
                             delete_claim_code, claim_code]
