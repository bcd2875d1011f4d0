"""Credly's badge templates under ``/v1/organizations/{organization_id}/badge_templates``: list, create, read,
update and delete. A template is a badge class of the organisation (issuer), the same row ``/v1`` and Badgr
serve; its public BadgeClass document is checked with :mod:`openbadges_core` before anything is stored.

Any role on the organisation reads; owners and editors write (with the token's ``issuer:write`` scope). A
template without criteria URL gets its description as the OB criteria narrative. Archived templates
(``state: archived``) cannot issue; a template with issued badges cannot be deleted (409: archive it)."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.badges.controllers import assertion_counts
from hosting.api.badges.inputs import check_candidate, columns
from hosting.api.deps import Caller, Db, Hosting, Store
from hosting.api.images import prefetch_image, read_image
from hosting.api.lookup import EDIT_ROLES, find_badge, find_issuer, require_role
from hosting.app.state import HostingState
from hosting.credly import paging
from hosting.credly.envelope import BodyInvalid, ok
from hosting.credly.openapi import (
    TEMPLATE_LIST_PARAMETERS,
    CredlyTemplateEnvelope,
    CredlyTemplateInput,
    CredlyTemplateList,
    CredlyTemplateUpdate,
    credly_doc,
)
from hosting.credly.template_inputs import acceptance_setting, template_columns
from hosting.credly.views import template_json
from hosting.lib.body import FieldErrors, read_body, slugify
from hosting.lib.errors import Conflict, InvalidInput, NotFound
from hosting.storage.models import BadgeClass, Issuer
from hosting.storage.store import HostingStore

__all__ = ["ROUTE_HANDLERS"]

_BODIES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
# The library's issue paths on a badge class → the template fields they come from.
_NAMES = {"criteria": "criteria_url", "criteria.id": "criteria_url", "criteria.narrative": "description"}
_SORTS: dict[str, Any] = {"name": paging.folded(BadgeClass.name), "created_at": BadgeClass.created_at,
                          "updated_at": BadgeClass.updated_at}
_FILTERS = ("state", "query")


def _refused(errors: FieldErrors) -> BodyInvalid:
    first = errors.details[0]
    return BodyInvalid(f"Validation failed: {first['field']} {first['message']}", details=errors.details)


async def _image_bytes(hosting: HostingState, value: Any) -> bytes | None:
    """The image ``value`` names; a bad one is Credly's 422 on ``image``."""
    try:
        return await read_image(hosting, value)
    except InvalidInput as exc:
        raise BodyInvalid(f"Validation failed: {exc.message}", **exc.extra) from None


async def _body(request: Request[Any, Any, Any], hosting: HostingState) -> dict[str, Any]:
    """The request body, a remote ``image`` fetched before any query (no transaction open meanwhile)."""
    data = await read_body(request)
    try:
        await prefetch_image(hosting, data)
    except InvalidInput as exc:
        raise BodyInvalid(f"Validation failed: {exc.message}", **exc.extra) from None
    return data


async def _template(session: AsyncSession, issuer: Issuer, ref: str) -> BadgeClass:
    try:
        return await find_badge(session, issuer, ref)
    except NotFound:
        raise NotFound("Badge template not found") from None


async def _view(session: AsyncSession, hosting: HostingState, badge: BadgeClass, issuer: Issuer) -> dict[str, Any]:
    counts = await assertion_counts(session, [badge.id])
    return template_json(badge, issuer, hosting.urls, issued_count=counts.get(badge.id, 0))


def _slug_of(name: str) -> str:
    return slugify(name) if any(c.isascii() and c.isalnum() for c in name) else "badge-template"


def _slug_taken(slug: str) -> BodyInvalid:
    return BodyInvalid("Validation failed: vanity_slug has already been taken", details=[
        {"field": "vanity_slug", "message": "has already been taken", "value": slug}])


async def _free_slug(session: AsyncSession, issuer: Issuer, name: str, given: str | None,
                     badge_id: int | None = None) -> str:
    """``given`` if no other template of ``issuer`` has it (else 422); without it, one made from ``name``."""
    candidate = given or _slug_of(name)
    query = select(BadgeClass.id).where(BadgeClass.issuer_id == issuer.id, BadgeClass.slug == candidate)
    if badge_id is not None:
        query = query.where(BadgeClass.id != badge_id)
    if await session.scalar(query) is None:
        return candidate
    if given:
        raise _slug_taken(given)
    return f"{candidate[:43].rstrip('-')}-{secrets.token_hex(3)}"


