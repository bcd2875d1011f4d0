"""The awards the issuance pipeline takes (:class:`Award`) and the badge class's rules over them: limit, unique,
duplicate awards and slugs, checked against what the store already holds (:func:`holdings`) before anything is
written; :class:`AwardRefused` carries every problem found."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ARRAY, ColumnElement, Select, String, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.sqltypes import NullType

from hosting.lib.errors import Conflict
from hosting.lib.times import aware
from hosting.storage.models import Assertion, AssertionState, BadgeClass, utcnow

__all__ = ["Award", "AwardRefused", "Holdings", "among", "chunks", "holdings", "rule_problems"]

_Query = TypeVar("_Query", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True, slots=True)
class Award:
    """One assertion to issue, already validated; ``recipient`` is the normalised plaintext identity."""

    recipient: str
    recipient_type: str = "email"
    hashed: bool = True
    salt: str | None = None
    recipient_name: str | None = None
    issued_on: datetime | None = None
    expires: datetime | None = None
    narrative: str | None = None
    evidence: tuple[dict[str, Any], ...] = ()
    verification: str = "hosted"
    issuer_earner_id: str | None = None
    slug: str | None = None
    locale: str | None = None
    allow_duplicate: bool = False
    # Credly: a duplicate has the same issued_at or expires_at moment (to the second), not merely the same day.
    duplicate_moment: bool = False
    # Badgr's ``allowDuplicateAwards: false``: refused whenever the recipient already holds the badge (any date).
    refuse_if_held: bool = False
    proof: str | None = None  # OB 3.0 credential: "di" or "jwt"; None: an OB 2.0 assertion
    acceptance: str | None = None  # "issuer" (active at once) or "earner" (pending); None: the badge's default
    claim_code_id: int | None = None  # the claim code consumed for it (hosting/earners/codes.py)
    claim_code: str | None = None  # the code as given in the request (resolved to ``claim_code_id`` first)
    created_by: str | None = None  # the email of whoever issued it (the /v1 token's, the /v2 user's)
    # Credly's fields (hosting/credly/): the names apart, the issuer's user id, the issue email suppressed
    first_name: str | None = None
    last_name: str | None = None
    external_user_id: str | None = None
    notification_suppressed: bool | None = None
    issued_date: date | None = None  # the calendar day of issued_on in the offset it was given with (Credly)
    expires_date: date | None = None


class AwardRefused(Conflict):
    """The badge class's rules refuse some awards; ``problems``: ``[{index, field, message, value}]``."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{first['message']}{more}",
                         details=[{k: p[k] for k in ("field", "message", "value")} for p in problems])
        self.problems = problems


@dataclass
class Holdings:
    """What the rules compare against: the badge's issued count, its active holders' dates, taken slugs."""

    issued: int  # assertions of the badge class that count towards its limit (all but replaced ones)
    held: dict[tuple[str, str | None], list[tuple[datetime | None, datetime | None]]] = field(default_factory=dict)
    taken_slugs: set[str] = field(default_factory=set)


_MAX_PROBLEMS = 100


def _utc(moment: datetime | None) -> datetime | None:
    """``moment`` in UTC to the second (SQLite hands datetimes back naive; they are stored in UTC)."""
    return None if moment is None else aware(moment).replace(microsecond=0)


def _same(a: datetime | None, b: datetime | None, *, moment: bool) -> bool:
    """Both set and on the same day (UTC), or at the same second with ``moment``."""
    if a is None or b is None:
        return False
    return a == b if moment else a.date() == b.date()


