"""The rows each public page shows, read in one short session (no writes: a public GET never writes)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.lib.errors import NotFound
from hosting.lib.ids import is_public_id
from hosting.storage.models import Assertion, AssertionState, BadgeClass, Issuer, SigningKey

__all__ = ["AwardRows", "BadgeRows", "IssuerRows", "Moved", "award_rows", "badge_rows", "issuer_rows"]

_MAX_REPLACEMENT_HOPS = 64
# The states whose public URL shows a page: anything else (e.g. an award not yet accepted) is not published.
_SHOWN = (AssertionState.ACTIVE, AssertionState.REVOKED)


@dataclass(frozen=True, slots=True)
class AwardRows:
    """An OB 2.0 assertion or OB 3.0 credential with its badge class, issuer and (signed) key id."""

    assertion: Assertion
    badge: BadgeClass
    issuer: Issuer
    key_public_id: str | None


@dataclass(frozen=True, slots=True)
class Moved:
    """A replaced award: the public id of its newest replacement (the page redirects there)."""

    public_id: str


@dataclass(frozen=True, slots=True)
class IssuerRows:
    issuer: Issuer
    badges: list[BadgeClass]


@dataclass(frozen=True, slots=True)
class BadgeRows:
    badge: BadgeClass
    issuer: Issuer


async def award_rows(session: AsyncSession, public_id: str, fmt: str) -> AwardRows | Moved:
    """The award of format ``fmt`` ("ob2" or "ob3"); :class:`Moved` when replaced; ``NotFound`` when unknown or
    not published."""
    label = "assertion" if fmt == "ob2" else "credential"
    if not is_public_id(public_id):
        raise NotFound(f"no {label} with that id")
    row = (await session.execute(
        select(Assertion, BadgeClass, Issuer).join(BadgeClass, BadgeClass.id == Assertion.badge_class_id)
        .join(Issuer, Issuer.id == Assertion.issuer_id)
        .where(Assertion.public_id == public_id, Assertion.format == fmt))).first()
    if row is None:
        raise NotFound(f"no {label} with that id")
    assertion, badge, issuer = row
    if assertion.state == AssertionState.REPLACED:
        return Moved(await _newest(session, assertion))
    if assertion.state not in _SHOWN:
        raise NotFound(f"no {label} with that id")
    key_public_id = None
    if assertion.key_id is not None:
        key_public_id = await session.scalar(select(SigningKey.public_id).where(SigningKey.id == assertion.key_id))
    return AwardRows(assertion, badge, issuer, key_public_id)


async def _newest(session: AsyncSession, assertion: Assertion) -> str:
    target, hops = assertion, 0
    while target.state == AssertionState.REPLACED and target.replaced_by_id is not None \
            and hops < _MAX_REPLACEMENT_HOPS:
        nxt = await session.get(Assertion, target.replaced_by_id)
        if nxt is None:
            break
        target, hops = nxt, hops + 1
    if target is assertion:
        raise NotFound("no assertion with that id")
    return target.public_id


async def issuer_rows(session: AsyncSession, public_id: str) -> IssuerRows:
    """The issuer and its badge classes (archived ones left out), in creation order."""
    issuer = await session.scalar(select(Issuer).where(Issuer.public_id == public_id)) \
        if is_public_id(public_id) else None
    if issuer is None:
        raise NotFound("no issuer with that id")
    badges = list((await session.scalars(
        select(BadgeClass).where(BadgeClass.issuer_id == issuer.id, BadgeClass.archived.is_(False))
        .order_by(BadgeClass.id).limit(500))).all())
    return IssuerRows(issuer, badges)


async def badge_rows(session: AsyncSession, public_id: str) -> BadgeRows:
    row = (await session.execute(
        select(BadgeClass, Issuer).join(Issuer, Issuer.id == BadgeClass.issuer_id)
        .where(BadgeClass.public_id == public_id))).first() if is_public_id(public_id) else None
    if row is None:
        raise NotFound("no badge class with that id")
    return BadgeRows(row[0], row[1])
