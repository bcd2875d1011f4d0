"""``/v1/issuers/{issuer}/badges``: list, create, read, update (PUT/PATCH change only the fields given),
archive and delete badge classes.

A badge class carries the Open Badges 2.0 fields, BadgeKit's (strapline, earner/consumer descriptions, type,
issuer/rubric URLs, time value/units, limit, unique, criteria items, categories) and Badgr's (achievement type,
image alt text). Every accepted value is checked by rendering the public BadgeClass document with
:mod:`openbadges_core`, so the API cannot store a badge class whose public document would fail.

Any role on the issuer reads; owners and editors write; a user without a role gets 404. A badge class with
assertions cannot be deleted (409): archive it (``archived: true``), it stays publicly served.
"""



import math
import re
import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, QueryParameter
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.auth import Principal
from hosting.api.badges.inputs import TEXT_FIELDS, URL_FIELDS, badge_columns, check_candidate, columns
from hosting.api.badges.shapes import BadgeChanged, BadgeEnvelope, BadgeInput, BadgePage, BadgePatch
from hosting.api.deps import Caller, Db, Hosting, Store
from hosting.api.images import prefetch_image, read_image
from hosting.api.lookup import EDIT_ROLES, find_badge, find_issuer, require_role
from hosting.api.openapi import FORM, JSON, MULTIPART, api_doc
from hosting.app.state import HostingState
from hosting.lib.body import FieldErrors, read_body, slugify
from hosting.lib.errors import Conflict, InvalidInput
from hosting.lib.times import iso
from hosting.storage.models import Acceptance, Assertion, BadgeClass, Issuer
from hosting.storage.store import HostingStore

__all__ = ["BadgesController", "assertion_counts", "badge_json"]

_MEDIA = (JSON, FORM, MULTIPART)


def badge_json(badge: BadgeClass, issuer_public_id: str, state: HostingState,
               assertion_count: int) -> dict[str, Any]:
    """The API representation of a badge class (camelCase; ``image`` is the public image URL)."""
    return {
        "id": badge.public_id,
        "slug": badge.slug,
        "issuer": issuer_public_id,
        "publicUrl": state.urls.badge(badge.public_id),
        "image": state.urls.badge_image(badge.public_id),
        "name": badge.name,
        "description": badge.description,
        "criteria": {"url": badge.criteria_url, "narrative": badge.criteria_narrative},
        "criteriaItems": list(badge.criteria_items or ()),
        "tags": list(badge.tags or ()),
        "alignment": list(badge.alignment or ()),
        **{name: getattr(badge, column) for name, column in TEXT_FIELDS.items()},
        **{name: getattr(badge, column) for name, column in URL_FIELDS.items()},
        "categories": list(badge.categories or ()),
        "timeValue": badge.time_value,
        "timeUnits": badge.time_units,
        "limit": badge.limit,
        "unique": badge.unique,
        "archived": badge.archived,
        "acceptance": badge.acceptance or Acceptance.ISSUER,
        "assertionCount": assertion_count,
        "createdAt": iso(badge.created_at),
        "updatedAt": iso(badge.updated_at),
    }



# --- queries ----------------------------------------------------------------------------------------------

def _with_setting(fields: dict[str, Any] | None, current: str | None) -> dict[str, Any] | None:
    """``fields`` with the ``acceptance`` given as the badge class's setting (``/v1`` reads an unset one as the
    issuer's: see :meth:`Acceptance.setting`)."""
    if fields is not None and "acceptance" in fields:
        fields["acceptance"] = Acceptance.setting(current, fields["acceptance"], Acceptance.ISSUER)
    return fields


async def assertion_counts(session: AsyncSession, badge_ids: list[int]) -> dict[int, int]:
    """Assertions (any state) per badge class: one grouped query for a whole page (also the Credly templates'
    ``badges_count``)."""
    if not badge_ids:
        return {}
    rows = await session.execute(select(Assertion.badge_class_id, func.count()).where(
        Assertion.badge_class_id.in_(badge_ids)).group_by(Assertion.badge_class_id))
    return {badge_id: int(count) for badge_id, count in rows.all()}


async def _free_slug(session: AsyncSession, issuer: Issuer, name: str, *, random_suffix: bool = False) -> str:
    """A slug derived from ``name``: itself if free, else the first free ``-2``, ``-3`` … variant (a random
    suffix when a concurrent create took the variant this one picked)."""
    base = slugify(name) if re.search(r"[a-z0-9]", name.lower()) else "badge"
    if random_suffix:
        return f"{base[:43].rstrip('-')}-{secrets.token_hex(3)}"
    taken = set((await session.scalars(select(BadgeClass.slug).where(
        BadgeClass.issuer_id == issuer.id, BadgeClass.slug.startswith(base[:38])))).all())
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        suffix = f"-{n}"
        candidate = base[: 50 - len(suffix)].rstrip("-") + suffix
    return candidate


