"""Accept links: the single-use, expiring token that lets the earner of a pending assertion accept or reject it.

A token is ``base64url(HMAC-SHA256(k, nonce))`` where ``k`` is derived (HKDF) from the server secret and
``nonce`` is random and stored; the database keeps the nonce and the SHA-256 of the token, never the token.
So the issuer API can show the link again (``acceptUrl`` of a pending assertion, the notification email)
while a copy of the database alone cannot be used to accept anything. Using a token is one conditional
UPDATE (``used_at IS NULL``): of two concurrent answers, exactly one wins.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import CursorResult, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.lib.errors import Gone, NotFound
from hosting.lib.times import aware
from hosting.storage import transitions
from hosting.storage.models import AcceptToken, Assertion, AssertionState, utcnow

__all__ = ["AcceptLinks", "Answerable", "NewLink"]

_TOKEN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class NewLink:
    """A token just made: ``nonce`` (stored; what a notification keeps) and ``token`` (the link's secret part)."""

    nonce: str
    token: str


@dataclass(frozen=True, slots=True)
class Answerable:
    """A valid, unused token and the pending assertion it answers."""

    token_id: int
    assertion: Assertion


class AcceptLinks:
    """Accept tokens made with one server secret; the methods work on the caller's session."""

    def __init__(self, secret: str, *, days: int = 30) -> None:
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"openbadges-hosting",
                         info=b"accept-tokens").derive(secret.encode())
        self.days = days

    def token(self, nonce: str) -> str:
        """The token of ``nonce`` (43 URL-safe characters)."""
        digest = hmac.new(self._key, nonce.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    async def create(self, session: AsyncSession, assertion_ids: Sequence[int],
                     now: datetime | None = None) -> dict[int, NewLink]:
        """One fresh token per assertion (one executemany); returns ``{assertion id: link}``."""
        if not assertion_ids:
            return {}
        now = now or utcnow()
        expires = now + timedelta(days=self.days)
        rows: list[dict[str, Any]] = []
        made: dict[int, NewLink] = {}
        for assertion_id in assertion_ids:
            nonce = secrets.token_urlsafe(24)
            token = self.token(nonce)
            rows.append({"assertion_id": assertion_id, "nonce": nonce, "token_hash": _hash(token),
                         "expires_at": expires, "used_at": None, "created_at": now})
            made[assertion_id] = NewLink(nonce, token)
        await session.execute(insert(cast(Table, AcceptToken.__table__)), rows)
        return made

    async def current(self, session: AsyncSession, assertion_id: int) -> str | None:
        """The newest unused, unexpired token of an assertion (its link), or ``None``."""
        return (await self.current_many(session, [assertion_id])).get(assertion_id)

    async def current_many(self, session: AsyncSession, assertion_ids: Sequence[int]) -> dict[int, str]:
        """:meth:`current` of several assertions in one query (a page of them): ``{assertion id: token}``,
        leaving out those without a usable token."""
        if not assertion_ids:
            return {}
        rows = await session.execute(
            select(AcceptToken.assertion_id, AcceptToken.nonce, AcceptToken.expires_at).where(
                AcceptToken.assertion_id.in_(sorted(set(assertion_ids))), AcceptToken.used_at.is_(None))
            .order_by(AcceptToken.id))
        newest = {row.assertion_id: row for row in rows}  # ascending ids: the last one seen is the newest
        now = utcnow()
        return {aid: self.token(row.nonce) for aid, row in newest.items() if aware(row.expires_at) > now}

    async def find(self, session: AsyncSession, token: str) -> Answerable:
        """The pending assertion ``token`` answers. :class:`NotFound` for an unknown token; :class:`Gone` for
        one used, expired, or whose assertion is no longer pending (revoked or replaced meanwhile)."""
        if not 20 <= len(token) <= 64 or not set(token) <= _TOKEN:
            raise NotFound("no such accept link")
        row = (await session.execute(
            select(AcceptToken, Assertion).join(Assertion, Assertion.id == AcceptToken.assertion_id)
            .where(AcceptToken.token_hash == _hash(token)))).first()
        if row is None:
            raise NotFound("no such accept link")
        link, assertion = row
        if link.used_at is not None:
            raise Gone("this link has been used already")
        if aware(link.expires_at) <= utcnow():
            raise Gone("this link has expired")
        if assertion.state != AssertionState.PENDING:
            raise Gone(f"this badge is no longer waiting for an answer (it is {assertion.state})")
        return Answerable(link.id, assertion)

    async def use(self, session: AsyncSession, answerable: Answerable) -> None:
        """Mark the token used (conditional UPDATE): :class:`Gone` when another request used it first."""
        result = cast(CursorResult[Any], await session.execute(
            update(AcceptToken).where(AcceptToken.id == answerable.token_id, AcceptToken.used_at.is_(None),
                                      AcceptToken.expires_at > utcnow())
            .values(used_at=utcnow()).execution_options(synchronize_session=False)))
        if result.rowcount != 1:
            raise Gone("this link has been used already")

    async def answer(self, session: AsyncSession, token: str, decision: str, *, show_name: bool) -> Assertion:
        """The earner's answer: ``accept`` (``show_name``: opt in to the recorded name on the badge page) or
        ``reject``. Uses the token up first (a concurrent answer gets :class:`Gone`), then moves the assertion
        (:mod:`hosting.storage.transitions`; :class:`~hosting.lib.errors.Conflict` if the issuer changed it
        meanwhile, which rolls the token's use back with the transaction)."""
        if decision not in ("accept", "reject"):
            raise ValueError(f"unknown decision {decision!r}")
        found = await self.find(session, token)
        await self.use(session, found)
        await transitions.apply(session, found.assertion, decision,
                                recipient_name_shown=show_name and decision == "accept")
        return found.assertion
