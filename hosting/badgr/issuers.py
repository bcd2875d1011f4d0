"""``/v2/issuers``: list, create, read (by entityId, by base64 openBadgeId), update, delete; and staff.

Visibility and rights are ``/v1``'s (hosting/api/lookup.py): a role is needed to see an issuer (404 otherwise),
owners and editors edit, owners delete and manage staff; the last owner can be neither removed nor demoted.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Sequence
from typing import Any

from litestar import Controller, Request, Response, delete, get, post, route
from litestar.di import NamedDependency
from litestar.enums import HttpMethod
from litestar.params import FromPath, FromQuery
from sqlalchemy import and_, exists, select
from sqlalchemy import delete as sql_delete
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.images import prefetch_image, read_image
from hosting.api.lookup import EDIT_ROLES, find_issuer, not_deleted, require_role
from hosting.api.removal import delete_issuer
from hosting.api.staff import refuse_if_last_owner
from hosting.app.state import HostingState
from hosting.badgr.auth import BadgrCall
from hosting.badgr.envelope import envelope, ok
from hosting.badgr.inputs import image_change, issuer_fields
from hosting.badgr.views import creators, issuer_entity, staff_entity
from hosting.lib.body import FieldErrors, read_body, slugify
from hosting.lib.db import note_public_change
from hosting.lib.errors import Conflict, InvalidInput, NotFound, NotPermitted
from hosting.storage.models import Issuer, Role, StaffRole, StoredImage, User

__all__ = ["ROUTE_HANDLERS", "issuer_view", "issuer_views"]

_ISSUER = {"badgr_scope": "issuer"}
_UPDATE = [HttpMethod.PUT, HttpMethod.PATCH]


async def issuer_views(session: AsyncSession, issuers: Sequence[Issuer], hosting: HostingState,
                       include_staff: bool = True) -> list[dict[str, Any]]:
    """Badgr entities of ``issuers`` (with their staff): two queries, however many issuers."""
    staff: dict[int, list[dict[str, Any]]] = {issuer.id: [] for issuer in issuers}
    if include_staff and issuers:
        rows = await session.execute(
            select(StaffRole, User).outerjoin(User, User.email == StaffRole.email)
            .where(StaffRole.issuer_id.in_(list(staff))).order_by(StaffRole.created_at, StaffRole.id))
        for row, user in rows:
            staff[row.issuer_id].append(staff_entity(row, user))
    by = await creators(session, (issuer.created_by for issuer in issuers))
    return [issuer_entity(issuer, hosting.urls, by, staff=staff[issuer.id] if include_staff else None)
            for issuer in issuers]


async def issuer_view(session: AsyncSession, issuer: Issuer, hosting: HostingState,
                      include_staff: bool = True) -> dict[str, Any]:
    (view,) = await issuer_views(session, [issuer], hosting, include_staff)
    return view


def _b64decode(value: str) -> bytes:
    """Base64, URL-safe or standard, padded or not (a ``:path`` parameter arrives with its leading "/")."""
    value = value.removeprefix("/")
    return base64.urlsafe_b64decode(value.replace("+", "-").replace("/", "_") + "=" * (-len(value) % 4))


def _decode_open_badge_id(value: str, hosting: HostingState) -> str:
    """The public id in a base64 (URL-safe or not, padded or not) openBadgeId of an issuer of this server."""
    try:
        url = _b64decode(value).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise NotFound("no such issuer") from None
    prefix = hosting.urls.issuer("")
    if not url.startswith(prefix) or "/" in url[len(prefix):]:
        raise NotFound("no such issuer")
    return url[len(prefix):]


def _include_staff(value: str | None) -> bool:
    return (value or "true").lower() not in ("false", "0", "no")


class IssuersController(Controller):
    path = "/issuers"
    opt = _ISSUER

    @get("/")
    async def list_issuers(self, v2: NamedDependency[BadgrCall],
                           include_staff: FromQuery[str | None] = None) -> Response[Any]:
        """The issuers the user holds a role on (every issuer for an admin), oldest first."""
        principal = v2.principal
        visible = not_deleted()
        if principal.issuers is not None:
            visible = and_(visible, Issuer.public_id.in_(sorted(principal.issuers)))
        if not principal.admin:
            visible = and_(visible, exists().where(StaffRole.issuer_id == Issuer.id,
                                                   StaffRole.email == principal.email))
        issuers = (await v2.session.scalars(select(Issuer).where(visible).order_by(Issuer.created_at, Issuer.id)
                                            .limit(1000))).all()
        return envelope(await issuer_views(v2.session, issuers, v2.hosting, _include_staff(include_staff)))

    @post("/", status_code=201, opt={"badgr_scope": "issuer:create"})
    async def create_issuer(self, request: Request[Any, Any, Any], v2: NamedDependency[BadgrCall],
                            include_staff: FromQuery[str | None] = None) -> Response[Any]:
        """Create an issuer; the user becomes its owner (needs the unrestricted ``rw:issuer``)."""
        data = await read_body(request)
        await prefetch_image(v2.hosting, data)
        errors = FieldErrors()
        fields = issuer_fields(data, errors, creating=True)
        errors.raise_if_any()
        image = await read_image(v2.hosting, data.get("image"))
        slug = slugify(fields["name"])
        if await v2.session.scalar(select(Issuer.id).where(Issuer.slug == slug)) is not None:
            slug = f"{slug[:43]}-{secrets.token_hex(3)}"
        issuer = await v2.store.create_issuer(slug=slug, image=image, created_by=v2.principal.email, **fields)
        v2.session.add(StaffRole(issuer_id=issuer.id, email=v2.principal.email, role=Role.OWNER))
        await v2.session.flush()
        return ok(await issuer_view(v2.session, issuer, v2.hosting, _include_staff(include_staff)), status=201)

    @get("/{issuer_ref:str}")
    async def get_issuer(self, v2: NamedDependency[BadgrCall], issuer_ref: FromPath[str],
                         include_staff: FromQuery[str | None] = None) -> Response[Any]:
        issuer, _ = await find_issuer(v2.session, v2.principal, issuer_ref)
        return ok(await issuer_view(v2.session, issuer, v2.hosting, _include_staff(include_staff)))

    @get(["/openBadgeId/{open_badge_id:path}", "/ref/{open_badge_id:path}"])
    async def get_by_open_badge_id(self, v2: NamedDependency[BadgrCall], open_badge_id: FromPath[str],
                                   include_staff: FromQuery[str | None] = None) -> Response[Any]:
        """An issuer by its base64-encoded openBadgeId (the public URL here)."""
        issuer, _ = await find_issuer(v2.session, v2.principal, _decode_open_badge_id(open_badge_id, v2.hosting))
        return ok(await issuer_view(v2.session, issuer, v2.hosting, _include_staff(include_staff)))

    @route(["/openBadgeId/{open_badge_id:path}", "/ref/{open_badge_id:path}"], http_method=_UPDATE)
    async def update_by_open_badge_id(self, request: Request[Any, Any, Any], v2: NamedDependency[BadgrCall],
                                      open_badge_id: FromPath[str], include_staff: FromQuery[str | None] = None) -> Response[Any]:
        """Update the issuer of a base64 openBadgeId, as :meth:`update_issuer`."""
        return await self._update(request, v2, _decode_open_badge_id(open_badge_id, v2.hosting),
                                  _include_staff(include_staff))

    @delete(["/openBadgeId/{open_badge_id:path}", "/ref/{open_badge_id:path}"], status_code=204)
    async def delete_by_open_badge_id(self, v2: NamedDependency[BadgrCall], open_badge_id: FromPath[str]) -> None:
        await self._delete(v2, _decode_open_badge_id(open_badge_id, v2.hosting))

    async def _update(self, request: Request[Any, Any, Any], v2: BadgrCall, issuer_ref: str,
                      include_staff: bool) -> Response[Any]:
        data = await read_body(request)
        await prefetch_image(v2.hosting, data)
        issuer, role = await find_issuer(v2.session, v2.principal, issuer_ref)
        require_role(v2.principal, role, EDIT_ROLES, "editing the issuer")
        errors = FieldErrors()
        fields = issuer_fields(data, errors, creating=False, replacing=request.method == "PUT")
        errors.raise_if_any()
        new = await read_image(v2.hosting, image_change(data, v2.hosting.urls.issuer_image(issuer.public_id)))
        old_image = None
        if new is not None:
            old_image, issuer.image_id = issuer.image_id, (await v2.store.add_image(new)).id
        for name, value in fields.items():
            setattr(issuer, name, value)
        issuer.invalidate()
        await v2.session.flush()
        if old_image is not None:
            await v2.session.execute(sql_delete(StoredImage).where(StoredImage.id == old_image))
        note_public_change(v2.session)  # the issuer's documents and every page naming it: after COMMIT
        return ok(await issuer_view(v2.session, issuer, v2.hosting, include_staff))

    @route("/{issuer_ref:str}", http_method=_UPDATE)
    async def update_issuer(self, request: Request[Any, Any, Any], v2: NamedDependency[BadgrCall],
                            issuer_ref: FromPath[str], include_staff: FromQuery[str | None] = None) -> Response[Any]:
        """Update (owners, editors): PUT takes the whole issuer (``name``, ``email``, ``url``, ``description``
        required; ``image`` optional, kept when absent), PATCH the fields given."""
        return await self._update(request, v2, issuer_ref, _include_staff(include_staff))

    @delete("/{issuer_ref:str}", status_code=204)
    async def delete_issuer(self, v2: NamedDependency[BadgrCall], issuer_ref: FromPath[str]) -> None:
        """Delete (owners; 204 as Badgr): refused (409) while it has active or pending assertions (revoked and
        replaced ones do not count); its claim codes are withdrawn; its public documents stay."""
        await self._delete(v2, issuer_ref)

    async def _delete(self, v2: BadgrCall, issuer_ref: str) -> None:
        issuer, role = await find_issuer(v2.session, v2.principal, issuer_ref)
        require_role(v2.principal, role, (Role.OWNER,), "deleting the issuer")
        await delete_issuer(v2.store, issuer, deleted_by=v2.principal.email, reason="issuer deleted", force=False)


class StaffController(Controller):
    path = "/issuers/{issuer_ref:str}/staff"
    opt = _ISSUER

    async def _owned(self, v2: BadgrCall, ref: str) -> Issuer:
        issuer, role = await find_issuer(v2.session, v2.principal, ref)
        if not v2.principal.admin and role != Role.OWNER:
            raise NotPermitted("only an owner manages the staff of an issuer",
                               details=[{"field": "role", "message": "needs owner", "value": role}])
        await v2.session.execute(select(Issuer.id).where(Issuer.id == issuer.id).with_for_update())
        return issuer

    async def _body(self, request: Request[Any, Any, Any]) -> tuple[str, str]:
        data = await read_body(request)
        errors = FieldErrors()
        email = errors.email(data, "email", required=True)
        role = errors.text(data, "role", required=True)
        if role is not None and role not in Role.ALL:
            errors.add("role", f"one of {', '.join(Role.ALL)}", role)
        errors.raise_if_any()
        assert email is not None and role is not None
        return email, role

    async def _member(self, v2: BadgrCall, issuer: Issuer, email: str) -> StaffRole:
        row = await v2.session.scalar(select(StaffRole).where(StaffRole.issuer_id == issuer.id,
                                                              StaffRole.email == email))
        if row is None:
            raise NotFound("no staff member with that email on this issuer")
        return row

    @post(["/", "/invitations"], status_code=200)
    async def add_staff(self, request: Request[Any, Any, Any], v2: NamedDependency[BadgrCall],
                        issuer_ref: FromPath[str]) -> Response[Any]:
        """Give ``email`` a ``role`` (owners). No invitation email: the role applies at once."""
        issuer = await self._owned(v2, issuer_ref)
        email, role = await self._body(request)
        if await v2.session.scalar(select(StaffRole.id).where(StaffRole.issuer_id == issuer.id,
                                                              StaffRole.email == email)) is not None:
            raise Conflict(f"{email} already has a role on this issuer",
                           details=[{"field": "email", "message": "already staff", "value": email}])
        v2.session.add(StaffRole(issuer_id=issuer.id, email=email, role=role))
        await v2.session.flush()
        return ok(await issuer_view(v2.session, issuer, v2.hosting))

    @route("/", http_method=_UPDATE)
    async def change_staff(self, request: Request[Any, Any, Any], v2: NamedDependency[BadgrCall],
                           issuer_ref: FromPath[str]) -> Response[Any]:
        """Change a member's role (owners; PUT or PATCH); the last owner cannot be demoted."""
        issuer = await self._owned(v2, issuer_ref)
        email, role = await self._body(request)
        row = await self._member(v2, issuer, email)
        if role != Role.OWNER:
            await refuse_if_last_owner(v2.session, issuer, row, "demote")
        row.role = role
        await v2.session.flush()
        return ok(await issuer_view(v2.session, issuer, v2.hosting))

    @delete("/{email_b64:path}", status_code=200)  # a path: standard base64 may hold "/"
    async def remove_staff(self, v2: NamedDependency[BadgrCall], issuer_ref: FromPath[str],
                           email_b64: FromPath[str]) -> Response[Any]:
        """Remove the member whose email is base64-encoded in the path (owners); never the last owner."""
        issuer = await self._owned(v2, issuer_ref)
        try:
            email = _b64decode(email_b64).decode().strip().lower()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InvalidInput("the email must be base64-encoded", details=[
                {"field": "emailBase64", "message": "not base64", "value": email_b64}]) from None
        row = await self._member(v2, issuer, email)
        await refuse_if_last_owner(v2.session, issuer, row, "remove")
        await v2.session.delete(row)
        await v2.session.flush()
        return ok(await issuer_view(v2.session, issuer, v2.hosting))


ROUTE_HANDLERS: list[Any] = [IssuersController, StaffController]
