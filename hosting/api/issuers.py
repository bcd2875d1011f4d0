"""``/v1/issuers``: list, create, read, update (PUT/PATCH change only the fields given) and delete issuers.

Visibility follows Badgr's staff roles: a user sees an issuer only if they hold a role on it (admins see all);
for anyone else it does not exist (404, never 403). Owners and editors edit, only owners delete.
"""

from __future__ import annotations

import math
import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, QueryParameter
from msgspec import UNSET
from sqlalchemy import and_, exists, func, select
from sqlalchemy import delete as sql_delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.auth import Principal
from hosting.api.deps import Caller, Db, Hosting, Store
from hosting.api.images import prefetch_image, read_image
from hosting.api.lookup import EDIT_ROLES, find_issuer, not_deleted, require_role
from hosting.api.openapi import IssuerChanged, IssuerEnvelope, IssuerInput, IssuerPage, IssuerPatch, api_doc
from hosting.api.removal import delete_issuer
from hosting.app.state import HostingState
from hosting.lib.body import FieldErrors, read_body, slugify
from hosting.lib.convert import convert
from hosting.lib.db import note_public_change
from hosting.lib.errors import Conflict
from hosting.lib.times import iso
from hosting.storage.models import Issuer, Role, StaffRole, StoredImage
from hosting.storage.store import HostingStore
from openbadges_core import ob2

__all__ = ["IssuersController", "check_issuer_links", "issuer_json"]


def issuer_json(issuer: Issuer, state: HostingState, role: str | None) -> dict[str, Any]:
    return {
        "id": issuer.public_id,
        "slug": issuer.slug,
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
        "description": issuer.description,
        "image": state.urls.issuer_image(issuer.public_id) if issuer.image_id is not None else None,
        "publicUrl": state.urls.issuer(issuer.public_id),
        "role": role,
        "createdAt": iso(issuer.created_at),
        "updatedAt": iso(issuer.updated_at),
    }


_READ_ONLY = frozenset({"id", "publicUrl", "role", "createdAt", "updatedAt"})  # echoed back by GET-then-PUT


def _issuer_fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The issuer's column values the body gives (all required ones when ``creating``); the image aside."""
    shape: type[IssuerInput | IssuerPatch] = IssuerInput if creating else IssuerPatch
    data = convert(body, shape, ignore=_READ_ONLY)
    out = {name: value for name in ("slug", "name", "url", "email", "description")
           if (value := getattr(data, name)) is not UNSET}
    if "description" in out:
        out["description"] = out["description"] or None  # null or "" clears it
    errors = FieldErrors()
    check_issuer_links(out, errors)
    errors.raise_if_any()
    return out


def check_issuer_links(fields: dict[str, Any], errors: FieldErrors) -> None:
    """Refuse a ``url``/``email`` the library would not accept in the public Issuer Profile (else: a 500
    later); shared with Badgr's ``/v2`` (same field names)."""
    given = {f: fields[f] for f in ("url", "email") if isinstance(fields.get(f), str)}
    if not given:
        return
    probe = {"@context": ob2.OB2_CONTEXT, "type": "Issuer", "id": "https://issuer.example.org/probe",
             "name": "probe", "url": "https://issuer.example.org/", "email": "probe@example.org", **given}
    for issue in ob2.document_issues(probe, kind="Issuer"):
        field = issue.path.split(".", 1)[0].split("[", 1)[0]
        if field in given:
            errors.add(field, issue.message, given[field])


async def _check_slug_free(session: AsyncSession, slug: str, issuer_id: int | None = None) -> None:
    query = select(Issuer.id).where(Issuer.slug == slug)
    if issuer_id is not None:
        query = query.where(Issuer.id != issuer_id)
    if await session.scalar(query) is not None:
        raise Conflict(f"an issuer with slug {slug!r} exists",
                               details=[{"field": "slug", "message": "taken", "value": slug,
                                         "resource": "issuer"}])


