"""What issuing does for the earner side, shared by the issuer API and the claim page: claim codes consumed
for awards, accept links made for the pending assertions just issued and their ``pending`` emails."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hosting.earners.codes import consume, find_code
from hosting.earners.tokens import AcceptLinks, NewLink
from hosting.lib.errors import Conflict, InvalidInput, NotFound
from hosting.notify.outbox import queue_notification
from hosting.storage.models import Acceptance, Assertion, AssertionState, BadgeClass, ClaimCode, Issuer
from hosting.storage.store import Award, AwardRefused, HostingStore

__all__ = ["claim_badge", "consume_claim_codes", "links_for_pending", "notification_of"]


async def consume_claim_codes(session: AsyncSession, badge: BadgeClass, awards: Sequence[Award]) -> list[Award]:
    """The awards with ``claim_code_id`` set for those naming a ``claim_code`` of ``badge``, each code consumed
    (:class:`~hosting.lib.errors.Gone` when used up, expired or deleted; 400 when unknown)."""
    out: list[Award] = []
    for index, award in enumerate(awards):
        if award.claim_code is None:
            out.append(award)
            continue
        try:
            code = await find_code(session, award.claim_code, badge, deleted=True)
        except NotFound:
            where = "claimCode" if len(awards) == 1 else f"assertions[{index}].claimCode"
            raise InvalidInput("no such claim code for this badge class", details=[
                {"field": where, "message": "unknown claim code", "value": award.claim_code}]) from None
        await consume(session, code)
        out.append(dataclasses.replace(award, claim_code_id=code.id))
    return out


async def links_for_pending(session: AsyncSession, links: AcceptLinks,
                            assertions: Sequence[Assertion]) -> dict[int, NewLink]:
    """An accept link for each pending assertion of ``assertions`` (``{assertion id: link}``)."""
    return await links.create(session, [a.id for a in assertions if a.state == AssertionState.PENDING])


def notification_of(assertion: Assertion, made: dict[int, NewLink],
                    kind: str = "issued") -> tuple[str, dict[str, Any]]:
    """The notification kind and extra context for a just-issued assertion: ``pending`` with its accept link's
    nonce (the mail carries the link) when it waits for the earner, else ``kind``."""
    link = made.get(assertion.id)
    if assertion.state == AssertionState.PENDING and link is not None:
        return "pending", {"accept_nonce": link.nonce}
    return kind, {}


async def claim_badge(store: HostingStore, code: ClaimCode, badge: BadgeClass, issuer: Issuer,
                      email: str) -> Assertion:
    """Issue ``badge`` to ``email`` with ``code`` (accepted: the earner claimed it), under the badge class's
    rules, with the usual ``issued`` email. The code is consumed first (:class:`~hosting.lib.errors.Gone` for
    the loser of a race, before anything is issued); a refused award raises :class:`Conflict` and the caller's
    rollback un-consumes it."""
    await consume(store.session, code)
    try:
        (assertion,) = await store.award(badge, [Award(recipient=email, acceptance=Acceptance.ISSUER,
                                                       claim_code_id=code.id)])
    except AwardRefused as exc:
        raise Conflict("This email address already holds this badge." if exc.problems[0]["field"] ==
                       "recipient" else "This badge cannot be issued any more.") from exc
    await queue_notification(store.session, "issued", assertion, badge=badge, issuer=issuer)
    return assertion
