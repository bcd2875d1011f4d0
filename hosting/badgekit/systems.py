"""BadgeKit systems (``/systems``, ``/systems/{slug}``). A system is stored as an issuer (same table, same slug):
its badges are that issuer's badge classes, published with it as their OB Issuer (``docs/compat-badgekit.md``)."""

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
from hosting.api.removal import delete_issuer
from hosting.app.state import HostingState
from hosting.badgekit.auth import BadgeKitCaller
from hosting.badgekit.errors import ResourceConflict
from hosting.lib.body import FieldErrors, read_body
from hosting.lib.errors import Conflict, NotFound
from hosting.storage.models import Issuer, StoredImage
from hosting.storage.store import HostingStore

__all__ = ["ROUTE_HANDLERS", "find_system", "system_json"]


def system_json(system: Issuer, state: HostingState) -> dict[str, Any]:
    return {"id": system.id, "slug": system.slug, "url": system.url, "name": system.name, "email": system.email,
            "description": system.description,
            "imageUrl": state.urls.issuer_image(system.public_id) if system.image_id is not None else None,
            "issuers": []}


async def find_system(session: AsyncSession, caller: NamedDependency[BadgeKitCaller], slug: str) -> Issuer:
    """The system ``slug`` the caller may act on; 404 naming the slug, 403 for another system's key."""
    system = await session.scalar(select(Issuer).where(Issuer.slug == slug, not_deleted()))
    if system is None:
        raise NotFound(f"Could not find system field: `slug`, value: `{slug}`")
    caller.require_system(system)
    return system


def _image_field(data: dict[str, Any]) -> None:
    """BadgeKit names the image ``image`` (an upload or URL) or ``imageUrl``: keep one, under ``image``."""
    if data.get("image") in (None, "", b"") and "imageUrl" in data:
        data["image"] = data["imageUrl"]


def _fields(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
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
        raise ResourceConflict("system with that `slug` already exists",
                               existing=system_json(existing, state))


@get("/systems")
async def list_systems(db_session: NamedDependency[AsyncSession], caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState]) -> dict[str, Any]:
    """Every system (issuer) the key reaches: all for the master key, its own for a system key."""
    query = select(Issuer).where(not_deleted()).order_by(Issuer.id)
    if caller.system_id is not None:
        query = query.where(Issuer.id == caller.system_id)
    return {"systems": [system_json(s, hosting) for s in (await db_session.scalars(query)).all()]}


@get("/systems/{system_slug:str}")
async def get_system(db_session: NamedDependency[AsyncSession], caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                     system_slug: FromPath[str]) -> dict[str, Any]:
    return {"system": system_json(await find_system(db_session, caller, system_slug), hosting)}


@post("/systems", status_code=201)
async def create_system(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], caller: NamedDependency[BadgeKitCaller],
                        hosting: NamedDependency[HostingState], store: NamedDependency[HostingStore]) -> dict[str, Any]:
    """Create a system (master keys only): ``slug``, ``name``, ``url`` required; ``email``, ``description``,
    ``image``/``imageUrl`` optional."""
    caller.require_master("creating a system")
    data = await read_body(request)
    _image_field(data)
    await prefetch_image(hosting, data)
    fields = _fields(data, creating=True)
    image = await read_image(hosting, data.get("image"))
    await _conflict(db_session, hosting, fields["slug"])
    try:
        system = await store.create_issuer(image=image, **fields)
    except (IntegrityError, Conflict) as exc:  # a concurrent create took the slug
        raise ResourceConflict("system with that `slug` already exists") from exc
    return {"status": "created", "system": system_json(system, hosting)}


@put("/systems/{system_slug:str}")
async def update_system(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], caller: NamedDependency[BadgeKitCaller],
                        hosting: NamedDependency[HostingState], store: NamedDependency[HostingStore], system_slug: FromPath[str]) -> dict[str, Any]:
    """Change the fields given (``slug`` renames; so does the form field ``new-slug``)."""
    data = await read_body(request)
    if "new-slug" in data:
        data["slug"] = data.pop("new-slug")
    _image_field(data)
    await prefetch_image(hosting, data)
    system = await find_system(db_session, caller, system_slug)
    fields = _fields(data, creating=False)
    if fields.get("slug") not in (None, system.slug):
        await _conflict(db_session, hosting, fields["slug"])
    for name, value in fields.items():
        setattr(system, name, value)
    if "image" in data and data["image"] not in (None, "", b""):
        old = system.image_id
        system.image_id = (await store.add_image(await read_image(hosting, data["image"]) or b"")).id
        await db_session.flush()
        if old is not None:
            await db_session.execute(sql_delete(StoredImage).where(StoredImage.id == old))
    system.invalidate()
    await db_session.flush()
    return {"status": "updated", "system": system_json(system, hosting)}


@delete("/systems/{system_slug:str}", status_code=200)
async def delete_system(db_session: NamedDependency[AsyncSession], caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                        store: NamedDependency[HostingStore], system_slug: FromPath[str]) -> dict[str, Any]:
    """Delete a system as ``/v1`` deletes an issuer: its assertions are revoked, its claim codes withdrawn,
    its slug freed; its public documents stay (revoked assertions answer 410)."""
    system = await find_system(db_session, caller, system_slug)
    body = system_json(system, hosting)
    await delete_issuer(store, system, deleted_by=f"badgekit:{caller.key}", reason="system deleted")
    return {"status": "deleted", "system": body}




ROUTE_HANDLERS: list[Any] = [list_systems, get_system, create_system, update_system, delete_system]
