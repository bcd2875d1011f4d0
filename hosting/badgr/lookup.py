"""Finding a badge class or an assertion by its entityId, through its issuer: 404 (never 403, which would tell
that it exists) unless the caller holds a role on that issuer and the token's scope reaches it."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select

from hosting.api.lookup import find_issuer
from hosting.badgr.auth import BadgrCall
from hosting.lib.errors import NotFound
from hosting.lib.ids import is_public_id
from hosting.storage.models import Assertion, BadgeClass, Issuer

__all__ = ["find_in_issuer"]

Row = TypeVar("Row", BadgeClass, Assertion)


async def find_in_issuer(v2: BadgrCall, model: type[Row], ref: str, noun: str) -> tuple[Row, Issuer, str | None]:
    """The ``model`` row whose public id is ``ref``, its issuer and the caller's role there (``no such <noun>``:
    404 when it does not exist or the caller may not see its issuer)."""
    found = None
    if is_public_id(ref):
        found = (await v2.session.execute(select(model, Issuer.public_id).join(Issuer, Issuer.id == model.issuer_id)
                                       .where(model.public_id == ref))).first()
    if found is not None:
        row, issuer_ref = found
        try:
            issuer, role = await find_issuer(v2.session, v2.principal, issuer_ref)
        except NotFound:
            pass
        else:
            return row, issuer, role
    raise NotFound(f"no such {noun}")