def chunks(values: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def among(session: AsyncSession, query: _Query, column: QueryableAttribute[Any] | ColumnElement[Any],
          values: Sequence[Any]) -> Iterator[_Query]:
    """``query`` narrowed to the rows whose ``column`` is one of ``values``, as the statements to run.

    PostgreSQL: one statement joining ``unnest(array)`` (one parameter). ``IN (…)`` chunks and ``= ANY(array)``
    run there as generic plans once prepared, which on a table without statistics yet (a fresh install's first
    big batches, before autovacuum) scan the table comparing each row with every value: quadratic, measured 7 s
    for a 10,000-award batch over 30,000 rows. SQLite: ``IN`` lists of 500 (its parameter limit)."""
    if not values:
        return
    if session.get_bind().dialect.name == "postgresql":
        element = column.type if not isinstance(column.type, NullType) else String()
        wanted = func.unnest(bindparam("among", list(values), type_=ARRAY(element))).table_valued(
            "value").render_derived()
        yield query.join(wanted, wanted.c.value == column)
        return
    for start in range(0, len(values), 500):
        yield query.where(column.in_(values[start:start + 500]))


def rule_problems(badge: BadgeClass, awards: Sequence[Award], holdings: Holdings) -> list[dict[str, Any]]:
    """Limit, unique, duplicate and slug rules over the existing assertions plus the awards before each one."""
    problems: list[dict[str, Any]] = []
    room = None if badge.limit is None else badge.limit - holdings.issued
    held = {k: list(v) for k, v in holdings.held.items()}
    slugs = set(holdings.taken_slugs)
    now = _utc(utcnow())
    for index, award in enumerate(awards):
        if len(problems) >= _MAX_PROBLEMS:
            break
        key = (award.recipient_type, award.recipient)
        prior = held.setdefault(key, [])
        issued, expires = _utc(award.issued_on) or now, _utc(award.expires)
        exact = award.duplicate_moment

        def refuse(field_name: str, message: str, value: Any, index: int = index) -> None:
            problems.append({"index": index, "field": field_name, "message": message, "value": value})

        if room is not None and index >= room:
            refuse("badge", f"the badge class's limit of {badge.limit} assertions is reached", badge.limit)
        elif badge.unique and prior:
            refuse("recipient", "the badge class is unique and this recipient already holds it", award.recipient)
        elif award.refuse_if_held and prior:
            refuse("recipient", "the recipient already holds this badge (allowDuplicateAwards is false)",
                   award.recipient)
        elif not award.allow_duplicate and any(_same(at, issued, moment=exact) or _same(end, expires, moment=exact)
                                               for at, end in prior):
            refuse("recipient", "duplicate award: the recipient holds this badge with the same issuedOn or "
                                "expires date (set allowDuplicateAwards to issue it anyway)", award.recipient)
        if award.slug is not None:
            if award.slug in slugs:
                refuse("slug", "an assertion of this issuer already has this slug", award.slug)
            slugs.add(award.slug)
        prior.append((issued, expires))
    return problems


async def holdings(session: AsyncSession, badge: BadgeClass, awards: Sequence[Award],
                   replacing: Assertion | None) -> Holdings:
    """What the rules compare against: the badge's issued count, its active holders, taken slugs."""
    skip = replacing.id if replacing is not None else -1
    issued = int(await session.scalar(
        select(func.count()).select_from(Assertion).where(
            Assertion.badge_class_id == badge.id, Assertion.state != AssertionState.REPLACED,
            Assertion.id != skip)) or 0)
    held: dict[tuple[str, str | None], list[tuple[datetime | None, datetime | None]]] = {}
    live = select(Assertion.recipient_type, Assertion.recipient_plaintext, Assertion.issued_on, Assertion.expires
                  ).where(Assertion.badge_class_id == badge.id,
                          Assertion.state.in_((AssertionState.ACTIVE, AssertionState.PENDING)), Assertion.id != skip)
    for query in among(session, live, Assertion.recipient_plaintext, sorted({a.recipient for a in awards})):
        for rtype, plaintext, issued_on, expires in await session.execute(query):
            held.setdefault((rtype, plaintext), []).append((_utc(issued_on), _utc(expires)))
    taken: set[str] = set()
    slugs = select(Assertion.slug).where(Assertion.issuer_id == badge.issuer_id, Assertion.id != skip)
    for found in among(session, slugs, Assertion.slug, sorted({a.slug for a in awards if a.slug})):
        taken.update(s for s in await session.scalars(found) if s is not None)
    return Holdings(issued, held, taken)
