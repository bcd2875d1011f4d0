"""BadgeKit systems (``/systems``, ``/systems/{slug}``). A system is stored as a top-level issuer (same table, same
slug): its badges are that issuer's badge classes, published with it as their OB Issuer; its issuers are issuer
rows inside it (:mod:`hosting.badgekit.levels`, ``docs/compat-badgekit.md``)."""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.images import prefetch_image, read_image
from hosting.api.lookup import not_deleted
from hosting.app.state import HostingState
from hosting.badgekit.auth import BadgeKitCaller
from hosting.badgekit.errors import ResourceConflict
from hosting.badgekit.levels import find_system, issuers_of, system_issuers, system_json
from hosting.badgekit.retire import retire_issuer
from hosting.lib.body import FieldErrors, read_body
from hosting.lib.errors import Conflict
from hosting.storage.models import Issuer, StoredImage
from hosting.storage.store import HostingStore

__all__ = ["ROUTE_HANDLERS", "org_fields", "read_badgekit_body", "update_org"]


async def read_badgekit_body(request: Request[Any, Any, Any], hosting: HostingState, *,
                             images: bool = True) -> dict[str, Any]:
    """A BadgeKit body (of a system, issuer, program or badge): ``new-slug`` (the form rename) read as ``slug``,
    ``imageUrl`` as ``image`` (BadgeKit names the image either way), a remote image fetched before any query
    (without ``images``, any image is dropped unread)."""
    data = dict(await read_body(request))
    if "new-slug" in data:
        data["slug"] = data.pop("new-slug")
    if not images:
        data.pop("image", None)
        data.pop("imageUrl", None)
        return data
    if data.get("image") in (None, "", b"") and "imageUrl" in data:
        data["image"] = data["imageUrl"]
    await prefetch_image(hosting, data)
    return data


def org_fields(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The columns a system, issuer or program body gives: ``slug``, ``name``, ``url`` (required on create),
    ``email``, ``description``."""
    errors = FieldErrors()
    out: dict[str, Any] = {}
    if creating or "slug" in data:
        out["slug"] = errors.slug(data)
        if creating and "slug" not in data:
            errors.add("slug", "required", None)
    if creating or "name" in data:
        out["name"] = errors.text(data, "name", required=True, max_len=255)
    if creating or "url" in data:
        out["url"] = errors.url(data, "url", required=True)
    if "email" in data:
        out["email"] = errors.email(data, "email") if data["email"] not in (None, "") else None
    if "description" in data:
        out["description"] = errors.text(data, "description", max_len=10_000) or None
    errors.raise_if_any()
    return out


async def _conflict(session: AsyncSession, state: HostingState, slug: str) -> None:
    existing = await session.scalar(select(Issuer).where(Issuer.slug == slug))
    if existing is not None:
        raise ResourceConflict("system with that `slug` already exists", existing=system_json(
            existing, state, await system_issuers(session, existing, state)))


async def _json(session: AsyncSession, system: Issuer, state: HostingState) -> dict[str, Any]:
    return system_json(system, state, await system_issuers(session, system, state))


async def update_org(session: AsyncSession, store: HostingStore, hosting: HostingState, org: Issuer,
                     data: dict[str, Any], fields: dict[str, Any]) -> None:
    """Apply ``fields`` (columns) and a new ``image`` to a system or issuer row."""
    for name, value in fields.items():
        setattr(org, name, value)
    if "image" in data and data["image"] not in (None, "", b""):
        old = org.image_id
        org.image_id = (await store.add_image(await read_image(hosting, data["image"]) or b"")).id
        await session.flush()
        if old is not None:
            await session.execute(sql_delete(StoredImage).where(StoredImage.id == old))
    org.invalidate()
    await session.flush()


@get("/systems")
async def list_systems(db_session: NamedDependency[AsyncSession], caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState]) -> dict[str, Any]:
    """Every system (issuer) the key reaches: all for the master key, its own for a system key."""
    query = select(Issuer).where(Issuer.parent_id.is_(None), not_deleted()).order_by(Issuer.id)
    if caller.system_id is not None:
        query = query.where(Issuer.id == caller.system_id)
    systems = (await db_session.scalars(query)).all()
    issuers = await issuers_of(db_session, [s.id for s in systems], hosting)
    return {"systems": [system_json(s, hosting, issuers[s.id]) for s in systems]}


@get("/systems/{system_slug:str}")
async def get_system(db_session: NamedDependency[AsyncSession], caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                     system_slug: FromPath[str]) -> dict[str, Any]:
    return {"system": await _json(db_session, await find_system(db_session, caller, system_slug), hosting)}


@post("/systems", status_code=201)
async def create_system(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], caller: NamedDependency[BadgeKitCaller],
                        hosting: NamedDependency[HostingState], store: NamedDependency[HostingStore]) -> dict[str, Any]:
    """Create a system (master keys only): ``slug``, ``name``, ``url`` required; ``email``, ``description``,
    ``image``/``imageUrl`` optional."""
    caller.require_master("creating a system")
    data = await read_badgekit_body(request, hosting)
    fields = org_fields(data, creating=True)
    image = await read_image(hosting, data.get("image"))
    await _conflict(db_session, hosting, fields["slug"])
    try:
        system = await store.create_issuer(image=image, **fields)
    except (IntegrityError, Conflict) as exc:  # a concurrent create took the slug
        raise ResourceConflict("system with that `slug` already exists") from exc
    return {"status": "created", "system": system_json(system, hosting, [])}


@put("/systems/{system_slug:str}")
async def update_system(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], caller: NamedDependency[BadgeKitCaller],
                        hosting: NamedDependency[HostingState], store: NamedDependency[HostingStore], system_slug: FromPath[str]) -> dict[str, Any]:
    """Change the fields given (``slug`` renames; so does the form field ``new-slug``)."""
    data = await read_badgekit_body(request, hosting)
    system = await find_system(db_session, caller, system_slug)
    fields = org_fields(data, creating=False)
    if fields.get("slug") not in (None, system.slug):
        await _conflict(db_session, hosting, fields["slug"])
    await update_org(db_session, store, hosting, system, data, fields)
    return {"status": "updated", "system": await _json(db_session, system, hosting)}


@delete("/systems/{system_slug:str}", status_code=200)
async def delete_system(db_session: NamedDependency[AsyncSession], caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                        store: NamedDependency[HostingStore], system_slug: FromPath[str]) -> dict[str, Any]:
    """Delete a system, with its issuers and programs, as ``/v1`` deletes an issuer: their assertions are
    revoked, claim codes withdrawn, slugs freed; public documents stay (revoked assertions answer 410)."""
    system = await find_system(db_session, caller, system_slug)
    body = await _json(db_session, system, hosting)
    await retire_issuer(db_session, store, system, f"badgekit:{caller.key}", "system deleted")
    return {"status": "deleted", "system": body}




ROUTE_HANDLERS: list[Any] = [list_systems, get_system, create_system, update_system, delete_system]