def _criteria(fields: dict[str, Any], before: BadgeClass | None) -> None:
    """OB criteria: the ``criteria_url`` given, else the description as narrative (kept in step with the
    description when it was taken from it)."""
    description = fields.get("description", before.description if before else None)
    if before is not None and "description" in fields and before.criteria_narrative == before.description:
        fields["criteria_narrative"] = description
    url = fields.get("criteria_url", before.criteria_url if before else None)
    narrative = fields.get("criteria_narrative", before.criteria_narrative if before else None)
    if not url and not narrative:
        fields["criteria_narrative"] = description


def _list_query(params: dict[str, str], errors: FieldErrors) -> tuple[list[ColumnElement[bool]], list[Any]]:
    """``filter`` (``state::active,archived|query::text``) and ``sort`` (``name``, ``created_at``,
    ``updated_at``, ``-`` for descending, ``|``-combined)."""
    conditions: list[ColumnElement[bool]] = []
    seen: set[str] = set()
    for part in filter(None, (params.get("filter") or "").split("|")):
        key, sep, value = part.partition("::")
        if not sep or key not in _FILTERS or key in seen:
            errors.add("filter", f"a key among {', '.join(_FILTERS)}, each once", key)
            continue
        seen.add(key)
        if not value.strip():
            errors.add(f"filter.{key}", "can't be blank", value)
        elif key == "state":
            states = [s.strip() for s in value.split(",")]
            if not all(s in ("active", "archived") for s in states):
                errors.add("filter.state", "active, archived or both (comma-separated)", value)
            else:
                conditions.append(BadgeClass.archived.in_([s == "archived" for s in states]))
        else:
            conditions.append(func.lower(BadgeClass.name).contains(value.strip().lower(), autoescape=True))
    order = paging.sort_order(params.get("sort") or "name", _SORTS, errors)
    return conditions, [*order, BadgeClass.id.asc()]