async def _refuse_taken_slug(session: AsyncSession, issuer: Issuer, slug: str, badge_id: int | None) -> None:
    query = select(BadgeClass.id).where(BadgeClass.issuer_id == issuer.id, BadgeClass.slug == slug)
    if badge_id is not None:
        query = query.where(BadgeClass.id != badge_id)
    if await session.scalar(query) is not None:
        raise _slug_conflict(slug)


def _slug_conflict(slug: str) -> Conflict:
    return Conflict(f"this issuer has a badge class with slug {slug!r}", details=[
        {"resource": "badge", "field": "slug", "message": "taken", "value": slug}])


async def _editable_badge(session: AsyncSession, principal: Principal, issuer_ref: str, badge_ref: str,
                          action: str) -> tuple[Issuer, BadgeClass]:
    """The issuer and its badge class, if the caller may write to it (``issuer:write``, owner or editor)."""
    issuer, role = await find_issuer(session, principal, issuer_ref)
    require_role(principal, role, EDIT_ROLES, action)
    return issuer, await find_badge(session, issuer, badge_ref)


class BadgesController(Controller):
    path = "/issuers/{issuer_ref:str}/badges"
    tags = ["badge classes"]  # noqa: RUF012 - Litestar reads these class attributes
    opt = {"write_scope": "issuer:write"}  # noqa: RUF012 - reads need issuer:read (hosting/api/auth.py)

    @get("/", **api_doc(BadgePage, errors=(404,)))
    async def list_badges(self, db_session: Db, principal: Caller,
                          hosting: Hosting, issuer_ref: FromPath[str],
                          archived: Annotated[str, QueryParameter(
                              description="true, false (default) or any")] = "false",
                          page: Annotated[int, QueryParameter(ge=1, le=1_000_000)] = 1,
                          per_page: Annotated[int, QueryParameter(ge=1, le=100)] = 50) -> dict[str, Any]:
        """The issuer's badge classes, oldest first (archived ones only with ``?archived=true|any``)."""
        if archived not in ("true", "false", "any"):
            raise InvalidInput("archived must be true, false or any",
                             details=[{"field": "archived", "message": "one of true, false, any", "value": archived}])
        issuer, _ = await find_issuer(db_session, principal, issuer_ref)
        where = [BadgeClass.issuer_id == issuer.id]
        if archived != "any":
            where.append(BadgeClass.archived == (archived == "true"))
        total = int(await db_session.scalar(select(func.count()).select_from(BadgeClass).where(*where)) or 0)
        badges = (await db_session.scalars(select(BadgeClass).where(*where)
                                           .order_by(BadgeClass.created_at, BadgeClass.id)
                                           .offset((page - 1) * per_page).limit(per_page))).all()
        counts = await assertion_counts(db_session, [b.id for b in badges])
        pages = max(1, math.ceil(total / per_page))
        base = f"{hosting.settings.base_url}/v1/issuers/{issuer.public_id}/badges"

        def page_url(n: int) -> str | None:
            query = {"archived": archived, "page": n, "per_page": per_page}
            return f"{base}?{urlencode(query)}" if 1 <= n <= pages else None

        return {
            "badges": [badge_json(b, issuer.public_id, hosting, counts.get(b.id, 0)) for b in badges],
            "metadata": {"count": len(badges), "current_page": page, "total_count": total, "total_pages": pages,
                         "next_page_url": page_url(page + 1), "previous_page_url": page_url(page - 1)},
        }

    @post("/", status_code=201, **api_doc(BadgeChanged, status=201, body=BadgeInput, media_types=_MEDIA,
                                           errors=(404, 409)))
    async def create_badge(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                           hosting: Hosting, store: Store, issuer_ref: FromPath[str]) -> dict[str, Any]:
        """Create a badge class (owner, editor); the slug defaults to a free one derived from the name."""
        data = await read_body(request)
        await prefetch_image(hosting, data)  # before the first query: no transaction open while fetching
        issuer, role = await find_issuer(db_session, principal, issuer_ref)
        require_role(principal, role, EDIT_ROLES, "creating badge classes")
        errors = FieldErrors()
        fields = _with_setting(badge_columns(data, errors, creating=True), None)
        if fields is not None and not errors.details:
            check_candidate(BadgeClass(**fields), hosting.urls, errors)
        errors.raise_if_any()
        assert fields is not None
        image = await read_image(hosting, data.get("image"))
        if image is None:  # pragma: no cover - parse() refused an empty image already
            raise InvalidInput("image is required", details=[{"field": "image", "message": "required", "value": None}])
        given = fields.pop("slug", None)
        if given is not None:
            await _refuse_taken_slug(db_session, issuer, given, None)
        badge: BadgeClass | None = None
        for attempt in range(3):
            slug = given or await _free_slug(db_session, issuer, fields["name"], random_suffix=attempt > 0)
            try:
                async with db_session.begin_nested():
                    badge = await store.create_badge_class(issuer, slug=slug, image=image,
                                                             created_by=principal.email, **fields)
                break
            except (IntegrityError, Conflict) as exc:  # a concurrent create took the slug meanwhile
                if given is not None or attempt == 2:  # a derived slug is derived again
                    raise _slug_conflict(slug) from exc
        if badge is None:  # pragma: no cover - the loop either breaks with a badge or raises
            raise _slug_conflict(slug)
        return {"status": "created", "badge": badge_json(badge, issuer.public_id, hosting, 0)}

    @get("/{badge_ref:str}", **api_doc(BadgeEnvelope, errors=(404,)))
    async def get_badge(self, db_session: Db, principal: Caller,
                        hosting: Hosting, issuer_ref: FromPath[str],
                        badge_ref: FromPath[str]) -> dict[str, Any]:
        issuer, _ = await find_issuer(db_session, principal, issuer_ref)
        badge = await find_badge(db_session, issuer, badge_ref)
        counts = await assertion_counts(db_session, [badge.id])
        return {"badge": badge_json(badge, issuer.public_id, hosting, counts.get(badge.id, 0))}

    async def _update(self, request: Request[Any, Any, Any], db_session: AsyncSession, principal: Principal,
                      hosting: HostingState, store: HostingStore, issuer_ref: str,
                      badge_ref: str) -> dict[str, Any]:
        data = await read_body(request)
        await prefetch_image(hosting, data)  # before the first query: no transaction open while fetching
        issuer, badge = await _editable_badge(db_session, principal, issuer_ref, badge_ref, "editing badge classes")
        errors = FieldErrors()
        fields = _with_setting(badge_columns(data, errors, creating=False), badge.acceptance)
        if fields is not None and not errors.details:
            check_candidate(BadgeClass(**{**columns(badge), **fields}), hosting.urls, errors)
        errors.raise_if_any()
        assert fields is not None
        if fields.get("slug", badge.slug) != badge.slug:
            await _refuse_taken_slug(db_session, issuer, fields["slug"], badge.id)
        image = None if data.get("image") == hosting.urls.badge_image(badge.public_id) \
            else await read_image(hosting, data.get("image"))  # GET-then-PUT echoes the badge's own image URL
        await store.update_badge_class(badge, fields, image)
        try:
            await db_session.flush()
        except IntegrityError as exc:  # a concurrent write took the slug
            raise _slug_conflict(badge.slug) from exc
        counts = await assertion_counts(db_session, [badge.id])
        return {"status": "updated", "badge": badge_json(badge, issuer.public_id, hosting, counts.get(badge.id, 0))}

    @put("/{badge_ref:str}", **api_doc(BadgeChanged, body=BadgePatch, media_types=_MEDIA, errors=(404, 409)))
    async def put_badge(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                        hosting: Hosting, store: Store, issuer_ref: FromPath[str],
                        badge_ref: FromPath[str]) -> dict[str, Any]:
        """Change the fields given (BadgeKit semantics: fields not given keep their value)."""
        return await self._update(request, db_session, principal, hosting, store, issuer_ref, badge_ref)

    @patch("/{badge_ref:str}", **api_doc(BadgeChanged, body=BadgePatch, media_types=_MEDIA, errors=(404, 409)))
    async def patch_badge(self, request: Request[Any, Any, Any], db_session: Db, principal: Caller,
                          hosting: Hosting, store: Store, issuer_ref: FromPath[str],
                          badge_ref: FromPath[str]) -> dict[str, Any]:
        """Change the fields given (``{"archived": true}`` archives)."""
        return await self._update(request, db_session, principal, hosting, store, issuer_ref, badge_ref)

    @delete("/{badge_ref:str}", status_code=200, **api_doc(BadgeChanged, errors=(404, 409)))
    async def delete_badge(self, db_session: Db, principal: Caller,
                           hosting: Hosting, store: Store, issuer_ref: FromPath[str],
                           badge_ref: FromPath[str]) -> dict[str, Any]:
        """Delete a badge class that has no assertions (else 409: archive it instead)."""
        issuer, badge = await _editable_badge(db_session, principal, issuer_ref, badge_ref,
                                              "deleting badge classes")
        body = badge_json(badge, issuer.public_id, hosting, 0)
        # with its claim codes (none was claimed: it has no assertions)
        await store.delete_badge_class(badge, lambda count: Conflict(
            f"the badge class has {count} assertion(s) and cannot be deleted; archive it instead",
            details=[{"resource": "assertions", "field": "assertions", "message": "assertions exist",
                      "value": count}]))
        return {"status": "deleted", "badge": body}


ROUTE_HANDLERS: list[Any] = [BadgesController]
