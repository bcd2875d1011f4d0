"""Claim codes (BadgeKit): codes of a badge class that issue it to whoever claims them.

A code is single-use (the default) or multi-use, and may expire. Consuming one is a single conditional
``UPDATE claim_codes SET uses = uses + 1 WHERE … AND (multiuse OR uses = 0)`` whose row count decides, like
:func:`hosting.storage.transitions.apply`: of two concurrent claims of a single-use code, the second waits for
the first's row lock (PostgreSQL re-checks the condition) or the write lock (SQLite, ``BEGIN IMMEDIATE``) and
finds it used. The claim's assertion is issued in the same transaction, so a refused award un-consumes it.

A code is unique per badge class, not server-wide (migration 0020): two issuers, or two badge classes of one
issuer, may each hold "SPRING-2026", and creating one answers 409 only when the same badge class holds it (a
server-wide 409 told one tenant which codes the others hold). Every lookup names the badge class
(:func:`find_code`), except the legacy claim page ``/claim/{code}`` of links sent before codes were per badge
(:func:`find_legacy_code`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from hosting.lib.errors import Conflict, Gone, NotFound
from hosting.lib.times import aware, iso
from hosting.storage.models import BadgeClass, ClaimCode, utcnow
from hosting.storage.store import lock_badge_class

__all__ = ["ALPHABET", "CODE_PATTERN", "MAX_CODES", "code_json", "consume", "create_codes", "find_code",
           "find_legacy_code", "is_code", "list_codes", "new_code", "usable_problem"]

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are typed by people
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{3,63}$")
MAX_CODES = 1000  # per request


def new_code(length: int = 12) -> str:
    """A random code of ``length`` characters from :data:`ALPHABET` (60 bits for 12)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def is_code(value: str) -> bool:
    return bool(CODE_PATTERN.match(value))


def code_json(code: ClaimCode, badge: BadgeClass, claim_url: str, now: datetime | None = None) -> dict[str, Any]:
    """The issuer API's view of a code."""
    now = now or utcnow()
    expires = None if code.expires_at is None else aware(code.expires_at)
    return {"code": code.code, "badge": {"id": badge.public_id, "slug": badge.slug}, "multiuse": code.multiuse,
            "expires": iso(code.expires_at), "expired": expires is not None and expires <= now, "uses": code.uses,
            "used": not code.multiuse and code.uses > 0, "claimUrl": claim_url, "createdAt": iso(code.created_at)}


async def create_codes(session: AsyncSession, badge: BadgeClass, codes: Sequence[str], *, multiuse: bool,
                       expires: datetime | None) -> list[ClaimCode]:
    """Store ``codes`` for ``badge`` (all or nothing): :class:`Conflict` naming any code ``badge`` holds already
    (another badge class holding it is no conflict)."""
    wanted = list(dict.fromkeys(codes))
    if len(wanted) != len(codes):
        raise Conflict("the same code is given twice", details=[
            {"field": "codes", "message": "duplicate", "value": next(c for c in codes if codes.count(c) > 1)}])
    # The badge class's row lock orders concurrent creates of one badge's codes: the second sees the first's
    # codes as taken (409) instead of failing on the unique key (a 500).
    await lock_badge_class(session, badge)
    taken = list(await session.scalars(select(ClaimCode.code).where(ClaimCode.badge_class_id == badge.id,
                                                                    ClaimCode.code.in_(wanted))))
    if taken:
        raise Conflict(f"{len(taken)} code(s) exist already", details=[
            {"field": "codes", "message": "taken", "value": code} for code in sorted(taken)])
    now = utcnow()
    rows = [{"code": code, "badge_class_id": badge.id, "multiuse": multiuse, "expires_at": expires, "uses": 0,
             "created_at": now, "deleted_at": None} for code in wanted]
    await session.execute(insert(cast(Table, ClaimCode.__table__)), rows)
    made = await session.scalars(select(ClaimCode).where(ClaimCode.badge_class_id == badge.id,
                                                         ClaimCode.code.in_(wanted)).order_by(ClaimCode.id))
    return list(made)


async def list_codes(session: AsyncSession, badge: BadgeClass, *, offset: int, limit: int) -> list[ClaimCode]:
    """The badge's codes that are not deleted, oldest first."""
    return list(await session.scalars(
        select(ClaimCode).where(ClaimCode.badge_class_id == badge.id, ClaimCode.deleted_at.is_(None))
        .order_by(ClaimCode.id).offset(offset).limit(limit)))


async def find_code(session: AsyncSession, code: str, badge: BadgeClass, *, deleted: bool = False) -> ClaimCode:
    """``badge``'s code; :class:`NotFound` when ``badge`` holds no such code (another badge class's code of the
    same text is not found either), or it is deleted unless ``deleted``."""
    if not is_code(code):
        raise NotFound("no such claim code")
    row = await session.scalar(select(ClaimCode).where(ClaimCode.badge_class_id == badge.id, ClaimCode.code == code))
    if row is None or (row.deleted_at is not None and not deleted):
        raise NotFound("no such claim code")
    return row


async def find_legacy_code(session: AsyncSession, code: str) -> ClaimCode:
    """The code a legacy link ``/claim/{code}`` (sent when codes were server-wide) means, deleted ones included:
    the one live (not deleted) code of that text when there is exactly one, else the oldest code of that text —
    the one that existed when the link was sent, codes being unique then. :class:`NotFound` when none."""
    if not is_code(code):
        raise NotFound("no such claim code")
    live = list(await session.scalars(select(ClaimCode).where(ClaimCode.code == code, ClaimCode.deleted_at.is_(None))
                                      .order_by(ClaimCode.id).limit(2)))
    if len(live) == 1:
        return live[0]
    oldest = await session.scalar(select(ClaimCode).where(ClaimCode.code == code).order_by(ClaimCode.id).limit(1))
    if oldest is None:
        raise NotFound("no such claim code")
    return oldest


def usable_problem(code: ClaimCode, now: datetime | None = None) -> str | None:
    """Why the code cannot be claimed now (deleted, expired, used), or ``None``."""
    now = now or utcnow()
    expires = None if code.expires_at is None else aware(code.expires_at)
    if code.deleted_at is not None:
        return "this claim code has been withdrawn"
    if expires is not None and expires <= now:
        return "this claim code has expired"
    if not code.multiuse and code.uses > 0:
        return "this claim code has been used already"
    return None


async def consume(session: AsyncSession, code: ClaimCode) -> None:
    """Count one use of ``code`` (one conditional UPDATE): :class:`Gone` when it is deleted, expired or, being
    single-use, used — also when a concurrent claim used it first."""
    problem = usable_problem(code)
    if problem is not None:
        raise Gone(problem)
    now = utcnow()
    result = cast(CursorResult[Any], await session.execute(
        update(ClaimCode).where(
            ClaimCode.id == code.id, ClaimCode.deleted_at.is_(None),
            or_(ClaimCode.expires_at.is_(None), ClaimCode.expires_at > now),
            or_(ClaimCode.multiuse.is_(True), ClaimCode.uses == 0))
        .values(uses=ClaimCode.uses + 1).execution_options(synchronize_session=False)))
    if result.rowcount != 1:
        raise Gone("this claim code has been used already")
    set_committed_value(code, "uses", code.uses + 1)  # the loaded object follows, without a second write
