"""BadgeKit issuers inside a system (``/systems/{s}/issuers[/{i}]``) and the seed's top-level ``/issuers[/{i}]``.

An issuer is an issuer row whose ``parent_id`` is its system; its BadgeKit ``slug`` (``badgekit_slug``) is unique
within the system only, so two systems may each have an issuer ``library``. Its global ``slug`` (the one ``/v1``
shows) is generated once, from the BadgeKit slug and a random suffix. The top-level routes act inside the key's
own system; a master key names the system with ``?system=<slug>`` (without it, ``GET /issuers`` lists the issuers
of every system, each with its ``system`` slug, and the other routes answer 400).
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hosting.api.images import read_image
from hosting.api.lookup import not_deleted
from hosting.app.state import HostingState
from hosting.badgekit.auth import BadgeKitCaller
from hosting.badgekit.errors import ResourceConflict
from hosting.badgekit.levels import find_issuer, find_system, issuer_json, programs_of
from hosting.badgekit.retire import retire_issuer
from hosting.badgekit.systems import org_fields, read_badgekit_body, update_org
from hosting.lib.errors import Conflict, InvalidInput, NotFound
from hosting.storage.models import Issuer
from hosting.storage.store import HostingStore

__all__ = ["ROUTE_HANDLERS"]

_LIST = ["/systems/{system_slug:str}/issuers", "/issuers"]
_ONE = ["/systems/{system_slug:str}/issuers/{issuer_slug:str}", "/issuers/{issuer_slug:str}"]


async def _system(request: Request[Any, Any, Any], session: AsyncSession, caller: BadgeKitCaller,
                  *, required: bool = True) -> Issuer | None:
    """The system the path names, else ``?system=``, else the key's own; None (when not ``required``) for a
    master key naming none."""
    slug = request.path_params.get("system_slug") or request.query_params.get("system")
    if slug:
        return await find_system(session, caller, slug)
    if caller.system_id is not None:
        system = await session.scalar(select(Issuer).where(Issuer.id == caller.system_id, not_deleted()))
        if system is None:
            raise NotFound(f"the system of key {caller.key!r} was deleted")
        return system
    if required:
        raise InvalidInput("a master key must name the system", details=[
            {"field": "system", "message": "required with a master key: ?system=<slug>", "value": None}])
    return None


async def _json(session: AsyncSession, issuer: Issuer, state: HostingState) -> dict[str, Any]:
    return issuer_json(issuer, state, (await programs_of(session, [issuer.id]))[issuer.id])


async def _conflict(session: AsyncSession, system: Issuer, state: HostingState, slug: str) -> None:
    existing = await session.scalar(select(Issuer).where(Issuer.parent_id == system.id,
                                                         Issuer.badgekit_slug == slug))
    if existing is not None:
        raise ResourceConflict("issuer with that `slug` already exists",
                               existing=await _json(session, existing, state))


async def _one(request: Request[Any, Any, Any], session: AsyncSession, caller: BadgeKitCaller,
               issuer_slug: str) -> tuple[Issuer, Issuer]:
    system = await _system(request, session, caller)
    assert system is not None
    return system, await find_issuer(session, system, issuer_slug)


@get(_LIST)
async def list_issuers(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                       caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState]) -> dict[str, Any]:
    """The system's issuers, each with its programs (a master key on ``/issuers``: every system's)."""
    system = await _system(request, db_session, caller, required=False)
    parent = aliased(Issuer)
    query = select(Issuer, parent.slug).join(parent, parent.id == Issuer.parent_id).where(not_deleted())\
        .order_by(Issuer.id)
    query = query.where(Issuer.parent_id == system.id) if system is not None else query.where(
        Issuer.parent_id.is_not(None))
    rows = (await db_session.execute(query)).all()
    programs = await programs_of(db_session, [issuer.id for issuer, _ in rows])
    return {"issuers": [{**issuer_json(issuer, hosting, programs[issuer.id]), "system": parent}
                        for issuer, parent in rows]}


@get(_ONE)
async def get_issuer(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                     caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                     issuer_slug: FromPath[str]) -> dict[str, Any]:
    _, issuer = await _one(request, db_session, caller, issuer_slug)
    return {"issuer": await _json(db_session, issuer, hosting)}


@post(_LIST, status_code=201)
async def create_issuer(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                        caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                        store: NamedDependency[HostingStore]) -> dict[str, Any]:
    """Create an issuer in the system: ``slug``, ``name``, ``url`` required; ``email``, ``description``,
    ``image``/``imageUrl`` optional."""
    data = await read_badgekit_body(request, hosting)
    fields = org_fields(data, creating=True)
    image = await read_image(hosting, data.get("image"))
    system = await _system(request, db_session, caller)
    assert system is not None
    slug = fields.pop("slug")
    await _conflict(db_session, system, hosting, slug)
    try:
        issuer = await store.create_issuer(slug=f"{slug[:30]}-{secrets.token_hex(4)}", image=image, **fields)
        issuer.parent_id, issuer.badgekit_slug = system.id, slug
        await db_session.flush()
    except (IntegrityError, Conflict) as exc:  # a concurrent create took the slug
        raise ResourceConflict("issuer with that `slug` already exists") from exc
    return {"status": "created", "issuer": issuer_json(issuer, hosting, [])}


@put(_ONE)
async def update_issuer(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                        caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                        store: NamedDependency[HostingStore], issuer_slug: FromPath[str]) -> dict[str, Any]:
    """Change the fields given (``slug`` or the form's ``new-slug`` renames it within the system)."""
    data = await read_badgekit_body(request, hosting)
    fields = org_fields(data, creating=False)
    system, issuer = await _one(request, db_session, caller, issuer_slug)
    slug = fields.pop("slug", None)
    if slug not in (None, issuer.badgekit_slug):
        await _conflict(db_session, system, hosting, slug)
        fields["badgekit_slug"] = slug
    try:
        await update_org(db_session, store, hosting, issuer, data, fields)
    except IntegrityError as exc:  # a concurrent rename took the slug
        raise ResourceConflict("issuer with that `slug` already exists") from exc
    return {"status": "updated", "issuer": await _json(db_session, issuer, hosting)}


@delete(_ONE, status_code=200)
async def delete_issuer(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                        caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                        store: NamedDependency[HostingStore], issuer_slug: FromPath[str]) -> dict[str, Any]:
    """Delete the issuer and its programs as a system is deleted: instances revoked, codes withdrawn."""
    _, issuer = await _one(request, db_session, caller, issuer_slug)
    body = await _json(db_session, issuer, hosting)
    await retire_issuer(db_session, store, issuer, f"badgekit:{caller.key}", "issuer deleted")
    return {"status": "deleted", "issuer": body}


ROUTE_HANDLERS: list[Any] = [list_issuers, get_issuer, create_issuer, update_issuer, delete_issuer]
