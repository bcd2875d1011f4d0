"""Finding the resources an issuer API path names: issuers (with the caller's role) and their badge classes.

Paths address a resource by its public id or by its slug; malformed references are simply not found.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.auth import Principal
from hosting.api.issuers import _require_role, find_issuer
from hosting.lib.errors import NotFound
from hosting.lib.ids import is_public_id
from hosting.storage.models import BadgeClass, Issuer

__all__ = ["EDIT_ROLES", "ISSUE_ROLES", "find_badge", "find_issuer", "find_issuer_badge", "require_role"]

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


def require_role(principal: Principal, role: str | None, allowed: tuple[str, ...], action: str) -> None:
    """403 unless the caller is an admin or holds one of ``allowed`` on the issuer."""
    _require_role(principal, role, allowed, action)
