"""BadgeKit programs of an issuer inside a system (``/systems/{s}/issuers/{i}/programs[/{p}]``): rows of
``badgekit_programs``. A program's badges are its issuer's badge classes (``program_id`` set), so their published
OB Issuer is the program's issuer. A program has no image (``imageUrl`` is null: nothing would serve it)."""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.app.state import HostingState
from hosting.badgekit.auth import BadgeKitCaller
from hosting.badgekit.errors import ResourceConflict
from hosting.badgekit.levels import find_issuer, find_program, find_system, program_json, programs_of
from hosting.badgekit.retire import retire_program
from hosting.badgekit.systems import org_fields, read_badgekit_body
from hosting.storage.models import BadgeKitProgram, Issuer
from hosting.storage.store import HostingStore

__all__ = ["ROUTE_HANDLERS"]

_LIST = "/systems/{system_slug:str}/issuers/{issuer_slug:str}/programs"
_ONE = _LIST + "/{program_slug:str}"


async def _issuer(session: AsyncSession, caller: BadgeKitCaller, system_slug: str, issuer_slug: str) -> Issuer:
    return await find_issuer(session, await find_system(session, caller, system_slug), issuer_slug)


async def _conflict(session: AsyncSession, issuer: Issuer, slug: str) -> None:
    existing = await session.scalar(select(BadgeKitProgram).where(BadgeKitProgram.issuer_id == issuer.id,
                                                                  BadgeKitProgram.slug == slug))
    if existing is not None:
        raise ResourceConflict("program with that `slug` already exists", existing=program_json(existing))


@get(_LIST)
async def list_programs(db_session: NamedDependency[AsyncSession], caller: NamedDependency[BadgeKitCaller],
                        system_slug: FromPath[str], issuer_slug: FromPath[str]) -> dict[str, Any]:
    issuer = await _issuer(db_session, caller, system_slug, issuer_slug)
    return {"programs": [program_json(p) for p in (await programs_of(db_session, [issuer.id]))[issuer.id]]}


@get(_ONE)
async def get_program(db_session: NamedDependency[AsyncSession], caller: NamedDependency[BadgeKitCaller],
                      system_slug: FromPath[str], issuer_slug: FromPath[str],
                      program_slug: FromPath[str]) -> dict[str, Any]:
    issuer = await _issuer(db_session, caller, system_slug, issuer_slug)
    return {"program": program_json(await find_program(db_session, issuer, program_slug))}


@post(_LIST, status_code=201)
async def create_program(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                         caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                         system_slug: FromPath[str], issuer_slug: FromPath[str]) -> dict[str, Any]:
    """Create a program of the issuer: ``slug``, ``name``, ``url`` required; ``email``, ``description``."""
    fields = org_fields(await read_badgekit_body(request, hosting, images=False), creating=True)
    issuer = await _issuer(db_session, caller, system_slug, issuer_slug)
    await _conflict(db_session, issuer, fields["slug"])
    program = BadgeKitProgram(issuer_id=issuer.id, **fields)
    db_session.add(program)
    try:
        await db_session.flush()
    except IntegrityError as exc:  # a concurrent create took the slug
        raise ResourceConflict("program with that `slug` already exists") from exc
    return {"status": "created", "program": program_json(program)}


@put(_ONE)
async def update_program(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                         caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                         system_slug: FromPath[str], issuer_slug: FromPath[str],
                         program_slug: FromPath[str]) -> dict[str, Any]:
    """Change the fields given (``slug`` or the form's ``new-slug`` renames it within the issuer)."""
    fields = org_fields(await read_badgekit_body(request, hosting, images=False), creating=False)
    issuer = await _issuer(db_session, caller, system_slug, issuer_slug)
    program = await find_program(db_session, issuer, program_slug)
    if fields.get("slug") not in (None, program.slug):
        await _conflict(db_session, issuer, fields["slug"])
    for column, value in fields.items():
        setattr(program, column, value)
    try:
        await db_session.flush()
    except IntegrityError as exc:  # a concurrent rename took the slug
        raise ResourceConflict("program with that `slug` already exists") from exc
    return {"status": "updated", "program": program_json(program)}


@delete(_ONE, status_code=200)
async def delete_program(db_session: NamedDependency[AsyncSession], caller: NamedDependency[BadgeKitCaller],
                         store: NamedDependency[HostingStore], system_slug: FromPath[str],
                         issuer_slug: FromPath[str], program_slug: FromPath[str]) -> dict[str, Any]:
    """Delete the program: its badges' instances are revoked, their codes withdrawn, the badges archived."""
    issuer = await _issuer(db_session, caller, system_slug, issuer_slug)
    program = await find_program(db_session, issuer, program_slug)
    body = program_json(program)
    await retire_program(db_session, store, program)
    return {"status": "deleted", "program": body}


ROUTE_HANDLERS: list[Any] = [list_programs, get_program, create_program, update_program, delete_program]
