"""The rows each public page shows, read in one short session (no writes: a public GET never writes)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.lib.errors import NotFound
from hosting.lib.ids import is_public_id
from hosting.public.service import Redirect, newest_replacement
from hosting.storage.models import Assertion, AssertionState, BadgeClass, Issuer, SigningKey

__all__ = ["AwardRows", "BadgeRows", "IssuerRows", "award", "award_rows", "badge_rows", "issuer_row",
           "issuer_rows"]

# The states whose public URL shows a page: anything else (e.g. an award not yet accepted) is not published.
_SHOWN = (AssertionState.ACTIVE, AssertionState.REVOKED)


@dataclass(frozen=True, slots=True)
class AwardRows:
    """An OB 2.0 assertion or OB 3.0 credential with its badge class, issuer and the public id of the key that
    signed it (``None`` when unsigned, or not read: :func:`award`)."""

    assertion: Assertion
    badge: BadgeClass
    issuer: Issuer
    key_public_id: str | None = None


@dataclass(frozen=True, slots=True)
class IssuerRows:
    issuer: Issuer
    badges: list[BadgeClass]


@dataclass(frozen=True, slots=True)
class BadgeRows:
    badge: BadgeClass
    issuer: Issuer


async def award(session: AsyncSession, public_id: str, fmt: str) -> AwardRows | Redirect:
    """The award of format ``fmt`` ("ob2" or "ob3") with its badge class and issuer (not its key id:
    :func:`award_rows`); a :class:`Redirect` to its newest replacement when replaced; ``NotFound`` when unknown
    or not published."""
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
        return Redirect(await _newest(session, assertion, label))
    if assertion.state not in _SHOWN:
        raise NotFound(f"no {label} with that id")
    return AwardRows(assertion, badge, issuer)


async def award_rows(session: AsyncSession, public_id: str, fmt: str) -> AwardRows | Redirect:
    """:func:`award` with the public id of the key that signed it (what its page shows)."""
    rows = await award(session, public_id, fmt)
    if isinstance(rows, Redirect) or rows.assertion.key_id is None:
        return rows
    key = select(SigningKey.public_id).where(SigningKey.id == rows.assertion.key_id)
    return replace(rows, key_public_id=await session.scalar(key))


async def _newest(session: AsyncSession, assertion: Assertion, label: str) -> str:
    target = await newest_replacement(session, assertion.replaced_by_id)
    if target is None:
        raise NotFound(f"no {label} with that id")
    return target


async def issuer_row(session: AsyncSession, public_id: str) -> Issuer:
    """The issuer; ``NotFound`` when unknown."""
    issuer = await session.scalar(select(Issuer).where(Issuer.public_id == public_id)) \
        if is_public_id(public_id) else None
    if issuer is None:
        raise NotFound("no issuer with that id")
    return issuer


async def issuer_rows(session: AsyncSession, public_id: str) -> IssuerRows:
    """The issuer and its badge classes (archived ones left out), in creation order."""
    issuer = await issuer_row(session, public_id)
    badges = list((await session.scalars(
        select(BadgeClass).where(BadgeClass.issuer_id == issuer.id, BadgeClass.archived.is_(False))
        .order_by(BadgeClass.id).limit(500))).all())
    return IssuerRows(issuer, badges)


async def badge_rows(session: AsyncSession, public_id: str, *, noun: str = "badge class") -> BadgeRows:
    """The badge class and its issuer; ``NotFound`` ("no ``noun`` with that id") when unknown."""
    row = (await session.execute(
        select(BadgeClass, Issuer).join(Issuer, Issuer.id == BadgeClass.issuer_id)
        .where(BadgeClass.public_id == public_id))).first() if is_public_id(public_id) else None
    if row is None:
        raise NotFound(f"no {noun} with that id")
    return BadgeRows(row[0], row[1])
