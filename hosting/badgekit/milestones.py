"""BadgeKit milestones: a badge (the *primary* badge) is awarded automatically to an earner who holds
``numberRequired`` of its *support* badges.

A badge's ``milestones`` (badge create/update, JSON bodies) are stored on its badge class (the ``milestones``
JSON column): ``[{"id", "action", "numberRequired", "supportBadges": [badge ids]}]``. Support badges are given
by integer id or slug (or ``{"id"}``/``{"slug"}`` objects, so a badge read back can be sent again) and must be
other badges of the same system, at any of its levels (the system, its issuers, their programs; a slug used at
two levels must be given by id). ``action`` is ``issue`` (the default); BadgeKit's ``queue-application`` needs
its application review, which is not built, and is refused.

Awarding (:func:`award_milestones`): after an instance is issued through the BadgeKit API (a new instance or a
claimed code), every milestone of the system that counts the issued badge among its supports is checked for the
earner: live (active or pending, not expired) instances of ``numberRequired`` distinct support badges make the
earner eligible, and the primary badge is issued (once: not when already held; under its own rules, ``limit``,
``unique``, archived). A milestone badge that is itself a support of another milestone carries on the cascade.
BadgeKit issuing to one earner in one system is serialised (:func:`lock_earner`, before the support badge is
issued), so two concurrent requests cannot each miss the other's support badge.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from sqlalchemy import String, cast, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.lib.body import FieldErrors
from hosting.lib.errors import Conflict
from hosting.lib.numbers import ascii_int, whole_number
from hosting.notify.outbox import queue_notification
from hosting.storage.models import Acceptance, Assertion, AssertionState, BadgeClass, Issuer, utcnow
from hosting.storage.store import Award, HostingStore

__all__ = ["ACTIONS", "award_milestones", "lock_earner", "parse_milestones", "resolve_milestones"]

ACTIONS = ("issue",)
MAX_MILESTONES = 20  # per badge
MAX_SUPPORTS = 100  # per milestone
_MAX_ID = 2**31 - 1  # badge class ids are 32-bit integers
_LIVE = (AssertionState.ACTIVE, AssertionState.PENDING)
_log = logging.getLogger("hosting")


def _support_ref(item: Any) -> int | str | None:
    """A support badge as given: an id, a slug, or ``{"id": …}`` / ``{"slug": …}``; ``None`` for anything else,
    including what could name no badge (an id out of the ids' range, a slug too long or with a NUL character),
    which is never sent to the database."""
    if isinstance(item, dict):
        item = item.get("id", item.get("slug"))
    if isinstance(item, str) and (number := ascii_int(item.strip())) is not None:
        item = number  # out of the ids' range below when it has more than 10 digits
    if isinstance(item, bool):
        return None
    if isinstance(item, int):
        return item if 1 <= item <= _MAX_ID else None
    if isinstance(item, str) and item.strip() and len(item) <= 255 and "\x00" not in item:
        return item.strip()
    return None


def parse_milestones(errors: FieldErrors, value: Any) -> list[dict[str, Any]]:
    """Check the shape of a ``milestones`` field: ``[{numberRequired, supportBadges, action?}]`` (JSON only).
    Support badges stay as given (ids or slugs) until :func:`resolve_milestones`."""
    if not isinstance(value, list) or len(value) > MAX_MILESTONES:
        errors.add("milestones", f"must be a list (at most {MAX_MILESTONES}) of "
                   "{numberRequired, supportBadges, action} (in a JSON body)", None)
        return []
    out: list[dict[str, Any]] = []
    for n, item in enumerate(value):
        field = f"milestones[{n}]"
        if not isinstance(item, dict):
            errors.add(field, "must be an object {numberRequired, supportBadges, action}", None)
            continue
        action = item.get("action") or "issue"
        if action not in ACTIONS:
            errors.add(f"{field}.action", "only `issue` is supported (`queue-application` needs BadgeKit's "
                       "application review, which this server does not have)", action)
        supports = item.get("supportBadges")
        refs = [_support_ref(s) for s in supports] if isinstance(supports, list) else []
        if not refs or len(refs) > MAX_SUPPORTS or None in refs:
            errors.add(f"{field}.supportBadges", f"must be a list of 1-{MAX_SUPPORTS} badge ids or slugs", None)
            continue
        number = whole_number(item.get("numberRequired"))
        if number is None or not 1 <= number <= len(set(refs)):
            errors.add(f"{field}.numberRequired", "must be a whole number from 1 to the number of support "
                       "badges", item.get("numberRequired"))
            continue
        out.append({"action": action, "numberRequired": number, "supportBadges": refs})
    return out


def _in_system(system: Issuer) -> Any:
    """SQL condition: the badge class belongs to ``system`` at any level (its own, or one of its issuers')."""
    issuers = select(Issuer.id).where(Issuer.parent_id == system.id)
    return or_(BadgeClass.issuer_id == system.id, BadgeClass.issuer_id.in_(issuers))


async def resolve_milestones(session: AsyncSession, system: Issuer, primary_id: int | None,
                             parsed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored form of ``parsed``: support badges resolved to ids among the system's other badges (400
    naming each unknown or ambiguous one), milestones numbered from 1."""
    refs = {ref for m in parsed for ref in m["supportBadges"]}
    rows = (await session.execute(select(BadgeClass.id, BadgeClass.slug).where(
        _in_system(system),
        or_(BadgeClass.id.in_([r for r in refs if isinstance(r, int)]),
            BadgeClass.slug.in_([r for r in refs if isinstance(r, str)]))))).all()
    by_ref: dict[int | str, int | None] = {row.id: row.id for row in rows}
    for row in rows:  # a slug used at two levels of the system is ambiguous (None)
        by_ref[row.slug] = row.id if row.slug not in by_ref else None
    errors = FieldErrors()
    out: list[dict[str, Any]] = []
    for n, milestone in enumerate(parsed):
        ids: list[int] = []
        for ref in milestone["supportBadges"]:
            badge_id = by_ref.get(ref, 0)
            if badge_id is None:
                errors.add(f"milestones[{n}].supportBadges", "slug used at two levels of the system: give the id",
                           ref)
            elif not badge_id or badge_id == primary_id:
                errors.add(f"milestones[{n}].supportBadges", "not another badge of this system", ref)
            elif badge_id not in ids:
                ids.append(badge_id)
        if milestone["numberRequired"] > len(ids):
            errors.add(f"milestones[{n}].numberRequired", "more than the distinct support badges",
                       milestone["numberRequired"])
        out.append({"id": n + 1, "action": milestone["action"], "numberRequired": milestone["numberRequired"],
                    "supportBadges": ids})
    errors.raise_if_any()
    return out


async def _with_milestones(session: AsyncSession, system: Issuer) -> list[BadgeClass]:
    rows = await session.scalars(select(BadgeClass).where(
        _in_system(system), cast(BadgeClass.milestones, String) != "[]").order_by(BadgeClass.id))
    return [b for b in rows.all() if b.milestones]


async def _held(session: AsyncSession, email: str, badge_ids: set[int]) -> set[int]:
    """Which of ``badge_ids`` the earner holds a live, unexpired instance of."""
    now = utcnow()
    rows = await session.scalars(select(Assertion.badge_class_id).where(
        Assertion.badge_class_id.in_(sorted(badge_ids)), Assertion.state.in_(_LIVE),
        Assertion.recipient_type == "email", Assertion.recipient_plaintext == email,
        or_(Assertion.expires.is_(None), Assertion.expires > now)))
    return set(rows.all())


async def lock_earner(session: AsyncSession, system: Issuer, email: str) -> None:
    """Serialise BadgeKit issuing to ``email`` in ``system`` until the transaction ends (PostgreSQL: a transaction
    advisory lock; SQLite already has one writer). Taken before any badge row is locked, so the order is the same
    in every request."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(f"badgekit-milestones:{system.id}:{email}".encode(), digest_size=8).digest()
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                          {"key": int.from_bytes(digest, "big", signed=True)})


async def award_milestones(store: HostingStore, system: Issuer, issued: BadgeClass, email: str) -> list[Assertion]:
    """Issue every milestone badge of ``system`` that ``email`` became eligible for by receiving ``issued``
    (and, in cascade, by receiving those). Returns the milestone instances made."""
    session = store.session
    candidates = [b for b in await _with_milestones(session, system) if not b.archived]
    made: list[Assertion] = []
    done: set[int] = set()
    pending = [issued.id]
    while pending:
        support = pending.pop()
        for primary in candidates:
            if primary.id in done or not any(support in m["supportBadges"] for m in primary.milestones):
                continue
            supports = {s for m in primary.milestones for s in m["supportBadges"]}
            held = await _held(session, email, supports | {primary.id})
            if primary.id in held or not any(
                    len(held & set(m["supportBadges"])) >= m["numberRequired"] for m in primary.milestones):
                continue
            done.add(primary.id)
            try:
                (row,) = await store.award(primary, [Award(recipient=email, acceptance=Acceptance.ISSUER)])
            except Conflict as exc:  # the milestone badge's own rules (limit, unique) refuse it
                _log.info("milestone badge %s not issued to an earner: %s", primary.slug, exc.message)
                continue
            assertion = await session.get_one(Assertion, row.id)
            owner = await session.get_one(Issuer, primary.issuer_id)  # its level's issuer (the nearest)
            await queue_notification(session, "issued", assertion, badge=primary, issuer=owner)
            made.append(assertion)
            pending.append(primary.id)
    return made
