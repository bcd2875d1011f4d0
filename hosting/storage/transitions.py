"""The one state machine of an assertion: every API that changes an assertion's state goes through here.

``TRANSITIONS`` is the whole table: (action, from state) → to state. A transition is a conditional
``UPDATE … WHERE id = :id AND state IN (:from)`` whose row count decides: of two concurrent requests on one
row, the second waits for the first's row lock (PostgreSQL, READ COMMITTED re-checks the condition) or for
the database's write lock (SQLite, ``BEGIN IMMEDIATE``), finds the state changed and gets :class:`Conflict`
(409) — before it queues any notification. A transition that must do work first (replacing issues the new
assertion) takes the row with :func:`lock` (``SELECT … FOR UPDATE``) so the loser stops before that work.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from hosting.lib.db import note_public_change
from hosting.lib.errors import Conflict
from hosting.storage.models import Assertion, AssertionState, utcnow

__all__ = ["TRANSITIONS", "apply", "lock", "target"]

_S = AssertionState
TRANSITIONS: dict[tuple[str, str], str] = {
    # the earner's answer to a pending assertion (hosting/earners)
    ("accept", _S.PENDING): _S.ACTIVE,
    ("reject", _S.PENDING): _S.REJECTED,
    # the issuer's moves: revoking works in every state but replaced (act on the replacement)
    ("revoke", _S.PENDING): _S.REVOKED,
    ("revoke", _S.ACTIVE): _S.REVOKED,
    ("revoke", _S.REJECTED): _S.REVOKED,
    ("withdraw", _S.PENDING): _S.REVOKED,
    ("withdraw", _S.ACTIVE): _S.REVOKED,
    ("withdraw", _S.REJECTED): _S.REVOKED,
    ("replace", _S.PENDING): _S.REPLACED,  # while pending, the recipient may change (Credly)
    ("replace", _S.ACTIVE): _S.REPLACED,
}

_PAST = {"revoke": "revoked", "withdraw": "withdrawn", "replace": "replaced", "accept": "accepted",
         "reject": "rejected"}


def target(action: str, state: str) -> str:
    """The state ``action`` leads to from ``state``; :class:`Conflict` when the table has no such move."""
    to = TRANSITIONS.get((action, state))
    if to is None:
        done = _PAST.get(action, action)
        hint = " (act on its replacement instead)" if state == AssertionState.REPLACED else ""
        allowed = " or ".join(sorted(s for (name, s) in TRANSITIONS if name == action)) or "nothing"
        raise Conflict(f"the assertion is {state}: it cannot be {done}{hint}", details=[
            {"field": "state", "message": f"must be {allowed} to be {done}", "value": state}])
    return to


async def lock(session: AsyncSession, assertion: Assertion, action: str) -> None:
    """Lock the row (``SELECT … FOR UPDATE``; SQLite holds its write lock already), reload it and check that
    ``action`` is allowed from its current state (else :class:`Conflict`)."""
    state = await session.scalar(select(Assertion.state).where(Assertion.id == assertion.id).with_for_update())
    if state is None:
        raise Conflict("the assertion is gone")
    set_committed_value(assertion, "state", state)
    target(action, state)


async def apply(session: AsyncSession, assertion: Assertion, action: str, **values: Any) -> None:
    """Move ``assertion`` by ``action`` with one conditional UPDATE (also setting ``values``); the row
    count decides, so a concurrent change makes this :class:`Conflict`. The loaded object follows."""
    sources = [state for (name, state) in TRANSITIONS if name == action]
    if not sources:
        raise ValueError(f"unknown transition {action!r}")
    to = target(action, assertion.state)
    now = utcnow()
    changes = {"state": to, "updated_at": now, "state_updated_at": now, **values}
    result = cast(CursorResult[Any], await session.execute(
        update(Assertion).where(Assertion.id == assertion.id, Assertion.state.in_(sources))
        .values(**changes).execution_options(synchronize_session=False)))
    if result.rowcount != 1:
        now = await session.scalar(select(Assertion.state).where(Assertion.id == assertion.id))
        target(action, now or "deleted")  # raises: the table has no move from the state another request set
        raise Conflict("the assertion changed meanwhile; retry")
    for name, value in changes.items():
        set_committed_value(assertion, name, value)
    note_public_change(session, assertion.public_id)  # evicted from the public cache once committed