class TemplatesController(Controller):
    path = "/{organization_id:str}/badge_templates"
    opt = {"write_scope": "issuer:write"}  # noqa: RUF012 - reads need issuer:read

    @get("/", **credly_doc(CredlyTemplateList, parameters=TEMPLATE_LIST_PARAMETERS))
    async def list_templates(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                             hosting: Hosting, organization_id: FromPath[str]) -> Response[Any]:
        """The organisation's templates (archived ones too): ``filter``, ``sort``, ``page``, ``per``."""
        issuer, _ = await find_issuer(db_session, principal, organization_id)
        errors = FieldErrors()
        params = paging.query_parameters(request.query_params, ("filter", "sort", "page", "per"), errors)
        conditions, order = _list_query(params, errors)
        page, per = paging.page_and_per(params, errors)
        paging.check_query(errors)
        where = [BadgeClass.issuer_id == issuer.id, *conditions]
        total = int(await db_session.scalar(select(func.count()).select_from(BadgeClass).where(*where)) or 0)
        rows = list(await db_session.scalars(select(BadgeClass).where(*where).order_by(*order)
                                             .offset((page - 1) * per).limit(per)))
        counts = await assertion_counts(db_session, [b.id for b in rows])
        data = [template_json(b, issuer, hosting.urls, issued_count=counts.get(b.id, 0)) for b in rows]
        return ok(data, metadata=paging.page_metadata(request, hosting, page=page, per=per, total=total,
                                                      count=len(data)))

    @post("/", status_code=201, **credly_doc(CredlyTemplateEnvelope, status=201, body=CredlyTemplateInput,
                                             errors=(413, 422), media_types=_BODIES))
    async def create_template(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                              hosting: Hosting, store: Store, organization_id: FromPath[str]) -> Response[Any]:
        """Create a template (owners, editors); 201 with ``Location`` its public BadgeClass URL."""
        data = await _body(request, hosting)
        issuer, role = await find_issuer(db_session, principal, organization_id)
        require_role(principal, role, EDIT_ROLES, "creating badge templates")
        errors = FieldErrors()
        fields = acceptance_setting(template_columns(data, errors, creating=True), None)
        if not errors.details:
            _criteria(fields, None)
            probe = {**fields, "slug": "probe"}
            check_candidate(BadgeClass(issuer_id=issuer.id, image_id=0, **probe), hosting.urls, errors, _NAMES)
        if errors.details:
            raise _refused(errors)
        image = await _image_bytes(hosting, data.get("image"))
        if image is None:  # pragma: no cover - template_columns refused a missing image
            raise BodyInvalid("Validation failed: image can't be blank")
        badge = await _create(store, issuer, fields, image)
        body = await _view(db_session, hosting, badge, issuer)
        return ok(body, status=201, headers={"location": body["url"]})

    @get("/{template_id:str}", **credly_doc(CredlyTemplateEnvelope))
    async def get_template(self, db_session: Db, principal: Caller, hosting: Hosting,
                           organization_id: FromPath[str], template_id: FromPath[str]) -> Response[Any]:
        issuer, _ = await find_issuer(db_session, principal, organization_id)
        return ok(await _view(db_session, hosting, await _template(db_session, issuer, template_id), issuer))

    @put("/{template_id:str}", **credly_doc(CredlyTemplateEnvelope, body=CredlyTemplateUpdate, errors=(413, 422),
                                            media_types=_BODIES))
    async def update_template(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                              hosting: Hosting, store: Store, organization_id: FromPath[str],
                              template_id: FromPath[str]) -> Response[Any]:
        """Change the fields given (owners, editors); ``state: archived`` archives, ``active`` restores."""
        data = await _body(request, hosting)
        issuer, role = await find_issuer(db_session, principal, organization_id)
        require_role(principal, role, EDIT_ROLES, "editing badge templates")
        badge = await _template(db_session, issuer, template_id)
        errors = FieldErrors()
        fields = acceptance_setting(template_columns(data, errors, creating=False), badge.acceptance)
        image = data.get("image")
        own = hosting.urls.badge_image(badge.public_id)
        if image == own or (isinstance(image, dict) and image.get("url") == own):
            image = None  # GET-then-PUT echoes the template's own image
        if not errors.details:
            _criteria(fields, badge)
            check_candidate(BadgeClass(**{**columns(badge), **fields}), hosting.urls, errors, _NAMES)
        if errors.details:
            raise _refused(errors)
        if "slug" in fields:
            fields["slug"] = await _free_slug(db_session, issuer, badge.name, fields["slug"], badge.id)
        await store.update_badge_class(badge, fields, await _image_bytes(hosting, image))
        try:
            await db_session.flush()
        except IntegrityError as exc:  # a concurrent write took the vanity slug
            raise _slug_taken(badge.slug) from exc
        return ok(await _view(db_session, hosting, badge, issuer))

    @delete("/{template_id:str}", status_code=200, **credly_doc(CredlyTemplateEnvelope, errors=(409,)))
    async def delete_template(self, db_session: Db, principal: Caller, hosting: Hosting, store: Store,
                              organization_id: FromPath[str], template_id: FromPath[str]) -> Response[Any]:
        """Delete a template that has issued no badges (else 409: archive it with ``state: archived``)."""
        issuer, role = await find_issuer(db_session, principal, organization_id)
        require_role(principal, role, EDIT_ROLES, "deleting badge templates")
        badge = await _template(db_session, issuer, template_id)
        body = await _view(db_session, hosting, badge, issuer)
        await store.delete_badge_class(badge, lambda count: Conflict(
            f"the badge template has {count} issued badge(s) and cannot be deleted; archive it instead "
            "(state: archived)", details=[{"field": "base", "message": "has issued badges", "value": count}]))
        return ok(body)


async def _create(store: HostingStore, issuer: Issuer, fields: dict[str, Any], image: bytes) -> BadgeClass:
    """Store the template under a free slug (a derived one is derived again if a concurrent create took it)."""
    given = fields.pop("slug", None)
    for attempt in range(3):
        slug = await _free_slug(store.session, issuer, fields["name"], given) if attempt == 0 \
            else f"{_slug_of(fields['name'])[:43].rstrip('-')}-{secrets.token_hex(3)}"
        try:
            async with store.session.begin_nested():
                return await store.create_badge_class(issuer, slug=slug, image=image, **fields)
        except (IntegrityError, Conflict) as exc:
            if given is not None or attempt == 2:
                raise _slug_taken(slug) from exc
    raise _slug_taken(given or "")  # pragma: no cover - the loop returns or raises


ROUTE_HANDLERS: list[Any] = [TemplatesController]
