"""Finding the resources an issuer API path names: issuers (with the caller's role) and their badge classes.

Paths address a resource by its public id or by its slug; malformed references are simply not found.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.auth import Principal
from hosting.lib.errors import NotFound, NotPermitted
from hosting.lib.ids import is_public_id
from hosting.storage.models import BadgeClass, DeletedIssuer, Issuer, StaffRole

__all__ = ["EDIT_ROLES", "ISSUE_ROLES", "find_badge", "find_issuer", "find_issuer_badge", "not_deleted",
           "require_role"]

EDIT_ROLES = ("owner", "editor")
ISSUE_ROLES = ("owner", "editor", "staff")

_SLUG_REF = re.compile(r"^[a-z0-9-]{1,50}$")


async def find_badge(session: AsyncSession, issuer: Issuer, ref: str) -> BadgeClass:
    """The badge class ``ref`` (public id, else slug) of ``issuer``; 404 otherwise."""
    if not (is_public_id(ref) or _SLUG_REF.match(ref)):
        raise NotFound("no such badge class")
    for column in (BadgeClass.public_id, BadgeClass.slug):
        badge = await session.scalar(
            select(BadgeClass).where(BadgeClass.issuer_id == issuer.id, column == ref))
        if badge is not None:
            return badge
    raise NotFound("no such badge class")


async def find_issuer_badge(session: AsyncSession, principal: Principal, issuer_ref: str,
                            badge_ref: str) -> tuple[Issuer, str | None, BadgeClass]:
    """The issuer (with the caller's role, see :func:`find_issuer`) and its badge class."""
    issuer, role = await find_issuer(session, principal, issuer_ref)
    return issuer, role, await find_badge(session, issuer, badge_ref)


def not_deleted() -> Any:
    """SQL condition: the issuer was not deleted through the API."""
    return ~exists().where(DeletedIssuer.issuer_id == Issuer.id)


async def find_issuer(session: AsyncSession, principal: Principal, ref: str) -> tuple[Issuer, str | None]:
    """The issuer ``ref`` (public id, else slug) with the caller's role; 404 if absent or not theirs."""
    if not (is_public_id(ref) or _SLUG_REF.match(ref)):  # odd input is simply not found, before any query
        raise NotFound("no such issuer")
    issuer = None
    for column in (Issuer.public_id, Issuer.slug):
        issuer = await session.scalar(select(Issuer).where(column == ref, not_deleted()))
        if issuer is not None:
            break
    if issuer is None or not principal.reaches(issuer.public_id):  # an OAuth2 token for other issuers
        raise NotFound("no such issuer")
    role = await session.scalar(
        select(StaffRole.role).where(StaffRole.issuer_id == issuer.id, StaffRole.email == principal.email))
    if role is None and not principal.admin:
        raise NotFound("no such issuer")
    return issuer, role


def require_role(principal: Principal, role: str | None, allowed: tuple[str, ...], action: str) -> None:
    """403 unless the caller is an admin or holds one of ``allowed`` on the issuer."""
    if principal.admin or role in allowed:
        return
    raise NotPermitted(f"your role on this issuer ({role}) does not allow {action}",
                    details=[{"field": "role", "message": f"needs one of {', '.join(allowed)}", "value": role}])
