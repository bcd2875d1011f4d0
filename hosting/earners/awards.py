"""What issuing does for the earner side, shared by the issuer API and the claim page: claim codes consumed
for awards, accept links made for the pending assertions just issued and their ``pending`` emails."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hosting.earners.codes import consume, find_code
from hosting.earners.tokens import AcceptLinks, NewLink
from hosting.lib.errors import InvalidInput, NotFound
from hosting.storage.models import Assertion, AssertionState, BadgeClass
from hosting.storage.store import Award

__all__ = ["consume_claim_codes", "links_for_pending", "notification_of"]


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
