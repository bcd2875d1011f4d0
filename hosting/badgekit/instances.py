"""BadgeKit badge instances (``…/badges/{slug}/instances[/{email}]`` at the three levels, and an earner's
instances across a level, ``…/instances/{email}``): each instance is a hosted OB 2.0 assertion of the badge class
(same store, same rules: ``limit``, ``unique``, claim codes), published at ``assertionUrl``; deleting an instance
revokes the assertion (its URL then answers 410)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.app.state import HostingState
from hosting.badgekit.auth import BadgeKitCaller
from hosting.badgekit.badges import badge_json, find_level_badge
from hosting.badgekit.errors import ResourceConflict
from hosting.badgekit.levels import Level, at_levels, resolve_level
from hosting.badgekit.milestones import award_milestones, lock_earner
from hosting.earners.awards import consume_claim_codes
from hosting.lib.body import FieldErrors, read_body
from hosting.lib.errors import NotFound
from hosting.lib.numbers import ascii_int
from hosting.lib.times import aware, iso, utc_within_years
from hosting.notify.outbox import queue_notification
from hosting.storage.models import Acceptance, Assertion, AssertionState, BadgeClass, ClaimCode, Issuer
from hosting.storage.store import Award, AwardRefused, HostingStore

__all__ = ["ROUTE_HANDLERS", "instance_json"]

_LIVE = (AssertionState.ACTIVE, AssertionState.PENDING)


def instance_json(assertion: Assertion, code: str | None, badge: BadgeClass, level: Level,
                  state: HostingState) -> dict[str, Any]:
    return {"slug": assertion.slug or assertion.public_id, "email": assertion.recipient_plaintext,
            "issuedOn": iso(assertion.issued_on), "expires": iso(assertion.expires), "claimCode": code,
            "assertionUrl": state.urls.assertion(assertion.public_id), "badge": badge_json(badge, level, state)}


def _moment(errors: FieldErrors, data: dict[str, Any], field: str) -> datetime | None:
    """An ISO 8601 date/time (UTC without an offset) or Unix seconds (BadgeKit clients send either), in UTC to the
    second; years 1900-9999, as ``/v1``."""
    value = data.get(field)
    if value in (None, ""):
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            moment = datetime.fromtimestamp(value, UTC)
        elif (seconds := ascii_int(text := str(value).strip())) is not None:
            moment = datetime.fromtimestamp(seconds, UTC)
        else:
            moment = datetime.fromisoformat(text)
            moment = aware(moment)
    except (ValueError, OverflowError, OSError):
        errors.add(field, "must be an ISO 8601 date/time or Unix seconds", value)
        return None
    try:
        return utc_within_years(moment).replace(microsecond=0)
    except ValueError:
        errors.add(field, "year out of range (1900-9999)", value)
        return None


async def _code_of(session: AsyncSession, assertion: Assertion) -> str | None:
    if assertion.claim_code_id is None:
        return None
    return await session.scalar(select(ClaimCode.code).where(ClaimCode.id == assertion.claim_code_id))


async def _find(session: AsyncSession, badge: BadgeClass, email: str) -> Assertion:
    assertion = await session.scalar(
        select(Assertion).where(Assertion.badge_class_id == badge.id, Assertion.state.in_(_LIVE),
                                func.lower(Assertion.recipient_plaintext) == email.strip().lower())
        .order_by(Assertion.created_at.desc(), Assertion.id.desc()).limit(1))
    if assertion is None:
        raise NotFound(f"Could not find instance field: `email`, value: `{email}`")
    return assertion


_BASE = "/badges/{badge_slug:str}/instances"


@get(at_levels("/instances/{email:str}"))
async def earner_instances(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                           caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                           email: FromPath[str]) -> dict[str, Any]:
    """The earner's live instances of every badge in the level and the levels inside it (a system's issuers and
    programs, an issuer's programs), oldest first; 404 when there is none."""
    level = await resolve_level(request, db_session, caller, hosting)
    if level.program is not None:
        scope = BadgeClass.program_id == level.program.id
    elif level.issuer is not None:
        scope = BadgeClass.issuer_id == level.issuer.id
    else:
        scope = BadgeClass.issuer_id.in_(select(Issuer.id).where(
            (Issuer.id == level.system.id) | (Issuer.parent_id == level.system.id)))
    rows = (await db_session.execute(
        select(Assertion, BadgeClass, ClaimCode.code).join(BadgeClass, BadgeClass.id == Assertion.badge_class_id)
        .outerjoin(ClaimCode, ClaimCode.id == Assertion.claim_code_id)
        .where(scope, Assertion.state.in_(_LIVE), func.lower(Assertion.recipient_plaintext) == email.strip().lower())
        .order_by(Assertion.created_at, Assertion.id))).all()
    if not rows:
        raise NotFound(f"Could not find instance field: `email`, value: `{email}`")
    return {"instances": [instance_json(a, code, badge, level, hosting) for a, badge, code in rows]}


