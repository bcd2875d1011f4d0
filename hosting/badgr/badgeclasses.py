"""``/v2/badgeclasses`` and ``/v2/issuers/{id}/badgeclasses``: list, create, read, update, delete badge classes.

Any role on the issuer reads; owners and editors write. A badge class with assertions cannot be deleted (409).
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from sqlalchemy import select
from sqlalchemy.inspection import inspect

from hosting.api.images import prefetch_image, read_image
from hosting.api.lookup import EDIT_ROLES, find_issuer, require_role
from hosting.badgr.auth import BadgrCall
from hosting.badgr.envelope import envelope, ok
from hosting.badgr.inputs import badge_fields, check_badge, flag, image_change
from hosting.badgr.lookup import find_in_issuer
from hosting.badgr.views import badgeclass_entity, creators
from hosting.lib.body import FieldErrors, read_body, slugify
from hosting.lib.db import note_public_change
from hosting.lib.errors import Conflict
from hosting.storage.models import BadgeClass, Issuer

__all__ = ["ROUTE_HANDLERS", "find_badgeclass"]

_ISSUER = {"badgr_scope": "issuer"}


async def find_badgeclass(v2: BadgrCall, ref: str) -> tuple[Issuer, str | None, BadgeClass]:
    """A badge class by entityId, with its issuer and the caller's role (404 without a role, or out of scope)."""
    badge, issuer, role = await find_in_issuer(v2, BadgeClass, ref, "badge class")
    return issuer, role, badge


async def _create(v2: BadgrCall, data: dict[str, Any], issuer_ref: str) -> Response[Any]:
    await prefetch_image(v2.hosting, data)
    issuer, role = await find_issuer(v2.session, v2.principal, issuer_ref)
    require_role(v2.principal, role, EDIT_ROLES, "creating badge classes")
    errors = FieldErrors()
    fields = badge_fields(data, errors, creating=True)
    check_badge(BadgeClass(issuer_id=issuer.id, slug="probe", image_id=0, **fields), v2.hosting.urls, errors)
    errors.raise_if_any()
    image = await read_image(v2.hosting, data.get("image"))
    assert image is not None  # badge_fields refused a missing image
    base = slugify(fields["name"]) if re.search(r"[a-z0-9]", fields["name"].lower()) else "badge"
    slug = f"{base[:42].rstrip('-')}-{secrets.token_hex(3)}"
    badge = await v2.store.create_badge_class(issuer, slug=slug, image=image, created_by=v2.principal.email,
                                              **fields)
    return ok(await _view(v2, badge, issuer), status=201)


async def _view(v2: BadgrCall, badge: BadgeClass, issuer: Issuer) -> dict[str, Any]:
    return badgeclass_entity(badge, issuer.public_id, v2.hosting.urls, await creators(v2.session, [badge.created_by]))


class IssuerBadgeClassesController(Controller):
    path = "/issuers/{issuer_ref:str}/badgeclasses"
    opt = _ISSUER

    @get("/")
    async def list_badgeclasses(self, v2: NamedDependency[BadgrCall], issuer_ref: FromPath[str],
                                include_archived: FromQuery[str | None] = None) -> Response[Any]:
        """The issuer's badge classes, oldest first (archived ones only with ``include_archived=true``)."""
        issuer, _ = await find_issuer(v2.session, v2.principal, issuer_ref)
        errors = FieldErrors()
        archived = flag({"include_archived": include_archived}, "include_archived", False, errors)
        errors.raise_if_any()
        query = select(BadgeClass).where(BadgeClass.issuer_id == issuer.id)
        if not archived:
            query = query.where(BadgeClass.archived.is_(False))
        badges = (await v2.session.scalars(query.order_by(BadgeClass.created_at, BadgeClass.id).limit(1000))).all()
        by = await creators(v2.session, (b.created_by for b in badges))
        return envelope([badgeclass_entity(b, issuer.public_id, v2.hosting.urls, by) for b in badges])

    @post("/", status_code=201)
    async def create_badgeclass(self, request: Request[Any, Any, Any], v2: NamedDependency[BadgrCall],
                                issuer_ref: FromPath[str]) -> Response[Any]:
        """Create a badge class (owners, editors); ``image`` a data: URI or an http(s) URL."""
        data = await read_body(request)
        data.pop("issuer", None)
        return await _create(v2, data, issuer_ref)


class BadgeClassesController(Controller):
    path = "/badgeclasses"
    opt = _ISSUER

    @post("/", status_code=201)
    async def create_badgeclass(self, request: Request[Any, Any, Any], v2: NamedDependency[BadgrCall]
                                ) -> Response[Any]:
        """Create a badge class of the issuer named in the body (``issuer``: its entityId)."""
        data = await read_body(request)
        issuer_ref = data.pop("issuer", None)
        if not isinstance(issuer_ref, str) or not issuer_ref:
            errors = FieldErrors()
            errors.add("issuer", "required: the entityId of the issuer", None)
            errors.raise_if_any()
        return await _create(v2, data, str(issuer_ref))

    @get("/{badge_ref:str}")
    async def get_badgeclass(self, v2: NamedDependency[BadgrCall], badge_ref: FromPath[str]) -> Response[Any]:
        issuer, _, badge = await find_badgeclass(v2, badge_ref)
        return ok(await _view(v2, badge, issuer))

    @put("/{badge_ref:str}")
    async def put_badgeclass(self, request: Request[Any, Any, Any], v2: NamedDependency[BadgrCall],
                             badge_ref: FromPath[str]) -> Response[Any]:
        """Update (owners, editors): the fields given change; a new ``image`` replaces the artwork."""
        data = await read_body(request)
        data.pop("issuer", None)
        await prefetch_image(v2.hosting, data)
        issuer, role, badge = await find_badgeclass(v2, badge_ref)
        require_role(v2.principal, role, EDIT_ROLES, "editing badge classes")
        errors = FieldErrors()
        fields = badge_fields(data, errors, creating=False)
        columns = {a.key: getattr(badge, a.key) for a in inspect(BadgeClass).column_attrs}
        check_badge(BadgeClass(**{**columns, **fields}), v2.hosting.urls, errors)
        errors.raise_if_any()
        new = await read_image(v2.hosting, image_change(data, v2.hosting.urls.badge_image(badge.public_id)))
        if new is not None:
            await v2.store.replace_badge_image(badge, new)
        for column, value in fields.items():
            setattr(badge, column, value)
        badge.invalidate()
        await v2.session.flush()
        note_public_change(v2.session, badge.public_id)
        return ok(await _view(v2, badge, issuer))

    @delete("/{badge_ref:str}", status_code=204)
    async def delete_badgeclass(self, v2: NamedDependency[BadgrCall], badge_ref: FromPath[str]) -> None:
        """Delete a badge class without assertions (owners, editors; 204 as Badgr); 409 otherwise."""
        _, role, badge = await find_badgeclass(v2, badge_ref)
        require_role(v2.principal, role, EDIT_ROLES, "deleting badge classes")
        # with its claim codes and image (the store's deletion, as every API's)
        await v2.store.delete_badge_class(badge, lambda count: Conflict(
            f"the badge class has {count} assertion(s) and cannot be deleted"))


ROUTE_HANDLERS: list[Any] = [IssuerBadgeClassesController, BadgeClassesController]
