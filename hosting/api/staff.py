"""``/v1/issuers/{issuer}/staff``: per-issuer roles as in Badgr (owner, editor, staff).

Anyone with a role may list the staff; only owners (and admins) add, change or remove roles; the last owner
can be neither removed nor demoted (409).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post, put
from litestar.params import FromPath
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.auth import Principal
from hosting.api.deps import Caller, Db
from hosting.api.lookup import find_issuer
from hosting.api.openapi import StaffChanged, StaffInput, StaffPage, StaffRoleInput, api_doc
from hosting.lib.body import normalise_email, read_body
from hosting.lib.convert import convert
from hosting.lib.errors import Conflict, NotFound, NotPermitted
from hosting.lib.times import iso
from hosting.storage.models import Issuer, Role, StaffRole

__all__ = ["StaffController", "refuse_if_last_owner"]


def staff_json(row: StaffRole) -> dict[str, Any]:
    return {"email": row.email, "role": row.role, "createdAt": iso(row.created_at)}


async def _owned_issuer(session: AsyncSession, principal: Principal, ref: str) -> Issuer:
    """The issuer, locked for the rest of the transaction, if the caller may manage its staff."""
    issuer, role = await find_issuer(session, principal, ref)
    if not principal.admin and role != Role.OWNER:
        raise NotPermitted("only an owner manages the staff of an issuer",
                        details=[{"field": "role", "message": "needs owner", "value": role}])
    # Serialise staff changes per issuer (PostgreSQL row lock; SQLite has a single writer anyway).
    await session.execute(select(Issuer.id).where(Issuer.id == issuer.id).with_for_update())
    return issuer


async def _member(session: AsyncSession, issuer: Issuer, email: str) -> StaffRole:
    if len(email) > 320 or "\x00" in email or "@" not in email:  # odd input: not found, before any query
        raise NotFound("no staff member with that email on this issuer")
    row = await session.scalar(select(StaffRole).where(StaffRole.issuer_id == issuer.id,
                                                       StaffRole.email == normalise_email(email)))
    if row is None:
        raise NotFound("no staff member with that email on this issuer")
    return row


async def refuse_if_last_owner(session: AsyncSession, issuer: Issuer, row: StaffRole, action: str) -> None:
    """:class:`Conflict` when ``row`` is the issuer's only owner (an issuer keeps at least one)."""
    if row.role != Role.OWNER:
        return
    owners = int(await session.scalar(select(func.count()).select_from(StaffRole).where(
        StaffRole.issuer_id == issuer.id, StaffRole.role == Role.OWNER)) or 0)
    if owners <= 1:
        raise Conflict(f"cannot {action} the last owner of the issuer", details=[
            {"resource": "staff", "field": "role", "message": "last owner", "value": row.email}])


class StaffController(Controller):
    path = "/issuers/{issuer_ref:str}/staff"
    tags = ["staff"]  # noqa: RUF012 - Litestar reads these class attributes
    opt = {"write_scope": "issuer:write"}  # noqa: RUF012 - reads need issuer:read (hosting/api/auth.py)

    @get("/", **api_doc(StaffPage, errors=(404,)))
    async def list_staff(self, db_session: Db, principal: Caller,
                         issuer_ref: FromPath[str]) -> dict[str, Any]:
        """Everyone holding a role on the issuer (visible to anyone with a role, and admins)."""
        issuer, _ = await find_issuer(db_session, principal, issuer_ref)
        rows = (await db_session.scalars(select(StaffRole).where(StaffRole.issuer_id == issuer.id)
                                         .order_by(StaffRole.created_at, StaffRole.id))).all()
        return {"staff": [staff_json(r) for r in rows],
                "metadata": {"count": len(rows), "current_page": 1, "total_count": len(rows), "total_pages": 1,
                             "next_page_url": None, "previous_page_url": None}}

    @post("/", status_code=201, **api_doc(StaffChanged, status=201, body=StaffInput, errors=(404, 409)))
    async def add_staff(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                        issuer_ref: FromPath[str]) -> dict[str, Any]:
        """Give ``email`` a ``role`` on the issuer (409 if they already have one: use PUT to change it)."""
        issuer = await _owned_issuer(db_session, principal, issuer_ref)
        body = convert(await read_body(request), StaffInput)
        email, role = body.email, body.role
        conflict = Conflict(f"{email} already has a role on this issuer", details=[
            {"resource": "staff", "field": "email", "message": "already staff", "value": email}])
        if await db_session.scalar(select(StaffRole.id).where(StaffRole.issuer_id == issuer.id,
                                                              StaffRole.email == email)) is not None:
            raise conflict
        row = StaffRole(issuer_id=issuer.id, email=email, role=role)
        db_session.add(row)
        try:
            await db_session.flush()
        except IntegrityError as exc:
            raise conflict from exc
        return {"status": "created", "staff": staff_json(row)}

    @put("/{email:str}", **api_doc(StaffChanged, body=StaffRoleInput, errors=(404, 409)))
    async def change_role(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                          issuer_ref: FromPath[str], email: FromPath[str]) -> dict[str, Any]:
        """Change a member's role; the last owner cannot be demoted."""
        issuer = await _owned_issuer(db_session, principal, issuer_ref)
        row = await _member(db_session, issuer, email)
        role = convert(await read_body(request), StaffRoleInput).role
        if role != Role.OWNER:
            await refuse_if_last_owner(db_session, issuer, row, "demote")
        row.role = role
        await db_session.flush()
        return {"status": "updated", "staff": staff_json(row)}

    @delete("/{email:str}", status_code=200, **api_doc(StaffChanged, errors=(404, 409)))
    async def remove_staff(self, db_session: Db, principal: Caller, issuer_ref: FromPath[str],
                           email: FromPath[str]) -> dict[str, Any]:
        """Remove a member's role; the last owner cannot be removed."""
        issuer = await _owned_issuer(db_session, principal, issuer_ref)
        row = await _member(db_session, issuer, email)
        await refuse_if_last_owner(db_session, issuer, row, "remove")
        body = staff_json(row)
        await db_session.delete(row)
        await db_session.flush()
        return {"status": "deleted", "staff": body}

ROUTE_HANDLERS: list[Any] = [StaffController]
