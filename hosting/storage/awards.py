"""The awards the issuance pipeline takes (:class:`Award`) and the badge class's rules over them: limit, unique,
duplicate awards and slugs, checked against what the store already holds (:func:`holdings`) before anything is
written; :class:`AwardRefused` carries every problem found."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.lib.errors import Conflict
from hosting.storage.models import Assertion, AssertionState, BadgeClass, utcnow

__all__ = ["Award", "AwardRefused", "Holdings", "chunks", "holdings", "rule_problems"]


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
    held: dict[tuple[str, str | None], list[tuple[date | None, date | None]]] = field(default_factory=dict)
    taken_slugs: set[str] = field(default_factory=set)


_MAX_PROBLEMS = 100


def _day(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite hands datetimes back naive; they are stored in UTC
        return moment.date()
    return moment.astimezone(UTC).date()


def chunks(values: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def rule_problems(badge: BadgeClass, awards: Sequence[Award], holdings: Holdings) -> list[dict[str, Any]]:
    """Limit, unique, duplicate and slug rules over the existing assertions plus the awards before each one."""
    problems: list[dict[str, Any]] = []
    room = None if badge.limit is None else badge.limit - holdings.issued
    held = {k: list(v) for k, v in holdings.held.items()}
    slugs = set(holdings.taken_slugs)
    today = _day(utcnow())
    for index, award in enumerate(awards):
        if len(problems) >= _MAX_PROBLEMS:
            break
        key = (award.recipient_type, award.recipient)
        prior = held.setdefault(key, [])
        issued, expires = _day(award.issued_on) or today, _day(award.expires)

        def refuse(field_name: str, message: str, value: Any, index: int = index) -> None:
            problems.append({"index": index, "field": field_name, "message": message, "value": value})

        if room is not None and index >= room:
            refuse("badge", f"the badge class's limit of {badge.limit} assertions is reached", badge.limit)
        elif badge.unique and prior:
            refuse("recipient", "the badge class is unique and this recipient already holds it", award.recipient)
        elif award.refuse_if_held and prior:
            refuse("recipient", "the recipient already holds this badge (allowDuplicateAwards is false)",
                   award.recipient)
        elif not award.allow_duplicate and any(day == issued or (expires and end == expires)
                                               for day, end in prior):
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
    held: dict[tuple[str, str | None], list[tuple[date | None, date | None]]] = {}
    recipients = sorted({a.recipient for a in awards})
    for chunk in chunks(recipients):
        rows = await session.execute(
            select(Assertion.recipient_type, Assertion.recipient_plaintext, Assertion.issued_on,
                   Assertion.expires)
            .where(Assertion.badge_class_id == badge.id,
                   Assertion.state.in_((AssertionState.ACTIVE, AssertionState.PENDING)),
                   Assertion.recipient_plaintext.in_(chunk), Assertion.id != skip))
        for rtype, plaintext, issued_on, expires in rows:
            held.setdefault((rtype, plaintext), []).append((_day(issued_on), _day(expires)))
    slugs = sorted({a.slug for a in awards if a.slug})
    taken: set[str] = set()
    for chunk in chunks(slugs):
        taken.update(await session.scalars(
            select(Assertion.slug).where(Assertion.issuer_id == badge.issuer_id, Assertion.slug.in_(chunk),
                                         Assertion.id != skip)))
    return Holdings(issued, held, taken)