async def _set_image(store: HostingStore, state: HostingState, issuer: Issuer, value: Any) -> bool:
    """Replace (upload, ``data:`` URI, URL) or remove (``null``/``""``) the issuer's image; True if it changed.

    The issuer's own public image URL (echoed back by GET-then-PUT) keeps the image.
    """
    if isinstance(value, str) and issuer.image_id is not None \
            and value.strip() == state.urls.issuer_image(issuer.public_id):
        return False
    data = await read_image(state, value)
    if data is None and issuer.image_id is None:
        return False
    old_id = issuer.image_id
    if data is not None:
        issuer.image_id = (await store.add_image(data)).id
    else:
        issuer.image_id = None
    issuer.invalidate()
    await store.session.flush()
    if old_id is not None:
        await store.session.execute(sql_delete(StoredImage).where(StoredImage.id == old_id))
    return True


class IssuersController(Controller):
    path = "/issuers"
    tags = ["issuers"]  # noqa: RUF012 - Litestar reads these class attributes
    opt = {"write_scope": "issuer:write"}  # noqa: RUF012 - reads need issuer:read (hosting/api/auth.py)

    @get("/", **api_doc(IssuerPage))
    async def list_issuers(self, db_session: Db, principal: Caller,
                           hosting: Hosting, page: Annotated[int, QueryParameter(ge=1, le=1_000_000)] = 1,
                           per_page: Annotated[int, QueryParameter(ge=1, le=100)] = 50) -> dict[str, Any]:
        """The issuers the token's user holds a role on (all of them for an admin token)."""
        role_col = select(StaffRole.role).where(
            StaffRole.issuer_id == Issuer.id, StaffRole.email == principal.email).scalar_subquery()
        visible = not_deleted()
        if principal.issuers is not None:  # an OAuth2 token scoped rw:issuer:<id>
            visible = and_(visible, Issuer.public_id.in_(sorted(principal.issuers)))
        if not principal.admin:
            visible = and_(visible, exists().where(
                StaffRole.issuer_id == Issuer.id, StaffRole.email == principal.email))
        total = int(await db_session.scalar(select(func.count()).select_from(Issuer).where(visible)) or 0)
        rows = (await db_session.execute(
            select(Issuer, role_col).where(visible).order_by(Issuer.created_at, Issuer.id)
            .offset((page - 1) * per_page).limit(per_page))).all()
        pages = max(1, math.ceil(total / per_page))
        base = f"{hosting.settings.base_url}/v1/issuers"

        def _page_url(n: int) -> str | None:
            return f"{base}?{urlencode({'page': n, 'per_page': per_page})}" if 1 <= n <= pages else None

        return {
            "issuers": [issuer_json(issuer, hosting, role) for issuer, role in rows],
            "metadata": {"count": len(rows), "current_page": page, "total_count": total, "total_pages": pages,
                         "next_page_url": _page_url(page + 1), "previous_page_url": _page_url(page - 1)},
        }

    @post("/", status_code=201, **api_doc(IssuerChanged, status=201, body=IssuerInput, errors=(409,)))
    async def create_issuer(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                            hosting: Hosting, store: Store) -> dict[str, Any]:
        """Create an issuer; the token's user becomes its owner."""
        principal.require_unrestricted("creating issuers")
        data = await read_body(request)
        await prefetch_image(hosting, data)
        fields = _issuer_fields(data, creating=True)
        image = await read_image(hosting, data.get("image"))
        slug = fields.pop("slug", None)
        if slug is None:  # derived from the name: pick a free variant instead of refusing
            slug = slugify(fields["name"])
            if await db_session.scalar(select(Issuer.id).where(Issuer.slug == slug)) is not None:
                slug = f"{slug[:43]}-{secrets.token_hex(3)}"
        try:
            issuer = await store.create_issuer(slug=slug, image=image, created_by=principal.email, **fields)
        except IntegrityError as exc:  # a concurrent create took the slug between check and insert
            raise Conflict(f"an issuer with slug {slug!r} exists",
                                   details=[{"field": "slug", "message": "taken", "value": slug}]) from exc
        db_session.add(StaffRole(issuer_id=issuer.id, email=principal.email, role=Role.OWNER))
        await db_session.flush()
        return {"status": "created", "issuer": issuer_json(issuer, hosting, Role.OWNER)}

    @get("/{issuer_ref:str}", **api_doc(IssuerEnvelope, errors=(404,)))
    async def get_issuer(self, db_session: Db, principal: Caller,
                         hosting: Hosting, issuer_ref: FromPath[str]) -> dict[str, Any]:
        issuer, role = await find_issuer(db_session, principal, issuer_ref)
        return {"issuer": issuer_json(issuer, hosting, role)}

    async def _update(self, request: Request[Any, Any, Any], db_session: AsyncSession, principal: Principal,
                      hosting: HostingState, store: HostingStore, issuer_ref: str) -> dict[str, Any]:
        data = await read_body(request)
        await prefetch_image(hosting, data)  # before the first query: no transaction open while fetching
        issuer, role = await find_issuer(db_session, principal, issuer_ref)
        require_role(principal, role, EDIT_ROLES, "editing the issuer")
        fields = _issuer_fields(data, creating=False)
        if fields.get("slug") is not None and fields["slug"] != issuer.slug:
            await _check_slug_free(db_session, fields["slug"], issuer.id)
        changed = "image" in data and await _set_image(store, hosting, issuer, data["image"])
        for name, value in fields.items():
            if name == "slug" and value is None:
                continue
            if getattr(issuer, name) != value:
                setattr(issuer, name, value)
                changed = True
        if changed:
            issuer.invalidate()
        await db_session.flush()
        if changed:
            note_public_change(db_session)
        return {"status": "updated", "issuer": issuer_json(issuer, hosting, role)}

    @put("/{issuer_ref:str}", **api_doc(IssuerChanged, body=IssuerPatch, errors=(404, 409)))
    async def put_issuer(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                         hosting: Hosting, store: Store, issuer_ref: FromPath[str]) -> dict[str, Any]:
        """Change the fields given (BadgeKit semantics: fields not given keep their value)."""
        return await self._update(request, db_session, principal, hosting, store, issuer_ref)

    @patch("/{issuer_ref:str}", **api_doc(IssuerChanged, body=IssuerPatch, errors=(404, 409)))
    async def patch_issuer(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                           hosting: Hosting, store: Store, issuer_ref: FromPath[str]) -> dict[str, Any]:
        """Change the fields given."""
        return await self._update(request, db_session, principal, hosting, store, issuer_ref)

    @delete("/{issuer_ref:str}", status_code=200, **api_doc(IssuerChanged, errors=(404, 409)))
    async def delete_issuer(self, db_session: Db, principal: Caller,
                            hosting: Hosting, store: Store, issuer_ref: FromPath[str],
                            force: FromQuery[bool] = False) -> dict[str, Any]:
        """Delete (owners only). With active or pending assertions: 409, unless ``?force=true``, which
        revokes them all (revoked, rejected and replaced ones do not count).

        The issuer disappears from the API and its slug is freed; its public documents stay published so
        the revoked assertions keep answering 410 and verifiers can tell why.
        """
        issuer, role = await find_issuer(db_session, principal, issuer_ref)
        require_role(principal, role, (Role.OWNER,), "deleting the issuer")
        body = issuer_json(issuer, hosting, role)
        await delete_issuer(store, issuer, deleted_by=principal.email, reason="issuer deleted", force=force,
                            advice="revoke them or use ?force=true")
        return {"status": "deleted", "issuer": body}

ROUTE_HANDLERS: list[Any] = [IssuersController]