@get(at_levels(_BASE))
async def list_instances(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                         caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                         badge_slug: FromPath[str]) -> dict[str, Any]:
    """The badge's live (not revoked) instances, oldest first."""
    level, badge = await find_level_badge(request, db_session, caller, hosting, badge_slug)
    rows = (await db_session.execute(
        select(Assertion, ClaimCode.code).outerjoin(ClaimCode, ClaimCode.id == Assertion.claim_code_id)
        .where(Assertion.badge_class_id == badge.id, Assertion.state.in_(_LIVE))
        .order_by(Assertion.created_at, Assertion.id))).all()
    return {"instances": [instance_json(a, code, badge, level, hosting) for a, code in rows]}


@get(at_levels(_BASE + "/{email:str}"))
async def get_instance(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                       caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                       badge_slug: FromPath[str], email: FromPath[str]) -> dict[str, Any]:
    level, badge = await find_level_badge(request, db_session, caller, hosting, badge_slug)
    assertion = await _find(db_session, badge, email)
    return {"instance": instance_json(assertion, await _code_of(db_session, assertion), badge, level, hosting)}


@post(at_levels(_BASE), status_code=201)
async def create_instance(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                          caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                          store: NamedDependency[HostingStore], badge_slug: FromPath[str]) -> dict[str, Any]:
    """Issue the badge: ``email`` required; ``claimCode`` (consumed), ``slug``, ``issuedOn``, ``expires``."""
    data = dict(await read_body(request))
    errors = FieldErrors()
    email = errors.email(data, "email", required=True)
    code = errors.text(data, "claimCode", max_len=64) if data.get("claimCode") not in (None, "") else None
    slug = errors.slug(data) if data.get("slug") not in (None, "") else None
    issued_on, expires = _moment(errors, data, "issuedOn"), _moment(errors, data, "expires")
    if expires is not None and expires <= (issued_on or datetime.now(UTC)):  # issuedOn defaults to now
        errors.add("expires", "must be after issuedOn", data.get("expires"))
    errors.raise_if_any()
    assert email is not None
    level, badge = await find_level_badge(request, db_session, caller, hosting, badge_slug)
    await lock_earner(db_session, level.system, email)
    awards = await consume_claim_codes(db_session, badge, [Award(
        recipient=email, issued_on=issued_on, expires=expires, slug=slug, acceptance=Acceptance.ISSUER,
        claim_code=code)])
    try:
        (made,) = await store.award(badge, awards)
    except AwardRefused as exc:
        raise ResourceConflict(f"instance refused: {exc.problems[0]['message']}") from exc
    assertion = await db_session.get_one(Assertion, made.id)
    await queue_notification(db_session, "issued", assertion, badge=badge, issuer=level.owner)
    await award_milestones(store, level.system, badge, email)
    return {"status": "created", "instance": instance_json(assertion, code, badge, level, hosting)}


@delete(at_levels(_BASE + "/{email:str}"), status_code=200)
async def delete_instance(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                          caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                          store: NamedDependency[HostingStore], badge_slug: FromPath[str],
                          email: FromPath[str]) -> dict[str, Any]:
    """Revoke the earner's instance of the badge: its ``assertionUrl`` answers 410 from now on."""
    level, badge = await find_level_badge(request, db_session, caller, hosting, badge_slug)
    assertion = await _find(db_session, badge, email)
    body = instance_json(assertion, await _code_of(db_session, assertion), badge, level, hosting)
    await store.revoke(assertion, "instance deleted through the BadgeKit API")
    return {"status": "deleted", "instance": body}


ROUTE_HANDLERS: list[Any] = [earner_instances, list_instances, get_instance, create_instance, delete_instance]
